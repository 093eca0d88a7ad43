/* Training configuration files (JSON): what `crimecast tune` writes and
 * `crimecast train --config` reads. The options are train's own long options and their
 * values, as text, set through train's option table (host/run_train.h), so a
 * configuration means exactly what the same train command line means:
 *
 *   {"format": "crimecast-train-config", "format_version": 1,
 *    "options": {"hidden": "16,16", "kernel": "3", "lr": "0.001", "context": "on",
 *                "baseline": "auto", "window": "8", "epochs": "20", "patience": "4"},
 *    "tuned_on": "tensor.h5", "validation_loss": 0.0363}
 *
 * A value may be a JSON number too ("epochs": 20), read as the shortest text that gives
 * the same double. Each option once: the file's parser refuses a name given twice.
 *
 * Written under a temporary name and renamed. */
#ifndef CRIMECAST_HOST_TRAIN_CONFIG_H
#define CRIMECAST_HOST_TRAIN_CONFIG_H

#include <stddef.h>

#define CC_TRAIN_CONFIG_FORMAT "crimecast-train-config"
/* Room for every option of train (under 40) once: a hand-made file of more than 16 was
 * refused as if a value were wrong. */
enum { CC_TRAIN_CONFIG_MAX = 64, CC_TRAIN_CONFIG_KEY = 32, CC_TRAIN_CONFIG_VALUE = 64 };

typedef struct cc_train_config {
    int count;
    char key[CC_TRAIN_CONFIG_MAX][CC_TRAIN_CONFIG_KEY], value[CC_TRAIN_CONFIG_MAX][CC_TRAIN_CONFIG_VALUE];
} cc_train_config;

/* Sets (or replaces) option `key`. Returns 0, or -1 when full or too long. */
int cc_train_config_set(cc_train_config *c, const char *key, const char *value);
/* The value of `key`, or NULL. */
const char *cc_train_config_get(const cc_train_config *c, const char *key);

/* 0 or -1 with err naming the file (and the field). */
int cc_train_config_write(const char *path, const cc_train_config *c, const char *tuned_on, double validation_loss,
                          char *err, size_t err_len);
int cc_train_config_read(const char *path, cc_train_config *c, char *err, size_t err_len);

#endif
