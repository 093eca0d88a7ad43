/* crimecast train: the command line of host/run_train.h, with --config FILE. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/commands.h"
#include "host/ctrl_c.h"
#include "host/mpi_world.h"
#include "host/rank_agreement.h"
#include "host/run_train.h"
#include "host/train_config.h"

/* --config FILE: the file's options first, then the command line's over them. */
static int with_config(int argc, char **argv, cc_train_request *r, cc_train_config *config) {
    char err[1024];
    const char *path = r->config;
    if (access(path, R_OK) != 0) { /* a file that is not there is a failed run, as a missing --data is */
        snprintf(err, sizeof err, "--config %s: %s", path, strerror(errno));
        return cc_command_result("train", -1, err);
    }
    if (cc_train_config_read(path, config, err, sizeof err) != 0) return cc_usage_error("train", "--config %s", err);
    cc_train_request_defaults(r);
    if (cc_train_request_configure(r, config, err, sizeof err) != 0)
        return cc_usage_error("train", "--config %s: %s", path, err);
    char over[1100];
    snprintf(over, sizeof over, "the options of --config %s", path);
    return cc_options_parse_again(&CC_TRAIN_SPEC, argc, argv, r, over); /* over the file's: the line wins */
}

/* 1 when `value` sets switch `row` off: a switch the file turns off is not one the model
 * could be said not to use ({"peephole": "off"} for ST-ResNet). */
static int switch_off(const cc_option *row, const char *value) {
    return row->kind == CC_OPT_FLAG && (!strcmp(value, "off") || !strcmp(value, "false") || !strcmp(value, "0"));
}

/* The options a run was given: those on its command line, listed once, and its --config
 * file's (NULL: none), for the warnings below. */
typedef struct options_given {
    const cc_option *on_line[128];
    int on_line_count;
    const cc_train_config *config;
} options_given;

/* Names the --config file's options that the model does not use, as the command line's are
 * named (a configuration tuned for one model, given to another, said nothing); those the
 * line gives again are the line's to name. */
static void warn_unused_in_config(const options_given *g, const cc_train_request *r) {
    const cc_train_config *config = g->config;
    char words[CC_TRAIN_CONFIG_MAX][CC_TRAIN_CONFIG_KEY + CC_TRAIN_CONFIG_VALUE + 4];
    char *line[CC_TRAIN_CONFIG_MAX + 1] = {"train"}, names[1024];
    int n = 1;
    for (int i = 0; i < config->count; i++) {
        const cc_option *row = cc_options_find(&CC_TRAIN_SPEC, config->key[i]); /* exact: the file's were checked */
        int again = 0;
        for (int k = 0; k < g->on_line_count; k++) again |= g->on_line[k] == row;
        if (!row || again || switch_off(row, config->value[i])) continue;
        snprintf(words[i], sizeof words[i], "--%s=%s", config->key[i], config->value[i]);
        line[n++] = words[i];
    }
    int unused = cc_options_unused(&CC_TRAIN_SPEC, n, line, cc_train_model_uses, r, names, sizeof names);
    if (unused)
        fprintf(stderr, "crimecast train: warning: %s in --config %s %s not used by --model %s\n", names, r->config,
                unused > 1 ? "are" : "is", r->model);
}

/* Whether option `name` was given on the command line or in the --config file. */
static int given_anywhere(const options_given *g, const char *name) {
    for (int k = 0; k < g->on_line_count; k++)
        if (!strcmp(g->on_line[k]->name, name)) return 1;
    for (int i = 0; g->config && i < g->config->count; i++)
        if (!strcmp(g->config->key[i], name)) return 1;
    return 0;
}

/* Options given that other options' values make moot, named with why: each trained the
 * same model as without it, silently (st-resnet --skip 0 --context on; --baseline none
 * --baseline-smooth 3; st-resnet --level-gate on; a probe, 2026-12-07). */
static void warn_moot(const options_given *g, const cc_train_request *r) {
    int st = !strcmp(r->model, "st-resnet");
    int level_gate_on = strcmp(r->level_gate, "off") && given_anywhere(g, "level-gate");
    int no_offset = !strcmp(r->baseline, "none") || (!strcmp(r->baseline, "auto") && strcmp(r->loss, "poisson"));
    if (r->baseline_sigma > 0 && no_offset)
        fprintf(stderr, "crimecast train: warning: --baseline-smooth smooths the historical average the network "
                "corrects, and with %s there is none: it changes nothing\n",
                strcmp(r->baseline, "none") ? "--loss mse (its --baseline: none)" : "--baseline none");
    static const char *const MAPS[] = {"context", "recency", "covariates", "level-gate"};
    char names[128] = "";
    for (size_t i = 0; st && !r->skip && i < sizeof MAPS / sizeof *MAPS; i++) {
        const char *value = !strcmp(MAPS[i], "context") ? r->context : !strcmp(MAPS[i], "recency") ? r->recency
                            : !strcmp(MAPS[i], "covariates") ? r->covariates : r->level_gate;
        if (strcmp(value, "off") && given_anywhere(g, MAPS[i]))
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s--%s", names[0] ? ", " : "", MAPS[i]);
    }
    if (names[0])
        fprintf(stderr, "crimecast train: warning: %s: ST-ResNet's branches read the counts alone, its other input "
                "maps reach only its skip path, which --skip 0 turns off: %s nothing\n", names,
                strchr(names, ',') ? "they change" : "it changes");
    else if (!strcmp(r->context, "off") && (level_gate_on || (!strcmp(r->recency, "on") && given_anywhere(g, "recency"))))
        fprintf(stderr, "crimecast train: warning: %s adds context maps, and --context off leaves them out: it changes "
                "nothing\n", level_gate_on ? "--level-gate" : "--recency on");
    else if (!strcmp(r->level_gate, "skip") && !r->skip && given_anywhere(g, "level-gate"))
        fprintf(stderr, "crimecast train: warning: --level-gate skip feeds the ratio maps to the skip path, which "
                "--skip 0 turns off: it changes nothing\n");
    else if (st && !strcmp(r->level_gate, "on"))
        fprintf(stderr, "crimecast train: warning: --level-gate on trains as --level-gate skip for --model st-resnet "
                "(no ConvLSTM to feed the ratio maps to; its skip path reads them either way)\n");
}

