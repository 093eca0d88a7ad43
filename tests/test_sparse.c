/* Sparse counts (heatmaps/sparse.h): built from random events and checked against dense
 * sums taken here in double (counts, in-bin recency sums, the maps derived bin by bin
 * against a direct sum over every earlier incident), channel compaction, the refusals of
 * cc_sparse_check, and tensor files written sparse and dense reading back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heatmaps/sparse.h"
#include "heatmaps/tensor.h"
#include "heatmaps/tensor_file.h"
#include "heatmaps/time_bins.h"
#include "models/rng.h"
#include "test_util.h"

enum { T = 6, C = 3, H = 4, W = 5, CELLS = H * W, EVENTS = 400 };

/* Events of random planes and cells (some repeated), ages in [0, 7) days. */
static void random_events(cc_sparse_event *e, unsigned seed) {
    unsigned state = seed;
    for (int i = 0; i < EVENTS; i++) {
        unsigned plane = cc_lcg_next(&state) % (T * C), cell = cc_lcg_next(&state) % 7; /* cells 0..6 crowd */
        if (cc_lcg_next(&state) % 3 == 0) cell = cc_lcg_next(&state) % CELLS;
        e[i].key = plane * CELLS + cell;
        e[i].age = (float)(cc_lcg_next(&state) % 7000) / 1000.0f;
    }
}

/* counts[plane][cell] and sums[plane][r][cell] taken straight from the events. */
static void dense_sums(const cc_sparse_event *e, double *counts, double *sums) {
    memset(counts, 0, sizeof(double) * T * C * CELLS);
    memset(sums, 0, sizeof(double) * T * C * CC_RECENCY_MAPS * CELLS);
    for (int i = 0; i < EVENTS; i++) {
        int plane = (int)(e[i].key / CELLS), cell = (int)(e[i].key % CELLS);
        counts[plane * CELLS + cell] += 1;
        for (int r = 0; r < CC_RECENCY_MAPS; r++)
            sums[(plane * CC_RECENCY_MAPS + r) * CELLS + cell] += exp(-e[i].age / cc_recency_tau_days[r]);
    }
}

static void test_built_from_events(void **state) {
    (void)state;
    cc_sparse_event e[EVENTS], copy[EVENTS];
    random_events(e, 7);
    memcpy(copy, e, sizeof e);
    static double counts[T * C * CELLS], sums[T * C * CC_RECENCY_MAPS * CELLS];
    dense_sums(copy, counts, sums);
    cc_sparse s;
    assert_int_equal(cc_sparse_from_events(e, EVENTS, T * C, CELLS, CC_RECENCY_MAPS, &s), 0);
    char why[256];
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), 0);
    int64_t nonzero = 0;
    for (int q = 0; q < T * C * CELLS; q++) nonzero += counts[q] > 0;
    assert_int_equal(s.nnz, nonzero);
    float values[T * C * CELLS];
    cc_sparse_scatter_counts(&s, values);
    for (int q = 0; q < T * C * CELLS; q++) assert_true(values[q] == (float)counts[q]);
    for (int p = 0; p < T * C; p++)
        for (int64_t i = s.start[p]; i < s.start[p + 1]; i++)
            for (int r = 0; r < CC_RECENCY_MAPS; r++) {
                double want = sums[(p * CC_RECENCY_MAPS + r) * CELLS + s.cell[i]];
                assert_true(fabs(s.recent[i * CC_RECENCY_MAPS + r] - want) <= 1e-5 * want);
            }
    cc_sparse_free(&s);
}

/* recency[b][r][c][cell] = the sum over every incident of bins <= b of
 * exp(-(age + the days from its bin's end to b's end) / tau), 0 below the floor. */
