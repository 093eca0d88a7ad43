/* host/run_tune.h */
#define _DEFAULT_SOURCE /* realpath */
#include "host/run_tune.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "crawler/file_lock.h"
#include "crawler/whole_file.h"
#include "heatmaps/tensor_file.h"
#include "host/defaults.h"
#include "host/progress.h"
#include "host/rank_agreement.h"
#include "host/run_train.h"
#include "host/train_config.h"
#include "kernels/cpu/threads.h"
#include "models/rng.h"
#include "models/checkpoint.h"
#include "models/train.h"

enum { SPACE_HIDDEN = 3, SPACE_KERNEL = 2, SPACE_LR = 2, SPACE_CONTEXT = 2, SPACE_SKIP = 3, SPACE_BASELINE = 2,
       SPACE_GATE = 3 };
enum {
    SPACE_SIZE = SPACE_HIDDEN * SPACE_KERNEL * SPACE_LR * SPACE_CONTEXT * SPACE_SKIP * SPACE_BASELINE * SPACE_GATE,
    /* distinct models (see GATE): with context on, three gates where there is a skip path
     * and two without (skip is off there); with context off, one */
    MAX_BUDGET = SPACE_HIDDEN * SPACE_KERNEL * SPACE_LR * SPACE_BASELINE *
                 ((SPACE_SKIP - 1) * SPACE_GATE + (SPACE_GATE - 1) + SPACE_SKIP)
};

static const char *const HIDDEN[SPACE_HIDDEN] = {"16,16", "8,8", "32,32"};
static const char *const KERNEL[SPACE_KERNEL] = {"3", "5"};
static const char *const LR[SPACE_LR] = {"0.001", "0.003"};
static const char *const CONTEXT[SPACE_CONTEXT] = {"on", "off"};
static const char *const SKIP[SPACE_SKIP] = {"3", "1", "0"};
static const char *const BASELINE[SPACE_BASELINE] = {"auto", "none"};
/* skip is train's default; on helped San Francisco's validation loss and hurt London's
 * (bench/RESULTS.md). With context off every gate gives what off gives (no gate); with
 * skip 0, skip does (there is no skip path to gate), on does not. */
static const char *const GATE[SPACE_GATE] = {"skip", "off", "on"};

/* Candidate `index` of the grid, as train options; index 0 is train's default
 * (16,16, kernel 3, lr 1e-3, context on, skip 3, baseline auto, level-gate skip). The
 * request's fixed options (--model, --down, --batch) go with every candidate, so that the
 * winner's configuration file repeats them. */
static void candidate_options(const cc_tune_request *a, int index, cc_train_config *c) {
    memset(c, 0, sizeof *c);
    char batch[16];
    snprintf(batch, sizeof batch, "%d", a->batch);
    if (a->model) cc_train_config_set(c, "model", a->model);
    if (a->down) cc_train_config_set(c, "down", a->down);
    if (a->batch > 0) cc_train_config_set(c, "batch", batch);
    int i = index;
    cc_train_config_set(c, "hidden", HIDDEN[i % SPACE_HIDDEN]), i /= SPACE_HIDDEN;
    cc_train_config_set(c, "kernel", KERNEL[i % SPACE_KERNEL]), i /= SPACE_KERNEL;
    cc_train_config_set(c, "lr", LR[i % SPACE_LR]), i /= SPACE_LR;
    cc_train_config_set(c, "context", CONTEXT[i % SPACE_CONTEXT]), i /= SPACE_CONTEXT;
    cc_train_config_set(c, "skip", SKIP[i % SPACE_SKIP]), i /= SPACE_SKIP;
    cc_train_config_set(c, "baseline", BASELINE[i % SPACE_BASELINE]), i /= SPACE_BASELINE;
    cc_train_config_set(c, "level-gate", GATE[i % SPACE_GATE]);
}

/* The candidate that trains the same model as `index`: the gate-off one where its gate
 * does nothing (run_train.c's level_gate_value: none without context; skip without a
 * skip path). */
static int same_model_as(int index) {
    int stride = SPACE_HIDDEN * SPACE_KERNEL * SPACE_LR, i = index / stride;
    int context = i % SPACE_CONTEXT, skip = i / SPACE_CONTEXT % SPACE_SKIP;
    int gate = i / (SPACE_CONTEXT * SPACE_SKIP * SPACE_BASELINE) % SPACE_GATE;
    int no_gate = !strcmp(CONTEXT[context], "off") || (!strcmp(SKIP[skip], "0") && !strcmp(GATE[gate], "skip"));
    int off = 1; /* GATE[1] */
    return no_gate ? index + (off - gate) * stride * SPACE_CONTEXT * SPACE_SKIP * SPACE_BASELINE : index;
}