/* --resume trains on with the model file's own options: names those given here that it
 * does not use (train --resume m.h5 --lr 0.01 would otherwise keep m.h5's rate unsaid). */
static int resume_uses(const cc_option *row, const void *request) {
    (void)request;
    return cc_train_resume_uses(row);
}

static void warn_unused_on_resume(int argc, char **argv, const cc_train_request *r) {
    char names[1024];
    int unused = cc_options_unused(&CC_TRAIN_SPEC, argc, argv, resume_uses, r, names, sizeof names);
    if (unused)
        fprintf(stderr, "crimecast train: warning: --resume trains on with %s's own options; %s given here %s not "
                        "used (only --data, --out, --epochs, --memory, --gather and the device options are)\n",
                r->resume, names, unused > 1 ? "are" : "is");
}

/* cc_run_train as Ctrl-C work: training stops before its next step and says how to
 * resume (host/ctrl_c.h). */
typedef struct train_work {
    cc_train_request *request;
    FILE *out;
    char *err;
    size_t err_len;
} train_work;

static int train_until_stopped(void *context, volatile sig_atomic_t *stop) {
    train_work *w = context;
    w->request->stop = stop;
    return cc_run_train(w->request, w->out, NULL, w->err, w->err_len);
}

static int train_caught(cc_train_request *r, FILE *out, char *err, size_t err_len) {
    train_work work = {r, out, err, err_len};
    int caught;
    int status = cc_with_ctrl_c(train_until_stopped, &work, &caught);
    if (status == 0 && caught) /* after the last step: the test loss and the file were done */
        fprintf(stderr, "crimecast train: the stop (Ctrl-C or SIGTERM) came after the last training step; the run "
                        "finished and wrote %s\n", r->out);
    return status;
}

int cc_cmd_train(int argc, char **argv) {
    cc_train_request r;
    cc_train_config config;
    int parsed = cc_options_read(&CC_TRAIN_SPEC, argc, argv, &r);
    if (parsed == CC_OPTIONS_OK && r.config && r.resume) /* its epochs were taken, its other options not */
        return cc_usage_error("train", "--config and --resume do not go together: a resume trains on with %s's own "
                              "options (give --epochs for another length)", r.resume);
    if (parsed == CC_OPTIONS_OK && r.config) parsed = with_config(argc, argv, &r, &config);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[16384] = "", ranked[16500]; /* an interrupted run's message holds a command with its paths */
    cc_mpi_world world; /* under mpirun: data parallel, rank 0 prints and writes */
    if (cc_mpi_world_join(&world, err, sizeof err) != 0) {
        cc_mpi_world_leave(&world, 1); /* MPI may be up: finalised, or the job aborted */
        return cc_command_result("train", -1, err);
    }
    r.collective = cc_mpi_world_collective(&world);
    r.local_rank = world.collective.local_rank;
    r.local_size = world.collective.local_size;
    if (r.resume && (!r.collective || r.collective->rank == 0)) warn_unused_on_resume(argc, argv, &r);
    if (!r.resume && (!r.collective || r.collective->rank == 0)) {
        char model[64];
        snprintf(model, sizeof model, "--model %s", r.model);
        cc_options_warn_unused(&CC_TRAIN_SPEC, argc, argv, cc_train_model_uses, &r, model);
        options_given given = {.config = r.config ? &config : NULL};
        given.on_line_count = cc_options_given(&CC_TRAIN_SPEC, argc, argv, given.on_line,
                                                 (int)(sizeof given.on_line / sizeof *given.on_line));
        if (r.config) warn_unused_in_config(&given, &r);
        warn_moot(&given, &r);
        cc_train_note_replaced_model(&r);
        r.recency_asked = !strcmp(r.recency, "on") && !strcmp(r.context, "on") && given_anywhere(&given, "recency");
    }
    FILE *out = r.collective && r.collective->rank != 0 ? fopen("/dev/null", "w") : stdout;
    /* each rank starts from its own command line, and reads its own --config or --resume file
     * (never both): another option, or a stale model file, on one trained a mix, hung or
     * crashed in the sums (a probe, 2026-12-07) */
    int status = r.collective ? cc_ranks_same_command(r.collective, argc, argv, r.config ? "--config" : "--resume",
                                                      r.config ? r.config : r.resume, err, sizeof err)
                              : 0;
    if (status == 0)
        status = r.collective ? cc_run_train(&r, out ? out : stdout, NULL, err, sizeof err)
                              : train_caught(&r, out ? out : stdout, err, sizeof err); /* ranks: mpirun's Ctrl-C */
    if (out && out != stdout) fclose(out);
    cc_rank_named_message(r.collective, err, ranked, sizeof ranked);
    int code = cc_command_result("train", status, ranked);
    cc_mpi_world_leave(&world, status != 0);
    return code;
}
