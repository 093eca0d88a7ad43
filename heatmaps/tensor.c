#include "heatmaps/tensor.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crawler/printable.h"
#include "heatmaps/sparse.h"

int cc_tensor_alloc_frame(cc_tensor *t, int T, int C, int H, int W) {
    memset(t, 0, sizeof *t);
    t->T = T, t->C = C, t->H = H, t->W = W;
    t->time = calloc((size_t)(T > 0 ? T : 1), sizeof *t->time);
    t->categories = calloc((size_t)(C > 0 ? C : 1), sizeof *t->categories);
    t->mask = calloc((size_t)H * (size_t)W, 1);
    if (!t->time || !t->categories || !t->mask) {
        cc_tensor_free(t);
        return -1;
    }
    return 0;
}

int cc_tensor_alloc(cc_tensor *t, int T, int C, int H, int W) {
    if (cc_tensor_alloc_frame(t, T, C, H, W) != 0) return -1;
    t->values = calloc((size_t)T * (size_t)C * (size_t)H * (size_t)W, sizeof *t->values);
    if (!t->values) {
        cc_tensor_free(t);
        return -1;
    }
    return 0;
}


int cc_tensor_alloc_recency(cc_tensor *t) {
    free(t->recency);
    t->R = CC_RECENCY_MAPS;
    t->recency = calloc((size_t)t->T * (size_t)t->R * (size_t)t->C * (size_t)t->H * (size_t)t->W, sizeof *t->recency);
    if (!t->recency) t->R = 0;
    return t->recency ? 0 : -1;
}

void cc_tensor_free(cc_tensor *t) {
    free(t->values);
    free(t->recency);
    free(t->static_inputs), free(t->dynamic_inputs);
    if (t->sparse) cc_sparse_free(t->sparse);
    free(t->sparse);
    cc_tensor_drop_index(t);
    free(t->time);
    if (t->categories)
        for (int c = 0; c < t->C; c++) free(t->categories[c]);
    free(t->categories);
    free(t->mask);
    free(t->source);
    free(t->created_by);
    memset(t, 0, sizeof *t);
}

int cc_tensor_channel(const cc_tensor *t, const char *name) {
    for (int c = 0; c < t->C; c++)
        if (!strcmp(t->categories[c], name)) return c;
    return -1;
}

int cc_tensor_bin(const cc_tensor *t, int64_t day) {
    for (int i = 0; i < t->T; i++)
        if (t->time[i] == day) return i;
    return -1;
}

int64_t cc_tensor_bin_start(const cc_tensor *t, int b) {
    if (b < t->T) return t->time[b];
    int64_t day = t->time[t->T - 1];
    for (int past = t->T - 1; past < b; past++) day = cc_bin_end(t->bin, day);
    return day;
}

/* The indexed sum: plane b * C + c's entries into out[c]. */
static void sum_indexed_bins(const cc_tensor *t, int first, int last, float *out) {
    const cc_sparse *nz = t->nonzeros;
    for (int b = first; b <= last; b++)
        for (int c = 0; c < t->C; c++) {
            int plane = b * t->C + c;
            float *map = out + (size_t)c * nz->cells;
            for (int64_t e = nz->start[plane]; e < nz->start[plane + 1]; e++) map[nz->cell[e]] += nz->count[e];
        }
}

void cc_tensor_sum_bins(const cc_tensor *t, int first, int last, float *out) {
    size_t map = (size_t)t->C * t->H * t->W;
    memset(out, 0, sizeof(float) * map);
    if (t->nonzeros) {
        sum_indexed_bins(t, first < 0 ? 0 : first, last, out);
        return;
    }
    for (int b = first < 0 ? 0 : first; b <= last; b++) {
        const float *counts = t->values + cc_tensor_offset(t, b, 0, 0, 0);
        for (size_t q = 0; q < map; q++) out[q] += counts[q];
    }
}

double cc_tensor_plane_total(const cc_tensor *t, int b, int c) {
    size_t p = (size_t)b * t->C + c, plane = (size_t)t->H * t->W;
    double total = 0;
    if (t->values) {
        for (size_t q = 0; q < plane; q++) total += t->values[p * plane + q];
    } else if (t->sparse) {
        for (int64_t e = t->sparse->start[p]; e < t->sparse->start[p + 1]; e++) total += t->sparse->count[e];
    }
    return total;
}