/* The order candidates are tried in: 0 first, then a seeded shuffle of the rest, each
 * model once (a candidate whose model came before is dropped: "without repetition"). The
 * first MAX_BUDGET entries of order are filled. */
static void search_order(unsigned seed, int *order) {
    int all[SPACE_SIZE], n = 0;
    for (int i = 0; i < SPACE_SIZE; i++) all[i] = i;
    unsigned state = seed * 2654435761u + 12345u;
    for (int i = SPACE_SIZE - 1; i > 1; i--) {
        int j = 1 + (int)(cc_lcg_next(&state) % (unsigned)i);
        int tmp = all[i];
        all[i] = all[j], all[j] = tmp;
    }
    char seen[SPACE_SIZE] = {0};
    for (int i = 0; i < SPACE_SIZE; i++) {
        int model = same_model_as(all[i]);
        if (seen[model]) continue;
        seen[model] = 1;
        order[n++] = model;
    }
}

static const cc_option TUNE_OPTIONS[] = {
    {CC_OPTION_TEXT("data", cc_tune_request, data, "TENSOR.h5", NULL, "the tensor the candidates train on"),
     .required = 1, .file = CC_FILE_READ},
    {CC_OPTION_TEXT("out", cc_tune_request, out, "CONFIG.json", NULL, "the winner's training configuration"),
     .required = 1, .file = CC_FILE_WRITTEN},
    {CC_OPTION_INT("budget", cc_tune_request, budget, "N", "8", 1, MAX_BUDGET, "candidates trained")},
    {CC_OPTION_INT("epochs", cc_tune_request, epochs, "N", "20", 1, CC_MAX_EPOCHS, "most epochs of a candidate")},
    {CC_OPTION_INT("patience", cc_tune_request, patience, "N", "4", 1, CC_MAX_EPOCHS,
                   "a candidate's epochs without a better validation loss before it stops")},
    {CC_OPTION_INT("window", cc_tune_request, window, "N", CC_DEFAULT_WINDOW, 1, 512, "input bins per sample")},
    {CC_OPTION_INT("seed", cc_tune_request, seed, "S", CC_DEFAULT_SEED, 0, 2000000000,
                   "the seed of the search order and of every candidate")},
    {CC_OPTION_INT("threads", cc_tune_request, threads, "N", "0", 0, 256, "CPU threads the training uses, 0: all")},
    {CC_OPTION_CHOICE("model", cc_tune_request, model, "convlstm|convlstm-ae", NULL,
                      "every candidate's network (if not given: train's default); convlstm-ae for fine grids")},
    {CC_OPTION_CHOICE("down", cc_tune_request, down, "2|4", NULL, "convlstm-ae: the encoder's downsampling")},
    {CC_OPTION_INT("batch", cc_tune_request, batch, "N", "0", 0, CC_MOST_BATCH,
                   "every candidate's batch (0: train's default, or what its memory plan allows)")},
    {CC_OPTION_TEXT("keep", cc_tune_request, keep, "DIR", NULL,
                    "keep the candidates' model files and tune.log here (if not given: a temporary directory)"),
     .file = CC_FILE_WRITTEN},
    {CC_OPTION_FLAG("resume", cc_tune_request, resume,
                    "go on with the search stopped in --keep DIR: each candidate with a model file there resumes "
                    "from it (a finished one is read, not trained again), the others train; the same --data, "
                    "--epochs, --patience, --window, --seed, --model, --down and --batch (a larger --budget goes "
                    "on to more candidates)")},
};

static const cc_option_group TUNE_GROUPS[] = {{"options", CC_OPTION_ROWS(TUNE_OPTIONS), 0}};

/* Whether --out names a file of the search in --keep DIR (a candidate's model, the log,
 * the search's record): the configuration written over it broke a later --resume. */
static int out_is_search_file(const char *keep, const char *out) {
    static const char *const NAMES[] = {"candidate-*.h5", "tune.log", "tune-rank*.log", "tune-search*.txt"};
    char *copy = strdup(out), *name = copy ? strdup(basename(copy)) : NULL;
    int ours = 0;
    for (size_t i = 0; name && i < sizeof NAMES / sizeof *NAMES; i++) ours |= fnmatch(NAMES[i], name, 0) == 0;
    free(name);
    if (copy && ours) {
        strcpy(copy, out);
        char *dir = dirname(copy), *here = realpath(dir, NULL), *there = realpath(keep, NULL);
        size_t n = strlen(keep);
        while (n > 1 && keep[n - 1] == '/') n--;
        ours = here && there ? !strcmp(here, there) : strlen(dir) == n && !strncmp(dir, keep, n); /* not made yet */
        free(here), free(there);
    }
    free(copy);
    return ours;
}

/* --down shapes convlstm-ae alone; written into the winner's configuration beside another
 * model it would read as chosen when it was not. */
