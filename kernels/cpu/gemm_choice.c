/* kernels/cpu/gemm_choice.h: the kernel set search. The pure parts (check, ranks, next
 * candidate, state text) come first; the process parts (fork, exec) after. */
#define _GNU_SOURCE
#include "kernels/cpu/gemm_choice.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the check against a float64 reference ---- */

static float test_value(unsigned *seed) {
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f; /* in [-1, 1) */
}

static double check_case(cc_sgemm_fn gemm, int ta, int tb, int m, int n, int k, unsigned seed) {
    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1; /* leading dimensions past the rows */
    size_t a_len = (size_t)(ta ? k : m) * lda, b_len = (size_t)(tb ? n : k) * ldb, c_len = (size_t)m * ldc;
    float *a = malloc(sizeof *a * a_len), *b = malloc(sizeof *b * b_len), *c = malloc(sizeof *c * c_len);
    float *c0 = malloc(sizeof *c0 * c_len);
    double worst = INFINITY; /* out of memory counts as failing */
    if (a && b && c && c0) {
        for (size_t q = 0; q < a_len; q++) a[q] = test_value(&seed);
        for (size_t q = 0; q < b_len; q++) b[q] = test_value(&seed);
        for (size_t q = 0; q < c_len; q++) c0[q] = c[q] = test_value(&seed);
        const float alpha = 0.75f, beta = -0.5f;
        gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double sum = 0, scale = fabs((double)beta * c0[(size_t)i * ldc + j]);
                for (int p = 0; p < k; p++) {
                    double x = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                    double y = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                    sum += alpha * x * y;
                    scale += fabs(alpha * x * y);
                }
                double want = sum + (double)beta * c0[(size_t)i * ldc + j];
                double error = fabs((double)c[(size_t)i * ldc + j] - want) / (scale + 1e-30);
                if (!(error <= worst)) worst = error; /* NaN propagates as a failure */
            }
    }
    free(a), free(b), free(c), free(c0);
    return worst;
}

double cc_gemm_check(cc_sgemm_fn gemm) {
    static const int shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {100, 70, 130}, {20, 40, 400}};
    double worst = 0;
    unsigned seed = 12345;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            double e = check_case(gemm, t & 1, t >> 1, shapes[s][0], shapes[s][1], shapes[s][2], seed++);
            if (!(e <= worst)) worst = e;
        }
    return worst;
}

/* ---- core types ---- */

int cc_gemm_core_rank(const char *core) {
    static const char *avx512[] = {"skylakex", "cooperlake", "sapphirerapids"};
    static const char *avx2[] = {"haswell", "zen", "skylake", "broadwell", "excavator"};
    static const char *older[] = {"prescott", "core2", "penryn", "dunnington", "nehalem", "sandybridge",
                                  "atom", "opteron", "barcelona", "bobcat", "bulldozer", "piledriver",
                                  "steamroller", "katmai", "coppermine", "northwood", "banias", "generic"};
#define FIND(table, rank) \
    for (size_t q = 0; q < sizeof table / sizeof table[0]; q++) \
        if (!strcasecmp(core, table[q])) return rank;
    FIND(avx512, 3)
    FIND(avx2, 2)
    FIND(older, 1)
#undef FIND
    return 0;
}

const char *cc_gemm_core_for_features(int avx512, int avx2_fma) {
    return avx512 ? "SkylakeX" : avx2_fma ? "Haswell" : NULL;
}

/* ---- the search state ---- */

static int failed_before(const cc_gemm_search *s, const char *core) {
    for (int q = 0; q < s->failed_count; q++)
        if (!strcasecmp(s->failed[q], core)) return 1;
    return 0;
}

const char *cc_gemm_next_core(const cc_gemm_search *s, const char *loaded, int avx512, int avx2_fma) {
    const char *candidates[] = {cc_gemm_core_for_features(avx512, avx2_fma), avx2_fma ? "Haswell" : NULL, s->own};
    for (size_t q = 0; q < 3; q++) {
        const char *c = candidates[q];
        if (c && c[0] && strcasecmp(c, loaded) != 0 && !failed_before(s, c)) return c;
    }
    return NULL;
}