static void test_recency_maps_are_decayed_sums(void **state) {
    (void)state;
    cc_sparse_event e[EVENTS], copy[EVENTS];
    random_events(e, 11);
    memcpy(copy, e, sizeof e);
    cc_sparse s;
    assert_int_equal(cc_sparse_from_events(e, EVENTS, T * C, CELLS, CC_RECENCY_MAPS, &s), 0);
    const double bin_days[T] = {7, 7, 31, 30, 7, 1}; /* any lengths: the decay follows them */
    double end[T];
    for (int b = 0; b < T; b++) end[b] = (b ? end[b - 1] : 0) + bin_days[b];
    static float maps[T * CC_RECENCY_MAPS * C * CELLS];
    cc_sparse_recency_maps(&s, T, C, bin_days, 0, maps);
    for (int b = 0; b < T; b++)
        for (int r = 0; r < CC_RECENCY_MAPS; r++)
            for (int c = 0; c < C; c++)
                for (int cell = 0; cell < CELLS; cell++) {
                    double want = 0;
                    for (int i = 0; i < EVENTS; i++) {
                        int plane = (int)(copy[i].key / CELLS), bi = plane / C;
                        if (plane % C != c || (int)(copy[i].key % CELLS) != cell || bi > b) continue;
                        want += exp(-(copy[i].age + end[b] - end[bi]) / cc_recency_tau_days[r]);
                    }
                    if (want < 1e-12) want = 0;
                    float got = maps[((b * CC_RECENCY_MAPS + r) * C + c) * CELLS + cell];
                    assert_true(fabs(got - want) <= 1e-5 * want + 1e-12);
                }
    cc_sparse_free(&s);
}

static void test_keep_channels(void **state) {
    (void)state;
    cc_sparse_event e[EVENTS];
    random_events(e, 3);
    cc_sparse s;
    assert_int_equal(cc_sparse_from_events(e, EVENTS, T * C, CELLS, CC_RECENCY_MAPS, &s), 0);
    static float before[T * C * CELLS], after[T * 2 * CELLS];
    cc_sparse_scatter_counts(&s, before);
    const int keep[2] = {0, 2};
    assert_int_equal(cc_sparse_keep_channels(&s, C, keep, 2), 0);
    char why[256];
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), 0);
    assert_int_equal(s.planes, T * 2);
    cc_sparse_scatter_counts(&s, after);
    for (int b = 0; b < T; b++)
        for (int k = 0; k < 2; k++)
            assert_memory_equal(after + (b * 2 + k) * CELLS, before + (b * C + keep[k]) * CELLS, sizeof(float) * CELLS);
    cc_sparse_free(&s);
}

static void test_check_refuses(void **state) {
    (void)state;
    cc_sparse s;
    assert_int_equal(cc_sparse_alloc(&s, 2, CELLS, 3, CC_RECENCY_MAPS), 0);
    const int64_t start[3] = {0, 2, 3};
    const int32_t cell[3] = {1, 4, 0};
    memcpy(s.start, start, sizeof start), memcpy(s.cell, cell, sizeof cell);
    for (int i = 0; i < 3; i++) s.count[i] = 1, s.recent[2 * i] = s.recent[2 * i + 1] = 0.5f;
    char why[256] = "";
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), 0);
    s.cell[1] = 1; /* a cell twice in one plane */
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), -1);
    assert_non_null(strstr(why, "entry 1"));
    s.cell[1] = CELLS; /* off the grid */
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), -1);
    s.cell[1] = 4, s.count[2] = 0;
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), -1);
    assert_non_null(strstr(why, "count"));
    s.count[2] = 1, s.recent[3] = NAN;
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), -1);
    s.recent[3] = 0.5f, s.start[2] = 1;
    assert_int_equal(cc_sparse_check(&s, why, sizeof why), -1);
    cc_sparse_free(&s);
}

/* A weekly tensor of the random events, its counts dense or not. */
/* A tensor of the first `events` of random_events' (at most EVENTS), its counts also
 * dense when `dense`. */
static void make_tensor_of(cc_tensor *t, int dense, int events) {
    cc_sparse_event e[EVENTS];
    random_events(e, 5);
    assert_int_equal(cc_tensor_alloc_frame(t, T, C, H, W), 0);
    t->sparse = calloc(1, sizeof *t->sparse);
    assert_int_equal(cc_sparse_from_events(e, (size_t)events, T * C, CELLS, CC_RECENCY_MAPS, t->sparse), 0);
    for (int b = 0; b < T; b++) t->time[b] = 18631 + 7 * b; /* Mondays from 2021-01-04 */
    const char *names[C] = {"all", "burglary", "theft"};
    for (int c = 0; c < C; c++) t->categories[c] = strdup(names[c]);
    memset(t->mask, 1, CELLS);
    strcpy(t->city, "synthetic"), strcpy(t->crs, "EPSG:32616");
    t->bin = CC_BIN_WEEK, t->x0 = 1000, t->y0 = 5000, t->cell = 150;
    t->source = strdup("test_sparse"), t->created_by = strdup("test_sparse");
    if (dense) {
        t->values = malloc(sizeof(float) * T * C * CELLS);
        cc_sparse_scatter_counts(t->sparse, t->values);
    }
}