static int check_request(void *request, char *why, size_t why_len) {
    const cc_tune_request *r = request;
    if (r->resume && !r->keep) {
        snprintf(why, why_len, "--resume needs --keep DIR, the directory of the stopped search's candidates");
        return -1;
    }
    if (r->keep && r->out && out_is_search_file(r->keep, r->out)) {
        snprintf(why, why_len, "--out %s is a file of the search in --keep %s (its candidates' models, tune.log, "
                 "tune-search.txt): name the configuration another file", r->out, r->keep);
        return -1;
    }
    if (!r->down || (r->model && !strcmp(r->model, "convlstm-ae"))) return 0;
    snprintf(why, why_len, "--down %s needs --model convlstm-ae (the other models do not downsample)", r->down);
    return -1;
}

const cc_command_spec CC_TUNE_SPEC = {
    .name = "tune",
    .synopsis = "--data TENSOR.h5 --out CONFIG.json [--budget 8] [--epochs 20] [--patience 4] [--window 8]\n"
                "                [--seed S] [--threads N] [--keep DIR [--resume]] [--model convlstm|convlstm-ae]\n"
                "                [--down 2|4] [--batch N]",
    .description =
        "Trains `budget` candidate ConvLSTMs on the tensor (the first is train's default, the\n"
        "others drawn without repetition, seeded, from: hidden 8,8 / 16,16 / 32,32; kernel 3 / 5;\n"
        "lr 1e-3 / 3e-3; context on / off; skip 3 / 1 / 0; baseline auto / none; level-gate\n"
        "skip / off / on), each for at most --epochs epochs with early stopping, and scores each by\n"
        "its best validation loss (mean Poisson loss per cell on the validation span). The test\n"
        "span is never looked at. Prints every candidate and writes the best as CONFIG.json,\n"
        "which `crimecast train --config` reads. --model, --down and --batch are the same for\n"
        "every candidate and written with the winner: --model convlstm-ae --down 4 --batch 8\n"
        "searches at patrol resolution (150 m cells), where the plain ConvLSTM does not fit.\n"
        "A search stopped by Ctrl-C (or killed) with --keep DIR goes on with --resume: it ends\n"
        "where the uninterrupted search ends, bit for bit.\n",
    .request_size = sizeof(cc_tune_request),
    .groups = TUNE_GROUPS,
    .group_count = 1,
    .check = check_request,
};

void cc_tune_request_defaults(cc_tune_request *r) { cc_options_defaults(&CC_TUNE_SPEC, r); }

/* A directory for the candidates: --keep DIR, or a fresh temporary one (removed after). */
static int candidate_dir(const cc_tune_request *a, char *dir, size_t len, char *err, size_t err_len) {
    if (a->keep) {
        snprintf(dir, len, "%s", a->keep);
        struct stat st;
        if (a->resume && stat(dir, &st) != 0) { /* not made: there is nothing in it to resume */
            snprintf(err, err_len, "--resume: --keep %s: %s (the directory of the stopped search)", dir, strerror(errno));
            return -1;
        }
        if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))) return 0;
        snprintf(err, err_len, "--keep %s: %s", dir, errno == EEXIST ? "a file, not a directory" : strerror(errno));
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, len, "%s/crimecast-tune-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(dir)) return 0;
    snprintf(err, err_len, "cannot create a temporary directory: %s", strerror(errno));
    return -1;
}

/* What makes a search the same search: the candidates it trains (their order is the
 * seed's) and what each trains on and for how long. The budget is not in it: a resume
 * with a larger one goes on to further candidates of the same order. */
static void search_terms(const cc_tune_request *a, uint64_t tensor, char *text, size_t len) {
    /* the CPU threads as the ops take them (0: this machine's all): sums split otherwise */
    int threads = cc_cpu_threads(&(cc_ops_context){.backend = CC_BACKEND_CPU, .threads = a->threads});
    snprintf(text, len,
             "crimecast tune search\ntensor digest %016llx\nepochs %d\npatience %d\nwindow %d\nseed %d\nmodel %s\n"
             "down %s\nbatch %d\nthreads %d\n", (unsigned long long)tensor, a->epochs, a->patience, a->window, a->seed,
             a->model ? a->model : CC_DEFAULT_MODEL, a->down ? a->down : "-", a->batch, threads);
}

/* The first line where two searches' terms differ, as "A, not B" (the terms have no
 * line longer than 80 bytes). */
static void first_difference(const char *was, const char *now, char *out, size_t len) {
    while (*was && *now) {
        size_t a = strcspn(was, "\n"), b = strcspn(now, "\n");
        if (a != b || memcmp(was, now, a) != 0) {
            snprintf(out, len, "%.*s, not %.*s", (int)(a < 200 ? a : 200), was, (int)(b < 200 ? b : 200), now);
            return;
        }
        was += a + (was[a] != 0), now += b + (now[b] != 0);
    }
    snprintf(out, len, "%s", *was || *now ? "other terms" : "the same terms");
}