int cc_gemm_should_upgrade(const cc_gemm_search *s, int first_start, const char *loaded, int avx512, int avx2_fma) {
    const char *wanted = cc_gemm_core_for_features(avx512, avx2_fma);
    int rank = cc_gemm_core_rank(loaded);
    return first_start && !s->user && wanted && rank > 0 && rank < cc_gemm_core_rank(wanted);
}

void cc_gemm_search_format(const cc_gemm_search *s, char *out, size_t out_len) {
    int used = snprintf(out, out_len, "own=%s;user=%d;failed=", s->own, s->user);
    for (int q = 0; q < s->failed_count && used >= 0 && (size_t)used < out_len; q++)
        used += snprintf(out + used, out_len - (size_t)used, "%s%s:%s", q ? "," : "", s->failed[q], s->failed_how[q]);
}

/* Copies text up to any of `stops` into out (at most out_len - 1 characters). */
static const char *take_word(const char *text, const char *stops, char *out, size_t out_len) {
    size_t n = strcspn(text, stops);
    if (n >= out_len) return NULL;
    memcpy(out, text, n);
    out[n] = 0;
    return text + n;
}

int cc_gemm_search_parse(const char *text, cc_gemm_search *s) {
    memset(s, 0, sizeof *s);
    if (strncmp(text, "own=", 4) != 0 || !(text = take_word(text + 4, ";", s->own, sizeof s->own))) return -1;
    if (strncmp(text, ";user=", 6) != 0 || (text[6] != '0' && text[6] != '1')) return -1;
    s->user = text[6] == '1';
    if (strncmp(text + 7, ";failed=", 8) != 0) return -1;
    text += 15;
    while (*text) {
        if (s->failed_count == 4) return -1;
        int q = s->failed_count;
        if (!(text = take_word(text, ":", s->failed[q], sizeof s->failed[q])) || *text != ':') return -1;
        if (!(text = take_word(text + 1, ",", s->failed_how[q], sizeof s->failed_how[q]))) return -1;
        s->failed_count++;
        if (*text == ',') text++;
    }
    return 0;
}

/* ---- the search in the process ---- */

/* Written once, by cc_cpu_gemm_choose at the start of main, before any thread exists. */
static char choice[1024] = "built-in loops (the search did not run)";
static int use_loops;

const char *cc_cpu_gemm_choice(void) { return choice; }
int cc_cpu_gemm_uses_loops(void) { return use_loops; }

#ifdef CRIMECAST_HAVE_BLAS
#include <cblas.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void cpu_features(int *avx512, int *avx2_fma) {
    *avx512 = *avx2_fma = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    *avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    *avx512 = *avx2_fma && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
              __builtin_cpu_supports("avx512cd");
#endif
}

static void openblas_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                          int ldb, float beta, float *c, int ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
                lda, b, ldb, beta, c, ldc);
}

/* Whether CRIMECAST_GEMM_FAULT ("core[:crash],...") names this kernel set. */
static int injected_fault(const char *loaded, int *crash) {
    const char *fault = getenv("CRIMECAST_GEMM_FAULT");
    size_t len = strlen(loaded);
    for (const char *t = fault; t && *t; t += strcspn(t, ","), t += *t == ',') {
        if (strncasecmp(t, loaded, len) != 0 || (t[len] != 0 && t[len] != ',' && t[len] != ':')) continue;
        *crash = !strncmp(t + len, ":crash", 6);
        return 1;
    }
    return 0;
}

/* How long the child's check may take: milliseconds of GEMMs, given a loaded machine's
 * margin. OpenBLAS retries a buffer it cannot allocate for ever (a tight ulimit -v), so
 * a child that does not answer by then is killed and its kernels count as failed. */
enum { CHECK_WAIT_MS = 30000 };

/* The loaded kernels' largest error, measured in a child process so that an illegal
 * instruction kills the child only. Returns 0 passed, 1 wrong results, 2 crashed, 3 hung. */