static void make_tensor(cc_tensor *t, int dense) { make_tensor_of(t, dense, EVENTS); }

static void test_files_dense_and_sparse_read_the_same(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *paths[2] = {tu_path(dir, "sparse.h5"), tu_path(dir, "dense.h5")};
    cc_tensor made, read[2];
    char err[512];
    for (int dense = 0; dense < 2; dense++) {
        make_tensor(&made, dense);
        assert_int_equal(cc_tensor_write(paths[dense], &made, "counts", CC_TENSOR_FORMAT, NULL, 0, err, sizeof err), 0);
        int status = cc_tensor_read(paths[dense], NULL, &read[dense], err, sizeof err);
        if (status != 0) fail_msg("%s", err);
        assert_int_equal(cc_tensor_read_recency(paths[dense], &read[dense], 1, err, sizeof err), 0); /* one thread */
        assert_int_equal(read[dense].R, CC_RECENCY_MAPS);
        float values[T * C * CELLS];
        cc_sparse_scatter_counts(made.sparse, values);
        assert_memory_equal(read[dense].values, values, sizeof values);
        /* the maps with the weeks' lengths, as the reader derives them */
        double days[T];
        for (int b = 0; b < T; b++) days[b] = 7;
        static float maps[T * CC_RECENCY_MAPS * C * CELLS];
        cc_sparse_recency_maps(made.sparse, T, C, days, 0, maps); /* every thread: the same bits */
        assert_memory_equal(read[dense].recency, maps, sizeof maps);
        cc_tensor_free(&made);
    }
    assert_memory_equal(read[0].values, read[1].values, sizeof(float) * T * C * CELLS);
    for (int i = 0; i < 2; i++) cc_tensor_free(&read[i]), free(paths[i]);
    tu_remove_dir(dir);
    free(dir);
}

/* Counts read from a path, then the file renamed over by another (a raster writing it
 * anew): the recency maps are not read from the other file (a probe's predict mixed the
 * two, exit 0); a read of the same file stays as it was. */
static void test_recency_of_a_replaced_file_refused(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "t.h5"), *other = tu_path(dir, "other.h5");
    cc_tensor made, read;
    char err[512];
    make_tensor(&made, 0);
    assert_int_equal(cc_tensor_write(path, &made, "counts", CC_TENSOR_FORMAT, NULL, 0, err, sizeof err), 0);
    assert_int_equal(cc_tensor_write(other, &made, "counts", CC_TENSOR_FORMAT, NULL, 0, err, sizeof err), 0);
    assert_int_equal(cc_tensor_read(path, NULL, &read, err, sizeof err), 0);
    assert_true(read.file_identity[1] != 0);
    assert_int_equal(rename(other, path), 0);
    assert_int_equal(cc_tensor_read_recency(path, &read, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "the file was replaced since its counts were read"));
    cc_tensor_free(&read);
    assert_int_equal(cc_tensor_read(path, NULL, &read, err, sizeof err), 0);
    assert_int_equal(cc_tensor_read_recency(path, &read, 1, err, sizeof err), 0);
    cc_tensor_free(&read), cc_tensor_free(&made);
    tu_remove_dir(dir);
    free(dir), free(path), free(other);
}

/* A sparse file's entries become the nonzero index of what was read (the one
 * cc_tensor_index_nonzeros builds from the dense counts, field by field) when at most an
 * eighth of the values are nonzero; denser, and from a dense file, there is none. Sums
 * over bins read through it equal the plain sums. */