/* Candidate i's model file in DIR: DIR/candidate-NN.h5, NN from 1. */
static void candidate_path(const char *dir, int i, char *path, size_t len) {
    snprintf(path, len, "%s/candidate-%02d.h5", dir, i + 1);
}

/* A file of the search in DIR that each rank keeps its own of under mpirun (DIR may be
 * shared): DIR/STEM.EXT for rank 0 and one process, DIR/STEM-rankN.EXT for the others. */
static void rank_file_path(const char *dir, const char *stem, const char *ext, const cc_collective *all, char *path,
                           size_t len) {
    if (all && all->rank > 0) snprintf(path, len, "%s/%s-rank%d.%s", dir, stem, all->rank, ext);
    else snprintf(path, len, "%s/%s.%s", dir, stem, ext);
}

/* Whether candidate i is this process's to train: every one alone, i mod N of N ranks. */
static int own_candidate(const cc_tune_request *a, int i) {
    return !a->collective || i % a->collective->size == a->collective->rank;
}

/* A new search in DIR: the model files of an earlier one there are removed, each rank
 * its own candidates' (i mod N), so that a resume of this one cannot take them for its
 * own (they hold other options, under the same names). Every index a search can have. */
static void remove_own_candidates(const cc_tune_request *a, const char *dir) {
    for (int i = 0; i < MAX_BUDGET; i++) {
        if (!own_candidate(a, i)) continue;
        char path[4200];
        candidate_path(dir, i, path, sizeof path);
        unlink(path);
    }
}

/* The first model file of this rank's candidates (i mod N) in DIR, into `path`: 1, or 0
 * when there is none. */
static int own_candidate_kept(const cc_tune_request *a, const char *dir, char *path, size_t len) {
    for (int i = 0; i < MAX_BUDGET; i++) {
        if (!own_candidate(a, i)) continue;
        candidate_path(dir, i, path, len);
        if (access(path, F_OK) == 0) return 1;
    }
    return 0;
}

/* A new search in DIR by `all`'s ranks (or one process): the records of ranks past its
 * own that an earlier search of more ranks left (DIR/tune-search-rankN.txt, N >= the
 * ranks now), removed by rank 0, so that a resume of this one by more ranks does not
 * read them as its own (it was refused as "begun on other terms"). */
static void remove_records_of_other_ranks(const cc_tune_request *a, const char *dir) {
    int ranks = a->collective ? a->collective->size : 1;
    if (a->collective && a->collective->rank != 0) return;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        int rank = -1, end = 0;
        if (sscanf(e->d_name, "tune-search-rank%d.txt%n", &rank, &end) != 1 || e->d_name[end] || rank < ranks) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
}

/* A resume's record of the search: this rank's own, or, when a search begun by fewer
 * ranks left it none, rank 0's (every rank's holds the same terms: the candidates are
 * the seed's, whichever rank trains them). NULL when neither can be opened, with
 * errno of this rank's. */
static FILE *open_record(const cc_tune_request *a, const char *dir, const char *path) {
    FILE *f = fopen(path, "r");
    if (f || !a->collective || a->collective->rank == 0) return f;
    int own_errno = errno;
    char first[4200];
    rank_file_path(dir, "tune-search", "txt", NULL, first, sizeof first);
    f = fopen(first, "r");
    if (!f) errno = own_errno;
    return f;
}

/* --keep DIR: the search's terms in DIR/tune-search.txt. Written by a new search; a
 * resume reads it and goes on only with the same terms (another --epochs or seed would
 * mix candidates of two searches, scored on other terms). 0, or -1 with err. */
static int search_record(const cc_tune_request *a, const char *dir, uint64_t tensor, char *err, size_t err_len) {
    char path[4200], terms[1024], was[1100];
    rank_file_path(dir, "tune-search", "txt", a->collective, path, sizeof path); /* each rank its own, as its log */
    search_terms(a, tensor, terms, sizeof terms);
    if (!a->resume) {
        char kept[4200];
        if (access(path, F_OK) != 0 && own_candidate_kept(a, dir, kept, sizeof kept)) { /* no search's: the user's */
            snprintf(err, err_len, "--keep %s holds %s but no record of a search there (%s): not removed; give "
                     "another --keep DIR, or move it away", dir, kept, path);
            return -1;
        }
        remove_own_candidates(a, dir); /* a resume of this search must not find another's */
        remove_records_of_other_ranks(a, dir);
        cc_whole_file file;
        FILE *f = cc_whole_file_fopen(&file, path, err, err_len);
        if (!f) return -1;
        fputs(terms, f);
        return cc_whole_file_fclose(&file, f, 1, err, err_len);
    }
    FILE *f = open_record(a, dir, path);
    if (!f) {
        snprintf(err, err_len, "--resume: %s: %s (no search of crimecast tune --keep was begun in %s)", path,
                 strerror(errno), dir);
        return -1;
    }
    size_t n = fread(was, 1, sizeof was - 1, f);
    fclose(f);
    was[n] = 0;
    if (strcmp(was, terms) == 0) return 0;
    char differ[500];
    first_difference(was, terms, differ, sizeof differ);
    snprintf(err, err_len, "--resume: the search in %s was begun on other terms (%s; see %s): resume it with the "
             "same --data, --epochs, --patience, --window, --seed, --model, --down, --batch and CPU threads "
             "(--threads: the ops' sums split by them), or begin a new one without --resume", dir, differ, path);
    return -1;
}

