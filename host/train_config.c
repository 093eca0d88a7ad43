#include "host/train_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/json_file.h"
#include "crawler/printable.h"
#include "crawler/whole_file.h"

int cc_train_config_set(cc_train_config *c, const char *key, const char *value) {
    if (!*key || strlen(key) >= sizeof c->key[0] || strlen(value) >= sizeof c->value[0]) return -1;
    int i = 0;
    while (i < c->count && strcmp(c->key[i], key)) i++;
    if (i == CC_TRAIN_CONFIG_MAX) return -1;
    if (i == c->count) c->count++;
    snprintf(c->key[i], sizeof c->key[i], "%s", key);
    snprintf(c->value[i], sizeof c->value[i], "%s", value);
    return 0;
}

const char *cc_train_config_get(const cc_train_config *c, const char *key) {
    for (int i = 0; i < c->count; i++)
        if (!strcmp(c->key[i], key)) return c->value[i];
    return NULL;
}

static char *config_json(const cc_train_config *c, const char *tuned_on, double validation_loss) {
    cJSON *root = cJSON_CreateObject(), *options = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", CC_TRAIN_CONFIG_FORMAT);
    cJSON_AddNumberToObject(root, "format_version", 1);
    for (int i = 0; i < c->count; i++) cJSON_AddStringToObject(options, c->key[i], c->value[i]);
    cJSON_AddItemToObject(root, "options", options);
    if (tuned_on) cJSON_AddStringToObject(root, "tuned_on", tuned_on);
    cJSON_AddNumberToObject(root, "validation_loss", validation_loss);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    return text;
}

int cc_train_config_write(const char *path, const cc_train_config *c, const char *tuned_on, double validation_loss,
                          char *err, size_t err_len) {
    char *text = config_json(c, tuned_on, validation_loss);
    cc_whole_file out;
    FILE *f = text ? cc_whole_file_fopen(&out, path, err, err_len) : NULL;
    int status = f ? cc_whole_file_fclose(&out, f, fputs(text, f) >= 0 && fputc('\n', f) != EOF, err, err_len) : -1;
    if (!text) snprintf(err, err_len, "%s: out of memory for the configuration", path);
    free(text);
    return status;
}

/* A JSON number as the shortest text strtod reads back to it: 0.001, not 0.0010000000000000000208;
 * a whole number in its digits, 100 (shortest as "1e+02", which the whole-number options
 * refused: a probe). */
static void number_text(double v, char *out, size_t len) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, len, "%.0f", v);
        return;
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, len, "%.*g", digits, v);
        if (strtod(out, NULL) == v) return;
    }
}

static int read_options(const cJSON *options, cc_train_config *c, const char *path, char *err, size_t err_len) {
    const cJSON *item;
    cJSON_ArrayForEach(item, options) {
        static const char *const command_lines[] = {"resume", "config", "data", "out"}; /* files: the run's own */
        int command_line = 0;
        for (size_t k = 0; item->string && k < sizeof command_lines / sizeof *command_lines; k++)
            command_line |= !strcmp(item->string, command_lines[k]);
        if (command_line) {
            snprintf(err, err_len, "%s: option '%s' is the command line's to give, not a configuration's", path,
                     item->string);
            return -1;
        }
        char key[96], number[32];
        cc_printable(item->string ? item->string : "?", key, sizeof key, 40);
        if (cJSON_IsNumber(item)) number_text(item->valuedouble, number, sizeof number);
        const char *value = cJSON_IsString(item) ? item->valuestring : cJSON_IsNumber(item) ? number : NULL;
        if (!value)
            snprintf(err, err_len, "%s: option '%s' must be text or a number, as on the command line (\"16,16\", 3)",
                     path, key);
        else if (!item->string || !item->string[0] || strlen(item->string) >= CC_TRAIN_CONFIG_KEY)
            snprintf(err, err_len, "%s: '%s' is not an option of crimecast train", path, key);
        else if (strlen(value) >= CC_TRAIN_CONFIG_VALUE)
            snprintf(err, err_len, "%s: option '%s': its value is longer than %d characters", path, key,
                     CC_TRAIN_CONFIG_VALUE - 1);
        else if (cc_train_config_set(c, item->string, value) != 0)
            snprintf(err, err_len, "%s: more than %d options (train has fewer)", path, CC_TRAIN_CONFIG_MAX);
        else
            continue;
        return -1;
    }
    return 0;
}

int cc_train_config_read(const char *path, cc_train_config *c, char *err, size_t err_len) {
    memset(c, 0, sizeof *c);
    cJSON *root = cc_json_file_parse(path, "training configuration", err, err_len);
    if (!root) return -1;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *options = cJSON_GetObjectItemCaseSensitive(root, "options");
    int status = -1;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "format_version");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, CC_TRAIN_CONFIG_FORMAT))
        snprintf(err, err_len, "%s: field 'format' is not \"%s\"", path, CC_TRAIN_CONFIG_FORMAT);
    else if (version && !(cJSON_IsNumber(version) && version->valuedouble == 1))
        snprintf(err, err_len, "%s: format_version %s; this crimecast reads version 1", path,
                 cJSON_IsNumber(version) ? "other than 1" : "not a number");
    else if (!cJSON_IsObject(options))
        snprintf(err, err_len, "%s: field 'options' must be an object of train options", path);
    else
        status = read_options(options, c, path, err, err_len);
    cJSON_Delete(root);
    return status;
}