static void test_sparse_file_keeps_its_index(void **state) {
    (void)state;
    char *dir = tu_make_temp_dir(), *path = tu_path(dir, "t.h5");
    char err[512];
    const int events[] = {30, EVENTS}; /* at most 30 of 360 values nonzero; then more than 45 */
    for (int k = 0; k < 2; k++)
        for (int dense = 0; dense < 2; dense++) {
            cc_tensor made, t;
            make_tensor_of(&made, dense, events[k]);
            int64_t nnz = made.sparse->nnz;
            assert_int_equal(cc_tensor_write(path, &made, "counts", CC_TENSOR_FORMAT, NULL, 0, err, sizeof err), 0);
            cc_tensor_free(&made);
            if (cc_tensor_read(path, NULL, &t, err, sizeof err) != 0) fail_msg("%s", err);
            int want_index = !dense && nnz <= T * C * CELLS / 8;
            assert_true(k == 0 ? nnz <= T * C * CELLS / 8 : nnz > T * C * CELLS / 8); /* the cases are as meant */
            assert_int_equal(t.nonzeros != NULL, want_index);
            if (want_index) {
                cc_sparse rebuilt;
                assert_int_equal(cc_sparse_from_dense(t.values, T * C, CELLS, &rebuilt), 0);
                assert_int_equal(t.nonzeros->planes, rebuilt.planes);
                assert_int_equal(t.nonzeros->cells, rebuilt.cells);
                assert_int_equal(t.nonzeros->nnz, rebuilt.nnz);
                assert_int_equal(t.nonzeros->R, 0);
                assert_memory_equal(t.nonzeros->start, rebuilt.start, sizeof(int64_t) * (T * C + 1));
                assert_memory_equal(t.nonzeros->cell, rebuilt.cell, sizeof(int32_t) * (size_t)rebuilt.nnz);
                assert_memory_equal(t.nonzeros->count, rebuilt.count, sizeof(float) * (size_t)rebuilt.nnz);
                cc_sparse_free(&rebuilt);
                float indexed[C * CELLS], plain[C * CELLS];
                cc_tensor_sum_bins(&t, 1, T - 1, indexed);
                cc_tensor_drop_index(&t);
                assert_null(t.nonzeros);
                cc_tensor_sum_bins(&t, 1, T - 1, plain);
                assert_memory_equal(indexed, plain, sizeof plain);
            }
            cc_tensor_free(&t);
        }
    tu_remove_dir(dir);
    free(dir), free(path);
}

/* The nonzero index of a tensor's counts (cc_tensor_index_nonzeros): sums over any bins
 * equal the dense sums and a float64 reference bit for bit, scattered back it is the
 * tensor, and a dense tensor gets none. */
static void test_indexed_sums_are_the_dense_sums(void **state) {
    (void)state;
    enum { BINS = 40, CH = 3, ROWS = 9, COLS = 7, MAP = CH * ROWS * COLS };
    cc_tensor t;
    assert_int_equal(cc_tensor_alloc(&t, BINS, CH, ROWS, COLS), 0);
    unsigned rng = 11;
    for (size_t q = 0; q < (size_t)BINS * MAP; q++) /* 1 in 20 values a count of 1..5 */
        if (cc_lcg_next(&rng) % 20 == 0) t.values[q] = (float)(1 + cc_lcg_next(&rng) % 5);
    static float dense[MAP], indexed[MAP], back[BINS * MAP];
    static const int spans[][2] = {{0, 0}, {-3, 5}, {7, 39}, {12, 12}, {0, 39}, {20, 31}};
    assert_int_equal(cc_tensor_index_nonzeros(&t), 1);
    cc_sparse_scatter_counts(t.nonzeros, back);
    assert_memory_equal(back, t.values, sizeof back);
    for (size_t k = 0; k < sizeof spans / sizeof *spans; k++) {
        cc_sparse *index = t.nonzeros;
        t.nonzeros = NULL;
        cc_tensor_sum_bins(&t, spans[k][0], spans[k][1], dense);
        t.nonzeros = index;
        cc_tensor_sum_bins(&t, spans[k][0], spans[k][1], indexed);
        assert_memory_equal(dense, indexed, sizeof dense);
        for (int q = 0; q < MAP; q++) {
            double want = 0;
            for (int b = spans[k][0] < 0 ? 0 : spans[k][0]; b <= spans[k][1]; b++) want += t.values[(size_t)b * MAP + q];
            assert_true(indexed[q] == (float)want);
        }
    }
    cc_tensor_free(&t);
    assert_int_equal(cc_tensor_alloc(&t, 4, 1, 3, 3), 0); /* half the values nonzero: no index */
    for (int q = 0; q < 36; q++) t.values[q] = (float)(q % 2);
    assert_int_equal(cc_tensor_index_nonzeros(&t), 0);
    assert_null(t.nonzeros);
    cc_tensor_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_built_from_events), cmocka_unit_test(test_recency_maps_are_decayed_sums),
        cmocka_unit_test(test_keep_channels), cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_files_dense_and_sparse_read_the_same),
        cmocka_unit_test(test_indexed_sums_are_the_dense_sums), cmocka_unit_test(test_sparse_file_keeps_its_index),
        cmocka_unit_test(test_recency_of_a_replaced_file_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