static int check_loaded(const char *loaded, double *error) {
    int crash = 0, faulty = injected_fault(loaded, &crash);
    int fds[2];
    fflush(NULL);
    pid_t child = pipe(fds) == 0 ? fork() : -1;
    if (child == 0) {
        close(fds[0]);
        openblas_set_num_threads(1);
        if (crash) raise(SIGILL);
        double e = faulty ? 1.0 : cc_gemm_check(openblas_gemm);
        _exit(write(fds[1], &e, sizeof e) == (ssize_t)sizeof e ? 0 : 3);
    }
    if (child < 0) { /* no child to spare: check here, a crash then ends the program */
        *error = faulty ? 1.0 : cc_gemm_check(openblas_gemm);
        return *error <= CC_GEMM_CHECK_LIMIT ? 0 : 1;
    }
    close(fds[1]);
    struct pollfd answer = {fds[0], POLLIN, 0};
    int ready;
    while ((ready = poll(&answer, 1, CHECK_WAIT_MS)) < 0 && errno == EINTR)
        ;
    int hung = ready <= 0; /* silent for CHECK_WAIT_MS, or poll itself failed: no blocking read after it */
    if (hung) kill(child, SIGKILL);
    ssize_t got = hung ? 0 : read(fds[0], error, sizeof *error);
    close(fds[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (hung) return 3;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof *error) return 2;
    return *error <= CC_GEMM_CHECK_LIMIT ? 0 : 1;
}

/* Executes the program again with OPENBLAS_CORETYPE=core; returns only when it cannot
 * (started through the dynamic loader, whose /proc/self/exe would take argv[1] for the
 * program, or exec failed). */
static void restart_with(const char *core, const cc_gemm_search *s, char **argv) {
    char self[4096], state[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return;
    self[n] = 0;
    const char *base = strrchr(self, '/') ? strrchr(self, '/') + 1 : self;
    if (!strncmp(base, "ld-", 3) || !strncmp(base, "ld.so", 5)) return;
    cc_gemm_search_format(s, state, sizeof state);
    if (setenv("OPENBLAS_CORETYPE", core, 1) != 0 || setenv("CRIMECAST_GEMM_STATE", state, 1) != 0) return;
    fflush(NULL);
    execv(self, argv);
}

static const char *openblas_version(void) {
    static char version[64];
    const char *config = openblas_get_config(); /* "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." */
    int words = 0;
    size_t n = 0;
    while (config[n] && !(config[n] == ' ' && ++words == 2)) n++;
    snprintf(version, sizeof version, "%.*s", (int)n, config);
    return version;
}

/* Why the loaded set runs: appended to `choice`. */
static void describe(const cc_gemm_search *s, int first_start, const char *loaded, int avx512, int avx2_fma,
                     double error) {
    char why[256] = "", failures[192] = "";
    const char *wanted = cc_gemm_core_for_features(avx512, avx2_fma);
    const char *features = avx512 ? "AVX-512 F/DQ/BW/VL/CD" : avx2_fma ? "AVX2 + FMA" : "no AVX2";
    const char *asked = getenv("OPENBLAS_CORETYPE");
    if (s->user && s->failed_count == 0 && asked && strcasecmp(asked, loaded) != 0)
        snprintf(why, sizeof why, "set by OPENBLAS_CORETYPE=%.40s, which OpenBLAS runs on these kernels", asked);
    else if (s->user && s->failed_count == 0)
        snprintf(why, sizeof why, "set by OPENBLAS_CORETYPE");
    else if (first_start)
        snprintf(why, sizeof why, "OpenBLAS's own pick; the CPU's features, %s, ask for no wider set", features);
    else if (wanted && !strcasecmp(loaded, wanted))
        snprintf(why, sizeof why, "chosen from the CPU's features, %s; %s was %s", features,
                 s->user ? "OPENBLAS_CORETYPE's pick" : "OpenBLAS's own pick", s->own);
    else
        snprintf(why, sizeof why, "the next set after those that failed; CPU features %s, %s %s", features,
                 s->user ? "OPENBLAS_CORETYPE's pick" : "OpenBLAS's own pick", s->own);
    for (int q = 0; q < s->failed_count; q++) {
        size_t used = strlen(failures);
        snprintf(failures + used, sizeof failures - used, "%s%s %s", q ? ", " : "; failed the check: ", s->failed[q],
                 s->failed_how[q]);
    }
    snprintf(choice, sizeof choice, "%s, %s kernels (%s%s); checked against a float64 reference GEMM, largest "
             "relative error %.1e",
             openblas_version(), loaded, why, failures, error);
}

/* The x86 names OpenBLAS's DYNAMIC_ARCH takes in OPENBLAS_CORETYPE (driver/others/
 * dynamic.c, force_coretype, 0.3.21): several load another set (Katmai .. Banias and
 * Athlon load Prescott's kernels, for instance), which is still the user's choice. */
static const char *const FORCEABLE[] = {
    "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn", "Dunnington",
    "Nehalem", "Athlon", "Opteron", "Opteron(SSE3)", "Barcelona", "Nano", "Sandybridge", "Bobcat",
    "Bulldozer", "Piledriver", "Haswell", "Steamroller", "Excavator", "Zen", "SkylakeX", "Cooperlake"};

/* Whether OPENBLAS_CORETYPE chose the loaded set: a name OpenBLAS takes (above, or the
 * very set loaded, for names newer than that table). Any other ("Bogus", or
 * "SapphireRapids" before 0.3.22) OpenBLAS drops for its own pick, saying so only with
 * OPENBLAS_VERBOSE: crimecast says so, and goes on as if it were unset (an empty one is). */
static int user_pick_honoured(const char *loaded) {
    const char *asked = getenv("OPENBLAS_CORETYPE");
    if (!asked || !asked[0]) return 0;
    if (!strcasecmp(asked, loaded)) return 1;
    for (size_t i = 0; i < sizeof FORCEABLE / sizeof FORCEABLE[0]; i++)
        if (!strncasecmp(asked, FORCEABLE[i], 20)) return 1; /* OpenBLAS's own comparison */
    fprintf(stderr, "crimecast: OPENBLAS_CORETYPE=%.40s is not a kernel set %s takes: it loaded %s instead, which "
            "crimecast keeps unless the CPU's features ask for a wider set ('crimecast info' says which runs)\n", asked,
            openblas_version(), loaded);
    return 0;
}

void cc_cpu_gemm_choose(char **argv) {
    cc_gemm_search s;
    const char *state = getenv("CRIMECAST_GEMM_STATE");
    int first_start = !state || cc_gemm_search_parse(state, &s) != 0;
    char loaded[32];
    snprintf(loaded, sizeof loaded, "%s", openblas_get_corename());
    if (first_start) {
        memset(&s, 0, sizeof s);
        snprintf(s.own, sizeof s.own, "%s", loaded);
        s.user = user_pick_honoured(loaded);
    }
    unsetenv("CRIMECAST_GEMM_STATE"); /* programs this one starts begin their own search */
    int avx512, avx2_fma;
    cpu_features(&avx512, &avx2_fma);
    if (cc_gemm_should_upgrade(&s, first_start, loaded, avx512, avx2_fma))
        restart_with(cc_gemm_core_for_features(avx512, avx2_fma), &s, argv);
    double error = 0;
    int outcome = check_loaded(loaded, &error);
    if (outcome == 0) {
        describe(&s, first_start, loaded, avx512, avx2_fma, error);
        return;
    }
    if (s.failed_count < 4) {
        snprintf(s.failed[s.failed_count], sizeof s.failed[0], "%s", loaded);
        snprintf(s.failed_how[s.failed_count], sizeof s.failed_how[0], "%s",
                 outcome == 1 ? "wrong" : outcome == 2 ? "crashed" : "hung");
        s.failed_count++;
    }
    /* a hang is the memory OpenBLAS cannot get (a tight ulimit -v), not one kernel set's
     * fault: another set would wait as long */
    const char *next = outcome == 3 ? NULL : cc_gemm_next_core(&s, loaded, avx512, avx2_fma);
    if (next) restart_with(next, &s, argv);
    use_loops = 1;
    char failures[192] = "";
    for (int q = 0; q < s.failed_count; q++) {
        size_t used = strlen(failures);
        snprintf(failures + used, sizeof failures - used, "%s%s %s", q ? ", " : "", s.failed[q], s.failed_how[q]);
    }
    snprintf(choice, sizeof choice, "built-in loops (%s: every kernel set tried failed the check: %s)",
             openblas_version(), failures);
}

#else

void cc_cpu_gemm_choose(char **argv) {
    (void)argv;
    snprintf(choice, sizeof choice, "built-in loops (a build without OpenBLAS)");
    use_loops = 1;
}

#endif
