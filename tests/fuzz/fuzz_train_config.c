/* Training configurations (`crimecast tune` writes them, `train --config` reads them:
 * host/train_config.h).
 *
 * Input: the bytes of the file.
 *
 * Promises checked: a configuration is read whole or refused with a printable message
 * naming the file; what is read holds at most CC_TRAIN_CONFIG_MAX options, each a
 * non-empty key with a NUL-terminated value, no key twice. */
#include <string.h>

#include "fuzz_util.h"
#include "host/train_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_path("config.json");
    fuzz_write_file(path, data, size);
    char err[1024] = "";
    cc_train_config config;
    if (cc_train_config_read(path, &config, err, sizeof err) != 0) {
        fuzz_check_message(err, path);
        return 0;
    }
    FUZZ_CHECK(config.count >= 0 && config.count <= CC_TRAIN_CONFIG_MAX, "%d options", config.count);
    for (int i = 0; i < config.count; i++) {
        FUZZ_CHECK(config.key[i][0] && memchr(config.key[i], 0, sizeof config.key[i]) &&
                       memchr(config.value[i], 0, sizeof config.value[i]),
                   "option %d is not a key and a value", i);
        FUZZ_CHECK(cc_train_config_get(&config, config.key[i]) == config.value[i], "key '%s' twice", config.key[i]);
    }
    return 0;
}
