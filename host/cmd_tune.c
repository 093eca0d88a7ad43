/* crimecast tune: a small random search over the ConvLSTM's options, each candidate
 * trained with `crimecast train` (in-process) and scored by its best validation loss -
 * the test span is never read: normalisation, the historical-average offset and the
 * context maps use bins up to each sample's origin, and early stopping looks at the
 * validation span only. The winner is written as a training configuration file that
 * `crimecast train --config` reads. */
#include <errno.h>
#include <getopt.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/cli.h"
#include "host/hdf5_util.h"
#include "host/progress.h"
#include "host/train_config.h"

static const char TUNE_HELP[] =
    "usage: crimecast tune --data TENSOR.h5 --out CONFIG.json [--budget 8] [--epochs 20] [--patience 4]\n"
    "                      [--window 8] [--seed 1] [--threads N] [--keep DIR]\n\n"
    "Trains `budget` candidate ConvLSTMs on the tensor (the first is train's default, the\n"
    "others drawn without repetition, seeded, from: hidden 8,8 / 16,16 / 32,32; kernel 3 / 5;\n"
    "lr 1e-3 / 3e-3; context on / off; skip 3 / 1 / 0; baseline auto / none; level-gate\n"
    "skip / off / on), each for at most --epochs epochs with early stopping, and scores each by\n"
    "its best validation loss (mean Poisson loss per cell on the validation span). The test\n"
    "span is never looked at. Prints every candidate and writes the best as CONFIG.json,\n"
    "which `crimecast train --config` reads.\n"
    "--keep DIR keeps the candidates' model files (default: a temporary directory).\n";

enum { SPACE_HIDDEN = 3, SPACE_KERNEL = 2, SPACE_LR = 2, SPACE_CONTEXT = 2, SPACE_SKIP = 3, SPACE_BASELINE = 2,
       SPACE_GATE = 3 };
enum {
    SPACE_SIZE = SPACE_HIDDEN * SPACE_KERNEL * SPACE_LR * SPACE_CONTEXT * SPACE_SKIP * SPACE_BASELINE * SPACE_GATE,
    MAX_BUDGET = SPACE_SIZE
};

static const char *const HIDDEN[SPACE_HIDDEN] = {"16,16", "8,8", "32,32"};
static const char *const KERNEL[SPACE_KERNEL] = {"3", "5"};
static const char *const LR[SPACE_LR] = {"0.001", "0.003"};
static const char *const CONTEXT[SPACE_CONTEXT] = {"on", "off"};
static const char *const SKIP[SPACE_SKIP] = {"3", "1", "0"};
static const char *const BASELINE[SPACE_BASELINE] = {"auto", "none"};
/* skip is train's default; on helped San Francisco's validation loss and hurt London's
 * (bench/RESULTS.md). With skip 0 or context off, skip and on give what off gives. */
static const char *const GATE[SPACE_GATE] = {"skip", "off", "on"};

/* Candidate `index` of the grid, as train options; index 0 is train's default
 * (16,16, kernel 3, lr 1e-3, context on, skip 3, baseline auto, level-gate skip). */
static void candidate_options(int index, cc_train_config *c) {
    memset(c, 0, sizeof *c);
    int i = index;
    cc_train_config_set(c, "hidden", HIDDEN[i % SPACE_HIDDEN]), i /= SPACE_HIDDEN;
    cc_train_config_set(c, "kernel", KERNEL[i % SPACE_KERNEL]), i /= SPACE_KERNEL;
    cc_train_config_set(c, "lr", LR[i % SPACE_LR]), i /= SPACE_LR;
    cc_train_config_set(c, "context", CONTEXT[i % SPACE_CONTEXT]), i /= SPACE_CONTEXT;
    cc_train_config_set(c, "skip", SKIP[i % SPACE_SKIP]), i /= SPACE_SKIP;
    cc_train_config_set(c, "baseline", BASELINE[i % SPACE_BASELINE]), i /= SPACE_BASELINE;
    cc_train_config_set(c, "level-gate", GATE[i % SPACE_GATE]);
}