/* The candidates of the first `budget` whose model files a resume goes on from. */
static int kept_candidates(const char *dir, int budget) {
    int kept = 0;
    for (int i = 0; i < budget; i++) {
        char path[4200];
        candidate_path(dir, i, path, sizeof path);
        kept += access(path, F_OK) == 0;
    }
    return kept;
}

/* The temporary directory's files, removed with it if a signal ends the process (SIGHUP,
 * or a second Ctrl-C or SIGTERM: they were left in $TMPDIR; a first Ctrl-C or SIGTERM stops
 * the search, which removes them itself). Without memory for the list it is not held: what
 * it would remove stays, as before. */
static void hold_temporary_dir(const cc_tune_request *a, const char *dir) {
    int count = a->budget + 1;
    char (*paths)[4200] = malloc(sizeof *paths * (size_t)count);
    const char **named = malloc(sizeof *named * (size_t)count);
    if (paths && named) {
        for (int i = 0; i < a->budget; i++) candidate_path(dir, i, paths[i], sizeof paths[i]);
        rank_file_path(dir, "tune", "log", a->collective, paths[a->budget], sizeof paths[a->budget]);
        for (int i = 0; i < count; i++) named[i] = paths[i];
        cc_whole_file_hold_directory(dir, named, count);
    }
    free(paths), free(named);
}

/* Removes the candidates' model files, and with `log` the log and the directory. */
static void remove_candidates(const char *dir, int budget, const cc_collective *all, int log) {
    char path[4200];
    for (int i = 0; i < budget; i++) {
        candidate_path(dir, i, path, sizeof path);
        unlink(path);
    }
    if (!log) return;
    rank_file_path(dir, "tune", "log", all, path, sizeof path);
    unlink(path);
    rmdir(dir);
}

/* Trains one candidate into `model`, its epochs into `log`; 0 with its best validation
 * loss, -1 with err, or FILE_FAILED with err when its model file could not be written (a
 * full disk) or, kept by the stopped search a resume goes on from, cannot be read (damaged,
 * or no memory to read it into): the machine's or the file's failure, which would score
 * the candidate as a bad one and let another win. */
enum { FILE_FAILED = -2 };
static int try_candidate(const cc_tune_request *a, const cc_train_config *c, const char *model, FILE *log,
                         double *loss, char *err, size_t err_len) {
    cc_train_request r;
    cc_train_request_defaults(&r);
    if (cc_train_request_configure(&r, c, err, err_len) != 0) return -1;
    r.data = a->data, r.out = model;
    if (a->resume && access(model, F_OK) == 0) r.resume = model; /* in place: its own options, the search's */
    r.epochs = a->epochs, r.patience = a->patience, r.window = a->window, r.seed = a->seed;
    r.device.threads = a->threads;
    r.local_rank = a->collective ? a->collective->local_rank : 0; /* its own GPU under mpirun */
    r.local_size = a->collective ? a->collective->local_size : 1;
    r.beside_others = a->collective && a->collective->size > 1;
    r.validation_only = 1; /* its help says the test span is never looked at */
    r.stop = a->stop;
    cc_train_outcome outcome = {0};
    if (cc_run_train(&r, log, &outcome, err, err_len) != 0)
        return outcome.file_unwritten || outcome.resume_unreadable ? FILE_FAILED : -1;
    *loss = outcome.best_val;
    if (isfinite(*loss)) return 0;
    snprintf(err, err_len, "no finite validation loss");
    return -1;
}

/* Why a candidate failed: on stderr, and in the log beside its epochs. */
static void report_failure(FILE *log, int candidate, const char *err) {
    fprintf(log, "crimecast tune: candidate %d: %s\n", candidate, err);
    fflush(log);
    fprintf(stderr, "crimecast tune: candidate %d: %s\n", candidate, err);
}

static void print_row(FILE *out, int i, const cc_train_config *c, int ok, double loss, double seconds) {
    char score[48] = "failed (tune.log)";
    if (ok) snprintf(score, sizeof score, "%s", cc_loss_shown(loss).text);
    fprintf(out, "%-4d %-8s %-6s %-7s %-8s %-5s %-9s %-5s %-16s %.1f s\n", i + 1, cc_train_config_get(c, "hidden"),
            cc_train_config_get(c, "kernel"), cc_train_config_get(c, "lr"), cc_train_config_get(c, "context"),
            cc_train_config_get(c, "skip"), cc_train_config_get(c, "baseline"), cc_train_config_get(c, "level-gate"),
            score, seconds);
    fflush(out);
}