void cc_tensor_drop_index(cc_tensor *t) {
    if (t->nonzeros) cc_sparse_free(t->nonzeros);
    free(t->nonzeros);
    t->nonzeros = NULL;
}

int cc_tensor_index_nonzeros(cc_tensor *t) {
    if (!t->values || t->nonzeros) return t->nonzeros != NULL;
    size_t all = (size_t)t->T * t->C * t->H * t->W, nonzero = 0;
    for (size_t q = 0; q < all; q++) nonzero += t->values[q] != 0.0f;
    if (nonzero > all / 8) return 0;
    cc_sparse *index = malloc(sizeof *index);
    if (!index || cc_sparse_from_dense(t->values, t->T * t->C, t->H * t->W, index) != 0) {
        free(index);
        return -1;
    }
    t->nonzeros = index;
    return 1;
}

size_t cc_tensor_mask_cells(const cc_tensor *t) {
    size_t cells = 0, plane = (size_t)t->H * t->W;
    for (size_t k = 0; k < plane; k++) cells += t->mask[k] != 0;
    return cells;
}

void cc_crs_canonical(const char *crs, char *out, size_t len) {
    while (*crs && isspace((unsigned char)*crs)) crs++;
    size_t n = strlen(crs);
    while (n > 0 && isspace((unsigned char)crs[n - 1])) n--;
    int epsg = n > 5 && !strncasecmp(crs, "epsg:", 5);
    const char *code = crs + (epsg ? 5 : 0);
    size_t digits = 0, blanks = 0;
    while (epsg && isspace((unsigned char)code[blanks])) blanks++;
    while (epsg && isdigit((unsigned char)code[blanks + digits])) digits++;
    if (epsg && digits > 0 && digits <= 9 && blanks + digits == n - 5) { /* "EPSG: 032616" is EPSG:32616, as PROJ reads it */
        snprintf(out, len, "EPSG:%ld", strtol(code + blanks, NULL, 10));
        return;
    }
    snprintf(out, len, "%s%.*s", epsg ? "EPSG:" : "", (int)(n - (epsg ? 5 : 0)), code);
}

int cc_tensor_grid_difference(const cc_tensor *a, const cc_tensor *b, char *what, size_t len) {
    char crs_a[96], crs_b[96]; /* a model file's crs is not checked by PROJ: quoted printably */
    /* cells as %g unless that shows two different sizes alike: then every digit */
    int digits = a->cell != b->cell && fabs(a->cell - b->cell) < 1e-5 * fabs(b->cell) ? 17 : 6;
    char cell_a[32], cell_b[32];
    snprintf(cell_a, sizeof cell_a, "%.*g", digits, a->cell);
    snprintf(cell_b, sizeof cell_b, "%.*g", digits, b->cell);
    char same_a[sizeof a->crs], same_b[sizeof b->crs]; /* files written before raster kept its canonical name */
    cc_crs_canonical(a->crs, same_a, sizeof same_a), cc_crs_canonical(b->crs, same_b, sizeof same_b);
    if (a->H != b->H || a->W != b->W || a->cell != b->cell || strcmp(same_a, same_b) != 0)
        snprintf(what, len, "%d x %d cells of %s m in %s, not %d x %d of %s m in %s", a->H, a->W, cell_a,
                 cc_printable(a->crs, crs_a, sizeof crs_a, 63), b->H, b->W, cell_b,
                 cc_printable(b->crs, crs_b, sizeof crs_b, 63));
    else if (!(fabs(a->x0 - b->x0) <= 1e-3 && fabs(a->y0 - b->y0) <= 1e-3)) /* NaN differs */
        snprintf(what, len, "its north-west corner is (%.3f, %.3f), not (%.3f, %.3f)", a->x0, a->y0, b->x0, b->y0);
    else if (a->bin != b->bin)
        snprintf(what, len, "%s bins, not %s", cc_bin_kind_name(a->bin), cc_bin_kind_name(b->bin));
    else {
        if (len) what[0] = '\0';
        return 0;
    }
    return 1;
}