/* The order candidates are tried in: 0 first, then a seeded shuffle of the rest. */
static void search_order(unsigned seed, int *order) {
    for (int i = 0; i < SPACE_SIZE; i++) order[i] = i;
    unsigned state = seed * 2654435761u + 12345u;
    for (int i = SPACE_SIZE - 1; i > 1; i--) {
        state = state * 1664525u + 1013904223u;
        int j = 1 + (int)((state >> 8) % (unsigned)i);
        int tmp = order[i];
        order[i] = order[j], order[j] = tmp;
    }
}

static int best_validation_loss(const char *model, double *loss) {
    hid_t f = H5Fopen(model, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return -1;
    int status = cc_hdf5_read_double(f, "best_val", loss);
    H5Fclose(f);
    return status;
}

typedef struct tune_args {
    const char *data, *out, *epochs, *patience, *window, *seed, *threads, *keep;
    int budget;
} tune_args;

/* Trains one candidate into `model`, its stdout into `log`; 0 with its loss, or -1. */
static int try_candidate(const tune_args *a, const cc_train_config *c, const char *model, const char *log,
                         double *loss) {
    char *argv[2 * CC_TRAIN_CONFIG_MAX + 24];
    int argc = 0;
    argv[argc++] = "train", argv[argc++] = "--data", argv[argc++] = (char *)a->data;
    argv[argc++] = "--out", argv[argc++] = (char *)model;
    argc += cc_train_config_argv(c, argv + argc);
    argv[argc++] = "--epochs", argv[argc++] = (char *)a->epochs, argv[argc++] = "--patience";
    argv[argc++] = (char *)a->patience, argv[argc++] = "--window", argv[argc++] = (char *)a->window;
    argv[argc++] = "--seed", argv[argc++] = (char *)a->seed;
    if (a->threads) argv[argc++] = "--threads", argv[argc++] = (char *)a->threads;
    argv[argc] = NULL;
    int status = cc_run_captured(cc_cmd_train, argc, argv, log, 1);
    return status == CC_EXIT_OK && best_validation_loss(model, loss) == 0 && isfinite(*loss) ? 0 : -1;
}

static int parse_args(int argc, char **argv, tune_args *a) {
    static const struct option OPTIONS[] = {
        {"data", required_argument, NULL, 'd'},    {"out", required_argument, NULL, 'o'},
        {"budget", required_argument, NULL, 'b'},  {"epochs", required_argument, NULL, 'e'},
        {"patience", required_argument, NULL, 'p'}, {"window", required_argument, NULL, 'w'},
        {"seed", required_argument, NULL, 's'},    {"threads", required_argument, NULL, 't'},
        {"keep", required_argument, NULL, 'k'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->budget = 8, a->epochs = "20", a->patience = "4", a->window = "8", a->seed = "1";
    optind = 0;
    opterr = 0;
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'd': a->data = optarg; break;
        case 'o': a->out = optarg; break;
        case 'b':
            a->budget = (int)strtol(optarg, &end, 10);
            if (*end || a->budget < 1 || a->budget > MAX_BUDGET)
                return cc_usage_error("tune", "--budget must be 1-%d candidates (got '%s')", MAX_BUDGET, optarg);
            break;
        case 'e': a->epochs = optarg; break;
        case 'p': a->patience = optarg; break;
        case 'w': a->window = optarg; break;
        case 's': a->seed = optarg; break;
        case 't': a->threads = optarg; break;
        case 'k': a->keep = optarg; break;
        case 'h': fputs(TUNE_HELP, stdout); return -1;
        default: return cc_usage_error("tune", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("tune", "unexpected argument '%s'", argv[optind]);
    if (!a->data || !a->out) return cc_usage_error("tune", "--data and --out are required");
    return 0;
}

/* The search; fills best (its options) and returns its index in the order, or -1. */
static int search(const tune_args *a, const char *dir, cc_train_config *best, double *best_loss) {
    int order[SPACE_SIZE], winner = -1;
    search_order((unsigned)strtoul(a->seed, NULL, 10), order);
    *best_loss = INFINITY;
    char log[4200];
    snprintf(log, sizeof log, "%s/tune.log", dir);
    printf("%-4s %-8s %-6s %-7s %-8s %-5s %-9s %-5s %-16s %s\n", "#", "hidden", "kernel", "lr", "context", "skip",
           "baseline", "gate", "validation loss", "time");
    for (int i = 0; i < a->budget; i++) {
        cc_train_config c;
        candidate_options(order[i], &c);
        char model[4200];
        snprintf(model, sizeof model, "%s/candidate-%02d.h5", dir, i + 1);
        double loss = NAN, start = cc_now_seconds();
        int ok = try_candidate(a, &c, model, log, &loss) == 0;
        char score[32] = "failed (tune.log)";
        if (ok) snprintf(score, sizeof score, "%.6f", loss);
        printf("%-4d %-8s %-6s %-7s %-8s %-5s %-9s %-5s %-16s %.1f s\n", i + 1, cc_train_config_get(&c, "hidden"),
               cc_train_config_get(&c, "kernel"), cc_train_config_get(&c, "lr"), cc_train_config_get(&c, "context"),
               cc_train_config_get(&c, "skip"), cc_train_config_get(&c, "baseline"),
               cc_train_config_get(&c, "level-gate"), score, cc_now_seconds() - start);
        fflush(stdout);
        if (ok && loss < *best_loss) *best_loss = loss, *best = c, winner = i;
    }
    return winner;
}

/* A directory for the candidates: --keep DIR, or a fresh temporary one (removed after). */
static int candidate_dir(const tune_args *a, char *dir, size_t len) {
    if (a->keep) {
        snprintf(dir, len, "%s", a->keep);
        if (mkdir(dir, 0777) == 0 || errno == EEXIST) return 0;
        fprintf(stderr, "crimecast tune: cannot create %s: %s\n", dir, strerror(errno));
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/crimecast-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir)) return 0;
    fprintf(stderr, "crimecast tune: cannot create a temporary directory: %s\n", strerror(errno));
    return -1;
}

static void remove_candidates(const char *dir, int budget) {
    char path[4200];
    for (int i = 0; i < budget; i++) {
        snprintf(path, sizeof path, "%s/candidate-%02d.h5", dir, i + 1);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/tune.log", dir);
    unlink(path);
    rmdir(dir);
}

int cc_cmd_tune(int argc, char **argv) {
    tune_args a;
    int parsed = parse_args(argc, argv, &a);
    if (parsed != 0) return parsed < 0 ? CC_EXIT_OK : parsed;
    char dir[4096];
    if (candidate_dir(&a, dir, sizeof dir) != 0) return CC_EXIT_FAILURE;
    printf("tuning on %s: %d candidates, at most %s epochs each, window %s; scored on the validation span\n",
           a.data, a.budget, a.epochs, a.window);
    cc_train_config best;
    double loss;
    int winner = search(&a, dir, &best, &loss), status = CC_EXIT_FAILURE;
    char err[1024];
    if (winner < 0) {
        fprintf(stderr, "crimecast tune: every candidate failed; see the log in %s (--keep DIR keeps it)\n", dir);
    } else {
        cc_train_config_set(&best, "window", a.window);
        cc_train_config_set(&best, "epochs", a.epochs);
        cc_train_config_set(&best, "patience", a.patience);
        if (cc_train_config_write(a.out, &best, a.data, loss, err, sizeof err) == 0) {
            printf("best: candidate %d, validation loss %.6f -> %s (use: crimecast train --config %s ...)\n",
                   winner + 1, loss, a.out, a.out);
            status = CC_EXIT_OK;
        } else {
            fprintf(stderr, "crimecast tune: %s\n", err);
        }
    }
    if (!a.keep) remove_candidates(dir, a.budget);
    return status;
}