/* Under mpirun: candidate i trained by rank i mod N; each score (ok, loss, seconds) then
 * broadcast from its rank, so every rank picks the same winner one process would. */
static int spread_scores(const cc_tune_request *a, const char *dir, FILE *log, const int *order, double (*scores)[3]) {
    const cc_collective *all = a->collective;
    for (int i = 0; i < a->budget; i++) {
        scores[i][0] = 0, scores[i][1] = NAN, scores[i][2] = 0;
        if (!own_candidate(a, i)) continue;
        cc_train_config c;
        candidate_options(a, order[i], &c);
        char model[4200], err[1024];
        candidate_path(dir, i, model, sizeof model);
        double start = cc_now_seconds();
        int got = try_candidate(a, &c, model, log, &scores[i][1], err, sizeof err);
        scores[i][0] = got == 0 ? 1 : got == FILE_FAILED ? -1 : 0; /* -1: its file unwritten or unreadable */
        if (got != 0) report_failure(log, i + 1, err);
        scores[i][2] = cc_now_seconds() - start;
    }
    for (int i = 0; i < a->budget; i++)
        if (all->broadcast_doubles(all->self, scores[i], 3, i % all->size) != 0) return -1;
    return 0;
}

/* The search ends when a candidate's model file could not be written or, kept, read:
 * scored as failed, it would have let a worse one win (exit 0). */
static void search_stopped_unwritten(const cc_tune_request *a, int candidate, const char *why, char *err,
                                     size_t err_len) {
    snprintf(err, err_len, "candidate %d's model file could not be written or read (%s): the search stops, no "
             "configuration written%s", candidate + 1, why,
             a->keep ? "; once there is room (or the damaged file removed: its candidate is trained again), the same "
                       "command with --resume goes on from the candidates kept" : "");
}

/* The candidates' log: DIR/tune.log, or under mpirun one per rank. */
static void log_path_of(const cc_tune_request *a, const char *dir, char *path, size_t len) {
    rank_file_path(dir, "tune", "log", a->collective, path, len);
}

/* The search; fills best (its options) and returns its index in the order, or -1 (with
 * err when none could run: the log unwritable, the ranks' scores not shared). *stopped: the candidates a Ctrl-C left
 * finished (those before the one it stopped or kept from beginning), or -1. */
static int search(const cc_tune_request *a, const char *dir, FILE *out, cc_train_config *best, double *best_loss,
                  int *stopped, char *err, size_t err_len) {
    int order[SPACE_SIZE], winner = -1;
    *stopped = -1;
    err[0] = 0;
    search_order((unsigned)a->seed, order);
    *best_loss = INFINITY;
    char log_path[4200];
    log_path_of(a, dir, log_path, sizeof log_path);
    FILE *log = fopen(log_path, "a");
    if (!log) {
        snprintf(err, err_len, "cannot write %s: %s (no candidate was trained)", log_path, strerror(errno));
        return -1;
    }
    fprintf(out, "%-4s %-8s %-6s %-7s %-8s %-5s %-9s %-5s %-16s %s\n", "#", "hidden", "kernel", "lr", "context", "skip",
            "baseline", "gate", "validation loss", "time");
    if (a->collective) {
        double (*scores)[3] = malloc(sizeof *scores * (size_t)a->budget);
        int shared = scores && spread_scores(a, dir, log, order, scores) == 0;
        if (!shared) /* not 'every candidate failed': their scores never met */
            snprintf(err, err_len, scores ? "the candidates' scores could not be shared over the ranks (the MPI "
                                            "message above says why)" : "out of memory for the candidates' scores");
        int unwritten = -1;
        for (int i = 0; shared && i < a->budget; i++) {
            cc_train_config c;
            candidate_options(a, order[i], &c);
            print_row(out, i, &c, scores[i][0] > 0, scores[i][1], scores[i][2]);
            if (scores[i][0] > 0 && scores[i][1] < *best_loss) *best_loss = scores[i][1], *best = c, winner = i;
            if (scores[i][0] < 0 && unwritten < 0) unwritten = i;
        }
        if (shared && unwritten >= 0) {
            search_stopped_unwritten(a, unwritten, "its rank's message above says why", err, err_len);
            winner = -1;
        }
        free(scores);
        fclose(log);
        return winner;
    }
    for (int i = 0; i < a->budget; i++) {
        cc_train_config c;
        candidate_options(a, order[i], &c);
        char model[4200], failure[1024];
        candidate_path(dir, i, model, sizeof model);
        double loss = NAN, start = cc_now_seconds();
        int got = try_candidate(a, &c, model, log, &loss, failure, sizeof failure), ok = got == 0;
        if (got == FILE_FAILED) { /* not a bad candidate: the next would fail alike, or win unfairly */
            report_failure(log, i + 1, failure);
            print_row(out, i, &c, 0, loss, cc_now_seconds() - start);
            search_stopped_unwritten(a, i, failure, err, err_len);
            fclose(log);
            return -1;
        }
        int ctrl_c = a->stop && *a->stop;
        if (ctrl_c && !ok) { /* its training was stopped: unfinished, not failed */
            *stopped = i;
            break;
        }
        if (!ok) report_failure(log, i + 1, failure);
        print_row(out, i, &c, ok, loss, cc_now_seconds() - start);
        if (ok && loss < *best_loss) *best_loss = loss, *best = c, winner = i;
        if (ctrl_c && i + 1 < a->budget) { /* after its last step: it counts, the next is not begun */
            *stopped = i + 1;
            break;
        }
    }
    fclose(log);
    return winner;
}

