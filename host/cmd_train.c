/* crimecast train: the command line of host/run_train.h, with --config FILE. */
#include <stdio.h>

#include "host/commands.h"
#include "host/run_train.h"
#include "host/train_config.h"

/* --config FILE: the file's options first, then the command line's over them. */
static int with_config(int argc, char **argv, cc_train_request *r, cc_train_config *config) {
    char err[1024];
    const char *path = r->config;
    if (cc_train_config_read(path, config, err, sizeof err) != 0) return cc_usage_error("train", "--config %s", err);
    cc_train_request_defaults(r);
    if (cc_train_request_configure(r, config, err, sizeof err) != 0)
        return cc_usage_error("train", "--config %s: %s", path, err);
    return cc_options_parse(&CC_TRAIN_SPEC, argc, argv, r);
}

int cc_cmd_train(int argc, char **argv) {
    cc_train_request r;
    cc_train_config config;
    int parsed = cc_options_read(&CC_TRAIN_SPEC, argc, argv, &r);
    if (parsed == CC_OPTIONS_OK && r.config) parsed = with_config(argc, argv, &r, &config);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[1024] = "";
    return cc_command_result("train", cc_run_train(&r, stdout, NULL, err, sizeof err), err);
}