/* The winner's options with the run's window, epochs, patience and seed, written to
 * a->out: train --config then trains the winner again, bit for bit. */
static int write_best(const cc_tune_request *a, cc_train_config *best, double loss, char *err, size_t err_len) {
    char text[4][16];
    snprintf(text[0], sizeof text[0], "%d", a->window);
    snprintf(text[1], sizeof text[1], "%d", a->epochs);
    snprintf(text[2], sizeof text[2], "%d", a->patience);
    snprintf(text[3], sizeof text[3], "%d", a->seed);
    cc_train_config_set(best, "window", text[0]);
    cc_train_config_set(best, "epochs", text[1]);
    cc_train_config_set(best, "patience", text[2]);
    cc_train_config_set(best, "seed", text[3]);
    return cc_train_config_write(a->out, best, a->data, loss, err, err_len);
}

/* Whether the tensor file reads (its counts, checked as every reader checks them, and its
 * recency maps, as training reads them): a file that does not failed each candidate in
 * turn, the cause only in the log; one whose recency maps do not match its counts failed
 * only the candidates that read them, and another won, exit 0 (a probe). */
static int readable_tensor(const char *path, int threads, uint64_t *digest, int *bins, char *err, size_t err_len) {
    cc_tensor t;
    if (cc_tensor_read(path, "counts", &t, err, err_len) != 0) return -1;
    *digest = cc_digest_tensor(&t), *bins = t.T;
    int status = cc_tensor_read_recency(path, &t, threads, err, err_len);
    cc_tensor_free(&t);
    return status;
}

/* What fails every candidate alike, said once before the first: the split of the tensor's
 * bins for --window, and --batch against its training samples (each candidate met it in
 * turn, the search's directory kept for a log of the same line; a probe). The candidates
 * forecast one bin ahead, split as train splits by default. */
static int every_candidate_can_train(const cc_tune_request *a, int bins, char *err, size_t err_len) {
    cc_split split;
    if (cc_split_make(bins, a->window, 1, -1, &split, err, err_len) != 0) return -1;
    int n = cc_split_samples(&split, CC_SPAN_TRAIN);
    if (a->batch > n) {
        snprintf(err, err_len, "%s: %d training sample%s at --window %d, fewer than one batch of %d: no candidate can "
                 "train (lower --batch or --window)", a->data, n, n == 1 ? "" : "s", a->window, a->batch);
        return -1;
    }
    return 0;
}

/* The winner no better on the validation span than its model before the first step (the
 * historical average it corrects, or what it has instead): said on stderr, as train says it (tune wrote it to its
 * log alone, and an analyst took the "tuned" configuration for one that beats the baseline;
 * a probe). Read from the winner's model file, where there is one to read here (under mpirun
 * without --keep, only rank 0's own candidates are: another rank's winner is not judged). */
static void warn_winner_not_better(const char *dir, int winner, double loss) {
    char path[4200];
    candidate_path(dir, winner, path, sizeof path);
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    char ignored[512];
    memset(&state, 0, sizeof state);
    if (access(path, R_OK) != 0 || cc_checkpoint_read(path, 1, &model, &info, &state, ignored, sizeof ignored) != 0)
        return;
    const char *untrained = cc_untrained_model_words(info.loss, info.config.baseline_k);
    if (isfinite(state.untrained_val) && (!isfinite(loss) || cc_loss_no_better(loss, state.untrained_val)))
        fprintf(stderr, "crimecast tune: warning: the best candidate's validation loss %s is no better than its "
                "untrained model's %s (%s): no candidate beat that; more --epochs, a larger --budget, or that "
                "baseline itself\n", cc_loss_shown(loss).text, cc_loss_shown(state.untrained_val).text, untrained);
    cc_train_state_free(&state);
    cc_model_info_free(&info);
    cc_convlstm_free(&model);
}

/* --keep DIR: one search at a time in it (two at once wrote their candidates and records
 * over each other's, and a resume took the other's model files for its own): the rank's
 * log is locked for the run, a second search waiting for the first. 0, or -1 with err. */
static int hold_search_dir(const cc_tune_request *a, const char *dir, cc_file_lock *lock, char *err, size_t err_len) {
    char path[4200];
    log_path_of(a, dir, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd < 0) {
        snprintf(err, err_len, "cannot write %s: %s (no candidate was trained)", path, strerror(errno));
        return -1;
    }
    close(fd);
    return cc_file_lock_take(lock, path, "crimecast tune", err, err_len);
}

static int search_in(const cc_tune_request *a, const char *dir, uint64_t digest, FILE *out, char *err,
                     size_t err_len);

int cc_run_tune(const cc_tune_request *a, FILE *out, char *err, size_t err_len) {
    char dir[4096];
    int writes = !a->collective || a->collective->rank == 0;
    if (writes && cc_whole_file_check(a->out, err, err_len) != 0) return -1; /* before hours of search */
    /* not as every candidate's failure; under mpirun every rank has read it already */
    uint64_t digest = a->tensor_digest;
    int bins = a->tensor_bins;
    if (!a->collective && readable_tensor(a->data, a->threads, &digest, &bins, err, err_len) != 0) return -1;
    if (every_candidate_can_train(a, bins, err, err_len) != 0) return -1;
    if (candidate_dir(a, dir, sizeof dir, err, err_len) != 0) return -1;
    if (!a->keep) {
        hold_temporary_dir(a, dir);
        int status = search_in(a, dir, digest, out, err, err_len);
        cc_whole_file_release_directory();
        return status;
    }
    cc_file_lock held;
    if (hold_search_dir(a, dir, &held, err, err_len) != 0) return -1;
    int status = search_in(a, dir, digest, out, err, err_len);
    cc_file_lock_release(&held);
    return status;
}

/* The search in `dir`, its record first when kept; the result said or written. */
static int search_in(const cc_tune_request *a, const char *dir, uint64_t digest, FILE *out, char *err,
                     size_t err_len) {
    if (a->keep && search_record(a, dir, digest, err, err_len) != 0) return -1;
    fprintf(out, "tuning on %s: %d candidate%s, at most %d epoch%s each, window %d; scored on the validation span\n",
            a->data, a->budget, a->budget == 1 ? "" : "s", a->epochs, a->epochs == 1 ? "" : "s", a->window);
    int kept = a->resume ? kept_candidates(dir, a->budget) : 0;
    if (a->resume)
        fprintf(out, "resuming the search in %s: %d of the %d candidates go on from their model files there (a "
                "finished one is read, not trained again)\n", dir, kept, a->budget);
    cc_train_config best;
    double loss;
    int stopped, winner = search(a, dir, out, &best, &loss, &stopped, err, err_len), status = -1;
    if (stopped >= 0) {
        char so_far[128] = "none finished";
        if (winner >= 0)
            snprintf(so_far, sizeof so_far, "the best so far: candidate %d, validation loss %s", winner + 1,
                     cc_loss_shown(loss).text);
        snprintf(err, err_len,
                 "stopped by %s with %d of %d candidates finished (%s); no configuration written%s%s%s",
                 a->stop && *a->stop == SIGTERM ? "SIGTERM" : "Ctrl-C", stopped,
                 a->budget, so_far, a->keep ? "; the candidates so far are in " : "", a->keep ? a->keep : "",
                 a->keep ? " (a stopped one's file holds its best epoch before the stop): the same command with --resume goes "
                           "on from them"
                         : " (with --keep DIR a stopped search can go on with --resume)");
        if (!a->keep) remove_candidates(dir, a->budget, a->collective, 1);
        return -1;
    }
    int none_ran = winner < 0 && err[0]; /* none to judge (log unwritable, scores unshared): err says why */
    if (none_ran) {
        /* err says why */
    } else if (winner < 0) {
        snprintf(err, err_len, "every candidate failed; see the log in %s%s", dir,
                 a->keep ? "" : " (kept for that; remove the directory after)");
    } else if (a->collective && a->collective->rank > 0) {
        status = 0; /* rank 0 writes the configuration */
    } else if (write_best(a, &best, loss, err, err_len) == 0) {
        fprintf(out, "best: candidate %d, validation loss %s -> %s (use: crimecast train --config %s ...)\n",
                winner + 1, cc_loss_shown(loss).text, a->out, a->out);
        warn_winner_not_better(dir, winner, loss);
        status = 0;
    }
    if (!a->keep) remove_candidates(dir, a->budget, a->collective, winner >= 0 || none_ran); /* a failure's log stays */
    return status;
}
