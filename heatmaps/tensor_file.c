#include "heatmaps/tensor_file.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "crawler/datetime.h"
#include "crawler/printable.h"
#include "heatmaps/grid.h"
#include "heatmaps/hdf5_util.h"
#include "heatmaps/machine_memory.h"
#include "heatmaps/sparse.h"
#include "heatmaps/time_bins.h"

/* A float32 dataset of `rank` dims, one time step (dims[0]) a chunk, deflate level 4. */
static hid_t write_frames(hid_t file, const char *name, int rank, const hsize_t *dims, const float *data) {
    return cc_hdf5_write_chunked(file, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, rank, dims, 1, 4, data);
}

/* /sparse (heatmaps/tensor_file.h): the entries of t->sparse, with their counts when
 * there is no dense /counts, with their recency sums when there are some. Deflate level
 * 1 (level 4 took longer than reading the rows from the store); none for the recency
 * sums, which it shrank by a fifth at the cost of a quarter of raster's time. */
static int write_sparse(hid_t file, const cc_tensor *t) {
    const cc_sparse *s = t->sparse;
    enum { ROWS = 1 << 16 };
    hsize_t starts = (hsize_t)s->planes + 1, nnz = (hsize_t)s->nnz, rows = nnz < ROWS ? (nnz ? nnz : 1) : ROWS;
    hsize_t recent_dims[2] = {nnz, (hsize_t)s->R};
    hid_t ds[4] = {
        cc_hdf5_write_chunked(file, "/sparse/start", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &starts,
                      starts < ROWS ? starts : ROWS, 1, s->start),
        cc_hdf5_write_chunked(file, "/sparse/cell", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, &nnz, rows, 1, s->cell),
        t->values ? 0 : cc_hdf5_write_chunked(file, "/sparse/count", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &nnz, rows, 1, s->count),
        s->R ? cc_hdf5_write_chunked(file, "/sparse/recent", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, recent_dims, rows, 0, s->recent)
             : 0};
    int status = 0;
    for (int i = 0; i < 4; i++) status |= ds[i] < 0;
    if (!status && s->R)
        status = cc_hdf5_write_doubles(ds[3], "tau_days", cc_recency_tau_days, CC_RECENCY_MAPS) |
                 cc_hdf5_write_text(ds[3], "description",
                                    "per entry: sum over the plane's incidents of exp(-(bin end - incident time) / "
                                    "tau_days); the maps follow bin by bin (heatmaps/sparse.h)");
    for (int i = 0; i < 4; i++)
        if (ds[i] > 0) H5Dclose(ds[i]);
    return status ? -1 : 0;
}

static hid_t write_values(hid_t file, const char *name, const cc_tensor *t) {
    hsize_t dims[4] = {(hsize_t)t->T, (hsize_t)t->C, (hsize_t)t->H, (hsize_t)t->W};
    return write_frames(file, name, 4, dims, t->values);
}

/* The coordinate datasets, made dimension scales of the values (values -1: none, a
 * sparse tensor's). */
static int write_scales(hid_t file, hid_t values, const cc_tensor *t) {
    double *y = malloc(sizeof *y * (size_t)t->H), *x = malloc(sizeof *x * (size_t)t->W);
    if (!y || !x) {
        free(y), free(x);
        return -1;
    }
    for (int r = 0; r < t->H; r++) y[r] = t->y0 - (r + 0.5) * t->cell;
    for (int c = 0; c < t->W; c++) x[c] = t->x0 + (c + 0.5) * t->cell;
    hid_t strings = cc_hdf5_utf8_type();
    hsize_t n[4] = {(hsize_t)t->T, (hsize_t)t->C, (hsize_t)t->H, (hsize_t)t->W};
    hid_t scales[4] = {
        cc_hdf5_write_dataset(file, "/time", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n[0], t->time),
        cc_hdf5_write_dataset(file, "/category", strings, strings, 1, &n[1], t->categories),
        cc_hdf5_write_dataset(file, "/y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n[2], y),
        cc_hdf5_write_dataset(file, "/x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n[3], x)};
    static const char *const LABELS[4] = {"time", "category", "y", "x"};
    int status = 0;
    for (unsigned d = 0; d < 4; d++) {
        if (scales[d] < 0 || H5DSset_scale(scales[d], LABELS[d]) < 0 ||
            (values >= 0 && (H5DSattach_scale(values, scales[d], d) < 0 || H5DSset_label(values, d, LABELS[d]) < 0)))
            status = -1;
        if (scales[d] >= 0) H5Dclose(scales[d]);
    }
    H5Tclose(strings);
    free(y), free(x);
    return status;
}

static int write_root_attributes(hid_t file, const cc_tensor *t, const char *format,
                                 const cc_file_attribute *extra, int extra_count) {
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    int status = cc_hdf5_write_text(file, "format", format) |
                 cc_hdf5_write_int(file, "format_version", CC_TENSOR_FORMAT_VERSION) |
                 cc_hdf5_write_text(file, "city", t->city) | cc_hdf5_write_text(file, "crs", t->crs) |
                 cc_hdf5_write_double(file, "cell_size_m", t->cell) |
                 cc_hdf5_write_text(file, "bin", cc_bin_kind_name(t->bin)) | cc_hdf5_write_text(file, "first_bin", first) |
                 cc_hdf5_write_text(file, "last_bin", last) |
                 cc_hdf5_write_text(file, "source", t->source) |
                 cc_hdf5_write_text(file, "created_by", t->created_by);
    for (int i = 0; i < extra_count; i++)
        status |= extra[i].value   ? cc_hdf5_write_text(file, extra[i].name, extra[i].value)
                  : extra[i].reals ? cc_hdf5_write_doubles(file, extra[i].name, extra[i].reals, extra[i].real_count)
                                   : cc_hdf5_write_int(file, extra[i].name, extra[i].number);
    return status ? -1 : 0;
}

typedef struct tensor_file_parts {
    const cc_tensor *t;
    const char *dataset, *format;
    const cc_file_attribute *extra;
    int extra_count;
} tensor_file_parts;

static int write_file(hid_t file, const void *context) {
    const tensor_file_parts *parts = context;
    const cc_tensor *t = parts->t;
    const char *dataset = parts->dataset, *format = parts->format;
    const cc_file_attribute *extra = parts->extra;
    int extra_count = parts->extra_count;
    char name[128];
    snprintf(name, sizeof name, "/%s", dataset);
    hid_t values = t->values ? write_values(file, name, t) : H5Gcreate2(file, "/sparse", H5P_DEFAULT, H5P_DEFAULT,
                                                                        H5P_DEFAULT);
    if (values < 0) return -1;
    int status = t->values ? write_scales(file, values, t) : write_scales(file, -1, t);
    if (t->values) H5Dclose(values);
    else H5Gclose(values);
    if (status == 0 && t->sparse) status = write_sparse(file, t);
    if (status == 0) {
        hsize_t mask_dims[2] = {(hsize_t)t->H, (hsize_t)t->W};
        hid_t mask = cc_hdf5_write_dataset(file, "/mask", H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, mask_dims, t->mask);
        status = mask < 0 ? -1 : 0;
        if (mask >= 0) H5Dclose(mask);
    }
    if (status == 0) status = write_root_attributes(file, t, format, extra, extra_count);
    return status;
}

int cc_tensor_write(const char *path, const cc_tensor *t, const char *dataset, const char *format,
                    const cc_file_attribute *extra, int extra_count, char *err, size_t err_len) {
    if (t->T < 1 || t->C < 1 || t->H < 1 || t->W < 1) {
        snprintf(err, err_len, "%s: empty tensor (%d x %d x %d x %d)", path, t->T, t->C, t->H, t->W);
        return -1;
    }
    tensor_file_parts parts = {t, dataset, format, extra, extra_count};
    return cc_hdf5_write_whole_file(path, "the HDF5 file", write_file, &parts, err, err_len);
}

/* ------------------------------------------------------------------ reading */

/* Days since 1970-01-01 of 0001-01-01 and 9999-12-31: the bins a file may have. */
#define CC_FIRST_DAY (-719162LL)
#define CC_LAST_DAY 2932896LL

static int read_categories(hid_t file, cc_tensor *t) {
    hid_t type = cc_hdf5_utf8_type();
    char **names = calloc((size_t)t->C, sizeof *names);
    int status = names ? cc_hdf5_read_dataset(file, "/category", type, (size_t)t->C, names) : -1;
    for (int c = 0; status == 0 && c < t->C; c++) {
        t->categories[c] = strdup(names[c] ? names[c] : "");
        H5free_memory(names[c]);
    }
    free(names);
    H5Tclose(type);
    return status;
}

/* A name that is no file name's part: a '/', a control character (a line break), or
 * "." or "..". png --all names its files after the channel, so a file from elsewhere
 * could write outside --out DIR. */
static int unsafe_in_file_name(const char *name) {
    if (!strcmp(name, ".") || !strcmp(name, "..")) return 1;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p == '/' || *p < 0x20 || *p == 0x7f) return 1;
    return 0;
}

/* Channels are chosen by name (--category): each name is there once, not empty, and
 * may be part of a file name (png --all's). */
static int check_categories(const cc_tensor *t, char *why, size_t why_len) {
    for (int c = 0; c < t->C; c++) {
        char shown[80];
        if (!t->categories[c] || !t->categories[c][0]) { /* NULL: strdup ran out of memory */
            snprintf(why, why_len, "/category[%d] is empty: every channel needs a name", c);
            return -1;
        }
        if (strlen(t->categories[c]) > CC_TENSOR_MOST_NAME || !cc_utf8_well_formed(t->categories[c])) {
            snprintf(why, why_len, "/category[%d] '%s' is %s: a channel's name is UTF-8 text of at most %d bytes "
                     "(its readers keep no more; two names alike that far were one channel)", c,
                     cc_printable(t->categories[c], shown, sizeof shown, 60),
                     cc_utf8_well_formed(t->categories[c]) ? "too long" : "not UTF-8", CC_TENSOR_MOST_NAME);
            return -1;
        }
        if (unsafe_in_file_name(t->categories[c])) {
            snprintf(why, why_len, "/category[%d] '%s' holds a '/' or a control character, or is '.' or '..': "
                     "a channel's name names files", c, cc_printable(t->categories[c], shown, sizeof shown, 60));
            return -1;
        }
        for (int d = 0; d < c; d++)
            if (!strcmp(t->categories[c], t->categories[d])) {
                snprintf(why, why_len, "/category names '%s' twice (channels %d and %d)",
                         cc_printable(t->categories[c], shown, sizeof shown, 60), d, c);
                return -1;
            }
    }
    return 0;
}

/* A text attribute into a field of len bytes: -1 when it is missing, does not fit whole
 * (cut, two cities alike that far were one), or is not UTF-8. */
static int copy_text(char *dst, size_t len, char *value) {
    int fits = value && strlen(value) < len && cc_utf8_well_formed(value);
    if (fits) snprintf(dst, len, "%s", value);
    free(value);
    return fits ? 0 : -1;
}

/* The grid's CRS, whole (a cut one names another CRS or none) and projected in metres:
 * cell_size_m, kde bandwidths and areas are metres. */
static int read_crs(hid_t file, cc_tensor *t, char *why, size_t why_len) {
    char *crs = cc_hdf5_read_text(file, "crs"), problem[320];
    if (!crs) {
        snprintf(why, why_len, "root attribute crs is missing or not text");
        return -1;
    }
    _Static_assert(sizeof ((cc_tensor *)0)->crs == sizeof ((cc_grid *)0)->crs, "a grid's CRS fits a tensor's");
    int status = cc_crs_require_metric(crs, problem, sizeof problem); /* also: it fits t->crs whole */
    if (status == -2) snprintf(why, why_len, "%s", problem); /* this machine's fault, not the file's */
    else if (status != 0) snprintf(why, why_len, "root attribute crs: %s", problem);
    else snprintf(t->crs, sizeof t->crs, "%s", crs);
    free(crs);
    return status == 0 ? 0 : -1;
}

/* The bin kind of a text attribute ("day", "week", "month"); -1 when absent or unknown. */
static int read_bin_kind(hid_t obj, cc_bin_kind *kind) {
    char *text = cc_hdf5_read_text(obj, "bin");
    int status = text && cc_bin_kind_parse(text, kind) == 0 ? 0 : -1;
    free(text);
    return status;
}

/* One dataset of exactly `count` values, or why not. */
static int read_part(hid_t file, const char *name, hid_t type, size_t count, void *out, char *why, size_t why_len) {
    if (cc_hdf5_read_dataset(file, name, type, count, out) == 0) return 0;
    char filter[128];
    if (cc_hdf5_missing_filter(file, name, filter, sizeof filter))
        snprintf(why, why_len, "dataset %s is compressed with a filter this HDF5 lacks (%s): write it with gzip, or "
                 "none", name, filter);
    else
        snprintf(why, why_len, "dataset %s is missing, unreadable, or not %zu values of the right kind", name, count);
    return -1;
}

/* Counts, expected counts and recency maps are numbers of events: finite, >= 0 and at
 * most CC_TENSOR_MOST_COUNT.
 * `values` is [T][maps][C][H][W] (maps 1 for counts). */
static int check_values(const cc_tensor *t, const char *name, const float *values, int maps, char *why,
                        size_t why_len) {
    size_t plane = (size_t)t->H * t->W, per_bin = (size_t)maps * t->C * plane, n = (size_t)t->T * per_bin;
    for (size_t q = 0; q < n; q++) {
        float v = values[q];
        if (isfinite(v) && v >= 0 && v <= CC_TENSOR_MOST_COUNT) continue;
        int bin = (int)(q / per_bin), map = (int)(q % per_bin / ((size_t)t->C * plane));
        int c = (int)(q / plane % (size_t)t->C), cell = (int)(q % plane);
        char date[11], which[32] = "";
        cc_format_iso_date(t->time[bin], date);
        if (maps > 1) snprintf(which, sizeof which, ", map %d", map);
        snprintf(why, why_len, "%s holds %g at bin %d (%s)%s, channel '%s', cell row %d, column %d: counts must be "
                 "finite, >= 0 and at most 2^24 (16777216) a cell and bin", name, v, bin, date, which, t->categories[c],
                 cell / t->W, cell % t->W);
        return -1;
    }
    return 0;
}

/* The old layout: dense /recency [T][R][C][H][W] (files of crimecast before sparse
 * rasters, and tools that write the maps themselves). */
static int read_dense_recency(hid_t file, cc_tensor *t, char *why, size_t why_len) {
    hsize_t dims[5];
    double tau[CC_RECENCY_MAPS + 1];
    int n = 0;
    hid_t ds = H5Dopen2(file, "/recency", H5P_DEFAULT);
    int known = ds >= 0 && cc_hdf5_read_doubles(ds, "tau_days", tau, CC_RECENCY_MAPS + 1, &n) == 0 &&
                n == CC_RECENCY_MAPS;
    for (int r = 0; known && r < n; r++) known = tau[r] == cc_recency_tau_days[r];
    if (ds >= 0) H5Dclose(ds);
    if (!known || cc_hdf5_dataset_dims(file, "/recency", 5, dims) != 0 || dims[0] != (hsize_t)t->T ||
        dims[1] != CC_RECENCY_MAPS || dims[2] != (hsize_t)t->C || dims[3] != (hsize_t)t->H ||
        dims[4] != (hsize_t)t->W) {
        snprintf(why, why_len, "/recency is not [T][%d][C][H][W] with tau_days 1 and 3 (another crimecast's?)",
                 CC_RECENCY_MAPS);
        return -1;
    }
    size_t floats = (size_t)t->T * CC_RECENCY_MAPS * t->C * t->H * t->W;
    if (cc_tensor_alloc_recency(t) != 0 || cc_hdf5_read_dataset(file, "/recency", H5T_NATIVE_FLOAT, floats, t->recency) != 0) {
        snprintf(why, why_len, "cannot read /recency (out of memory, or a damaged file)");
        return -1;
    }
    return check_values(t, "/recency", t->recency, CC_RECENCY_MAPS, why, why_len);
}

/* /sparse of a file whose grid, bins and channels t holds: its entries, with their
 * counts and/or recency sums as asked. 0, or -1 with why (s freed). */
static int read_sparse(hid_t file, const cc_tensor *t, int want_count, int want_recent, cc_sparse *s, char *why,
                       size_t why_len) {
    memset(s, 0, sizeof *s);
    hsize_t nnz, starts, recent[2] = {0, 0};
    uint64_t values = (uint64_t)t->T * t->C * t->H * t->W;
    double tau[CC_RECENCY_MAPS + 1];
    int n = 0;
    if (want_recent) {
        hid_t ds = H5Dopen2(file, "/sparse/recent", H5P_DEFAULT);
        int known = ds >= 0 && cc_hdf5_read_doubles(ds, "tau_days", tau, CC_RECENCY_MAPS + 1, &n) == 0 &&
                    n == CC_RECENCY_MAPS;
        for (int r = 0; known && r < n; r++) known = tau[r] == cc_recency_tau_days[r];
        if (ds >= 0) H5Dclose(ds);
        if (!known || cc_hdf5_dataset_dims(file, "/sparse/recent", 2, recent) != 0 || recent[1] != CC_RECENCY_MAPS) {
            snprintf(why, why_len, "/sparse/recent is not [entries][%d] with tau_days 1 and 3 (another crimecast's?)",
                     CC_RECENCY_MAPS);
            return -1;
        }
    }
    if (cc_hdf5_dataset_dims(file, "/sparse/start", 1, &starts) != 0 ||
        cc_hdf5_dataset_dims(file, "/sparse/cell", 1, &nnz) != 0 || starts != (hsize_t)t->T * t->C + 1 ||
        nnz > values || (want_recent && recent[0] != nnz) || !cc_hdf5_dataset_stored(file, "/sparse/cell")) {
        snprintf(why, why_len, "/sparse is not start [T x C + 1], cell [entries] and recent [entries][%d] with at "
                 "most one entry a value", CC_RECENCY_MAPS);
        return -1;
    }
    if (cc_sparse_alloc(s, t->T * t->C, t->H * t->W, (int64_t)nnz, want_recent ? CC_RECENCY_MAPS : 0) != 0) {
        snprintf(why, why_len, "out of memory for /sparse");
        return -1;
    }
    if (!want_count) free(s->count), s->count = NULL;
    int status = read_part(file, "/sparse/start", H5T_NATIVE_INT64, (size_t)starts, s->start, why, why_len) |
                 read_part(file, "/sparse/cell", H5T_NATIVE_INT32, (size_t)nnz, s->cell, why, why_len);
    if (status == 0 && want_count)
        status = read_part(file, "/sparse/count", H5T_NATIVE_FLOAT, (size_t)nnz, s->count, why, why_len);
    if (status == 0 && want_recent)
        status = read_part(file, "/sparse/recent", H5T_NATIVE_FLOAT, (size_t)nnz * CC_RECENCY_MAPS, s->recent, why,
                           why_len);
    if (status == 0) status = cc_sparse_check(s, why, why_len);
    if (status != 0) cc_sparse_free(s);
    return status ? -1 : 0;
}

/* "entry I (bin B (date), channel 'c', cell row R, column C)": entry i of plane p of s. */
static void entry_place(const cc_sparse *s, const cc_tensor *t, int p, int64_t i, char *where, size_t where_len) {
    char date[11];
    cc_format_iso_date(t->time[p / t->C], date);
    snprintf(where, where_len, "entry %lld (bin %d (%s), channel '%s', cell row %d, column %d)", (long long)i,
             p / t->C, date, t->categories[p % t->C], s->cell[i] / t->W, s->cell[i] % t->W);
}

/* Each in-bin recency sum of s against the counts t holds: an incident adds at most 1
 * (exp of an age >= 0), so a sum is at most its cell's count, and an entry is a cell with
 * incidents (-1 with why when not). A sum above its count is taken as its count and said
 * in one warning naming `path` and the first: rasters before 2026-12-07 gave a store row
 * dated past its bin's end (2016-02-31) a term above 1; a sum of 1e30 moved forecasts by
 * 6 crimes a cell (a probe). The tolerance covers the float sums' rounding. */
static int mend_recency_above_counts(cc_sparse *s, const cc_tensor *t, const char *path, char *why, size_t why_len) {
    size_t cells = (size_t)t->H * t->W, above = 0;
    char first[400] = "", where[200];
    for (int p = 0; t->values && p < s->planes; p++)
        for (int64_t i = s->start[p]; i < s->start[p + 1]; i++) {
            float count = t->values[(size_t)p * cells + (size_t)s->cell[i]];
            if (!(count > 0)) {
                entry_place(s, t, p, i, where, sizeof where);
                snprintf(why, why_len, "/sparse/recent %s: a cell in which the counts hold no incident", where);
                return -1;
            }
            for (int r = 0; r < s->R; r++) {
                float *sum = &s->recent[i * s->R + r];
                if (*sum <= count * (1 + 1e-5f) + 1e-6f) continue;
                if (!above++) {
                    entry_place(s, t, p, i, where, sizeof where);
                    snprintf(first, sizeof first, "%s: %g, above its %g incidents", where, *sum, count);
                }
                *sum = count;
            }
        }
    if (above)
        fprintf(stderr, "crimecast: warning: %s: %zu in-bin recency sum%s above %s count%s (each incident adds at most "
                "1; the first, %s), taken as the count: a store row dated past its bin's end, rastered before "
                "2026-12-07? Raster it again\n", path, above, above == 1 ? " is" : "s are",
                above == 1 ? "its" : "their", above == 1 ? "" : "s", first);
    return 0;
}

/* The recency maps from /sparse/recent, bin by bin (heatmaps/sparse.h). */
static int derive_recency(hid_t file, const char *path, cc_tensor *t, int threads, char *why, size_t why_len) {
    cc_sparse s;
    if (read_sparse(file, t, 0, 1, &s, why, why_len) != 0) return -1;
    if (mend_recency_above_counts(&s, t, path, why, why_len) != 0) {
        cc_sparse_free(&s);
        return -1;
    }
    double *bin_days = malloc(sizeof *bin_days * (size_t)t->T);
    int status = bin_days && cc_tensor_alloc_recency(t) == 0 ? 0 : -1;
    if (status == 0) {
        /* from one bin's end to the next: the decay between the two sums */
        for (int b = 0; b < t->T; b++)
            bin_days[b] = (double)(cc_bin_end(t->bin, t->time[b]) - (b ? cc_bin_end(t->bin, t->time[b - 1]) : t->time[b]));
        cc_sparse_recency_maps(&s, t->T, t->C, bin_days, threads, t->recency);
    } else {
        snprintf(why, why_len, "out of memory for the recency maps");
    }
    free(bin_days);
    cc_sparse_free(&s);
    return status;
}

/* Reads the recency maps when the file has them; 0, or -1 with `why` when they are not
 * the maps this crimecast computes (other decay times, other shape). */
static int read_recency(hid_t file, const char *path, cc_tensor *t, int threads, char *why, size_t why_len) {
    if (H5Lexists(file, "/recency", H5P_DEFAULT) > 0) return read_dense_recency(file, t, why, why_len);
    if (H5Lexists(file, "/sparse", H5P_DEFAULT) > 0 && H5Lexists(file, "/sparse/recent", H5P_DEFAULT) > 0)
        return derive_recency(file, path, t, threads, why, why_len);
    return 0;
}

/* The memory this process may have, in bytes (0 when unknown): the machine's, or less
 * under an address-space limit (ulimit -v). A tensor larger than that cannot be read,
 * however the file asks. */
static double memory_limit_bytes(void) {
    double have = cc_physical_memory_bytes();
    struct rlimit limit;
    if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
        (have == 0 || (double)limit.rlim_cur < have))
        have = (double)limit.rlim_cur;
    return have;
}

/* A file is not trusted to size what crimecast allocates: heatmaps/tensor.h's limits. */
static int plausible_shape(const hsize_t *d) {
    return d[0] >= 1 && d[0] <= CC_TENSOR_MOST_BINS && d[1] >= 1 && d[1] <= CC_TENSOR_MOST_CHANNELS && d[2] >= 1 &&
           d[2] <= CC_TENSOR_MOST_SIDE && d[3] >= 1 && d[3] <= CC_TENSOR_MOST_SIDE &&
           d[0] * d[1] * d[2] * d[3] <= CC_TENSOR_MOST_VALUES;
}

/* /mask as 0 and 1, whatever type it is stored in: read as float and each value checked,
 * since HDF5's conversion to bytes decided the study area silently (-1 and 0.5 became
 * out, 2 and 256 in; a probe). */
static int read_mask(hid_t file, cc_tensor *t, char *why, size_t why_len) {
    size_t cells = (size_t)t->H * t->W;
    float *stored = malloc(sizeof *stored * cells);
    if (!stored) {
        snprintf(why, why_len, "out of memory for /mask");
        return -1;
    }
    int status = read_part(file, "/mask", H5T_NATIVE_FLOAT, cells, stored, why, why_len);
    for (size_t q = 0; status == 0 && q < cells; q++) {
        if (stored[q] == 0 || stored[q] == 1) {
            t->mask[q] = (unsigned char)stored[q];
            continue;
        }
        snprintf(why, why_len, "/mask holds %g at row %zu, column %zu: a cell is in the study area (1) or not (0)",
                 stored[q], q / (size_t)t->W, q % (size_t)t->W);
        status = -1;
    }
    free(stored);
    return status;
}

/* The grid's and the axis' datasets and attributes, after the values. */
static int read_metadata(hid_t file, cc_tensor *t, double *y, double *x, char *why, size_t why_len) {
    if (read_part(file, "/time", H5T_NATIVE_INT64, (size_t)t->T, t->time, why, why_len) != 0 ||
        read_mask(file, t, why, why_len) != 0 ||
        read_part(file, "/y", H5T_NATIVE_DOUBLE, (size_t)t->H, y, why, why_len) != 0 ||
        read_part(file, "/x", H5T_NATIVE_DOUBLE, (size_t)t->W, x, why, why_len) != 0)
        return -1;
    if (cc_tensor_mask_cells(t) == 0) { /* every loss, score and colour scale is over the mask's cells */
        snprintf(why, why_len, "the mask holds no cell (no incident in the rastered span?): nothing to learn from, "
                 "forecast, draw or score");
        return -1;
    }
    if (read_categories(file, t) != 0) {
        snprintf(why, why_len, "dataset /category is missing, unreadable, or not %d names", t->C);
        return -1;
    }
    if (check_categories(t, why, why_len) != 0) return -1;
    long long version = 0;
    if (H5Aexists(file, "format_version") > 0 && cc_hdf5_read_int(file, "format_version", &version) != 0) {
        snprintf(why, why_len, "root attribute format_version is not a whole number");
        return -1;
    }
    if (version > CC_TENSOR_FORMAT_VERSION) {
        snprintf(why, why_len, "format_version %lld: written by a newer crimecast (this one reads up to %d)", version,
                 CC_TENSOR_FORMAT_VERSION);
        return -1;
    }
    if (cc_hdf5_read_double(file, "cell_size_m", &t->cell) != 0 || !(t->cell > 0 && isfinite(t->cell)) ||
        copy_text(t->city, sizeof t->city, cc_hdf5_read_text(file, "city")) != 0 || read_bin_kind(file, &t->bin) != 0) {
        snprintf(why, why_len, "root attribute cell_size_m, city or bin is missing or not what crimecast writes (city: "
                 "UTF-8 text of at most %d bytes)", (int)sizeof t->city - 1);
        return -1;
    }
    if (read_crs(file, t, why, why_len) != 0) return -1;
    for (int i = 0; i < t->T; i++)
        if (t->time[i] < CC_FIRST_DAY || t->time[i] > CC_LAST_DAY) { /* the bin arithmetic stays in range */
            snprintf(why, why_len, "/time holds %lld at bin %d: not a day of the years 1 to 9999", (long long)t->time[i], i);
            return -1;
        }
    for (int i = 1; i < t->T; i++)
        if (t->time[i] <= t->time[i - 1]) {
            snprintf(why, why_len, "/time is not increasing (bin %d)", i);
            return -1;
        }
    return isfinite(x[0]) && isfinite(y[0]) ? 0 : (snprintf(why, why_len, "/x or /y is not finite"), -1);
}

/* The cell centres crimecast writes: /x rising east by one cell a column, /y falling south
 * by one a row (to 1% of a cell: another writer's float32 axes round by metres). A file
 * whose /y rises would be drawn and exported upside down. */
static int check_axes(const cc_tensor *t, const double *y, const double *x, char *why, size_t why_len) {
    double slack = 0.01 * t->cell;
    for (int i = 1; i < t->W; i++)
        if (!(fabs(x[i] - (x[0] + i * t->cell)) <= slack)) {
            snprintf(why, why_len, "/x[%d] is %g, not %g: cell centres rise east one cell_size_m (%g) apart", i, x[i],
                     x[0] + i * t->cell, t->cell);
            return -1;
        }
    for (int i = 1; i < t->H; i++)
        if (!(fabs(y[i] - (y[0] - i * t->cell)) <= slack)) {
            snprintf(why, why_len, "/y[%d] is %g, not %g: cell centres fall south (row 0 is the north) one "
                     "cell_size_m (%g) apart", i, y[i], y[0] - i * t->cell, t->cell);
            return -1;
        }
    return 0;
}

/* A tensor's bins follow one another without a gap (a forecast's may skip: its target
 * bins): a baseline's lag of a year is 52 weeks counted as bins. */
static int check_consecutive(const cc_tensor *t, char *why, size_t why_len) {
    for (int i = 1; i < t->T; i++)
        if (t->time[i] != cc_bin_end(t->bin, t->time[i - 1])) {
            char date[11], want[11];
            cc_format_iso_date(t->time[i], date), cc_format_iso_date(cc_bin_end(t->bin, t->time[i - 1]), want);
            snprintf(why, why_len, "/time[%d] is %s, not %s: a tensor's %s bins follow one another", i, date, want,
                     cc_bin_kind_name(t->bin));
            return -1;
        }
    return 0;
}

/* A forecast's root attributes that repeat what its datasets say, where it has them
 * (another tool's may not): /time within first_bin .. last_bin (a slice of the file, its
 * attributes copied, stays within; a /time moved onto the training weeks, its first_bin
 * left, was scored as a forecast of them), its horizon a whole number of bins >= 1 (-3
 * and "one" passed; a probe). A count tensor's are not held to them: weeks appended with
 * h5py leave its last_bin behind, and every reader goes by /time. */
static int check_repeated_attributes(hid_t file, const cc_tensor *t, int forecast, char *why, size_t why_len) {
    const char *names[2] = {"first_bin", "last_bin"};
    int64_t days[2] = {t->time[0], t->time[t->T - 1]};
    for (int k = 0; forecast && k < 2; k++) {
        if (H5Aexists(file, names[k]) <= 0) continue;
        char *text = cc_hdf5_read_text(file, names[k]), date[11], shown[64];
        int64_t day = 0;
        int dated = text && cc_parse_iso_date(text, &day) == 0;
        int within = dated && (k == 0 ? days[0] >= day : days[1] <= day);
        cc_format_iso_date(days[k], date);
        if (!dated)
            snprintf(why, why_len, "root attribute %s is %s%s%s: not a date (YYYY-MM-DD)", names[k], text ? "'" : "",
                     text ? cc_printable(text, shown, sizeof shown, 20) : "not text", text ? "'" : "");
        else if (!within)
            snprintf(why, why_len, "root attribute %s is '%s', but /time's %s bin is %s, %s it: the file contradicts "
                     "itself (edited?)", names[k], text, k ? "last" : "first", date, k ? "after" : "before");
        free(text);
        if (!within) return -1;
    }
    double horizon = 0;
    if (!forecast || H5Aexists(file, "horizon") <= 0) return 0;
    if (cc_hdf5_read_double(file, "horizon", &horizon) == 0 && horizon >= 1 && horizon <= 1000000 &&
        horizon == floor(horizon))
        return 0;
    snprintf(why, why_len, "root attribute horizon is not a whole number of bins from 1 to 1000000 (how far ahead "
             "each target was forecast)");
    return -1;
}

/* Whether the counts are stored sparse: /sparse/count (and no /counts). */
static int sparse_counts(hid_t file) {
    return H5Lexists(file, "/sparse", H5P_DEFAULT) > 0 && H5Lexists(file, "/sparse/count", H5P_DEFAULT) > 0;
}

/* A sparse tensor's [T][C][H][W] from its scales /time, /category, /y and /x. */
static int scale_dims(hid_t file, hsize_t *dims) {
    static const char *const SCALES[4] = {"/time", "/category", "/y", "/x"};
    for (int d = 0; d < 4; d++)
        if (H5Lexists(file, SCALES[d], H5P_DEFAULT) <= 0 || cc_hdf5_dataset_dims(file, SCALES[d], 1, &dims[d]) != 0)
            return -1;
    return 0;
}

/* The dense counts of a sparse tensor (its bins, channels and grid read) from /sparse; the entries, already the index of the nonzero counts
 * that cc_tensor_index_nonzeros would build from them, are kept as t->nonzeros on the
 * same terms (at most an eighth of the values nonzero). */
static int read_sparse_counts(hid_t file, cc_tensor *t, char *why, size_t why_len) {
    cc_sparse s;
    if (read_sparse(file, t, 1, 0, &s, why, why_len) != 0) return -1;
    cc_sparse_place_counts(&s, t->values); /* t->values came zeroed from cc_tensor_alloc */
    size_t all = (size_t)t->T * t->C * t->H * t->W;
    cc_sparse *index = (size_t)s.nnz <= all / 8 ? malloc(sizeof *index) : NULL;
    if (index) {
        *index = s;
        t->nonzeros = index;
    } else {
        cc_sparse_free(&s);
    }
    return 0;
}

static int read_file(hid_t file, const char *dataset, cc_tensor *t, char *why, size_t why_len) {
    char *format = cc_hdf5_read_text(file, "format");
    int tensor = format && !strcmp(format, CC_TENSOR_FORMAT), forecast = format && !strcmp(format, "crimecast-forecast");
    free(format);
    if (!tensor && !forecast) {
        snprintf(why, why_len, "not a crimecast tensor or forecast file (root attribute 'format')");
        return -1;
    }
    /* One file given for the other is the likeliest mix-up: say so, not "no /counts". */
    if (dataset && tensor != !strcmp(dataset, "counts")) {
        snprintf(why, why_len, "%s", tensor ? "a count tensor (format " CC_TENSOR_FORMAT "), not a forecast (predict, "
                                            "baseline or synth --oracle writes those)"
                                          : "a forecast (format crimecast-forecast), not a count tensor (raster writes "
                                            "those)");
        return -1;
    }
    char name[128];
    if (!dataset) dataset = tensor ? "counts" : "forecast";
    snprintf(name, sizeof name, "/%s", dataset);
    int sparse = !strcmp(dataset, "counts") && H5Lexists(file, name, H5P_DEFAULT) <= 0 && sparse_counts(file);
    if (sparse) snprintf(name, sizeof name, "/sparse/count");
    hsize_t dims[4];
    if (sparse ? scale_dims(file, dims) != 0
               : H5Lexists(file, name, H5P_DEFAULT) <= 0 || cc_hdf5_dataset_dims(file, name, 4, dims) != 0) {
        snprintf(why, why_len, sparse ? "/time, /category, /y or /x is missing or not 1-D" : "no 4-D dataset %s",
                 name);
        return -1;
    }
    if (!dims[0] || !dims[1] || !dims[2] || !dims[3]) {
        snprintf(why, why_len, "%s is %llu x %llu x %llu x %llu: a dimension is empty (no bin, channel or cell)", name,
                 (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2],
                 (unsigned long long)dims[3]);
        return -1;
    }
    if (!plausible_shape(dims)) {
        snprintf(why, why_len, "%s is %llu x %llu x %llu x %llu: more than crimecast reads (at most %d bins, %d "
                 "channels, %d x %d cells, 2^32 values)", name, (unsigned long long)dims[0], (unsigned long long)dims[1],
                 (unsigned long long)dims[2], (unsigned long long)dims[3], CC_TENSOR_MOST_BINS, CC_TENSOR_MOST_CHANNELS,
                 CC_TENSOR_MOST_SIDE, CC_TENSOR_MOST_SIDE);
        return -1;
    }
    if (!cc_hdf5_dataset_stored(file, name)) {
        snprintf(why, why_len, "%s is not stored whole (chunks never written): the file claims more than it holds",
                 name);
        return -1;
    }
    double need = 4.0 * (double)(dims[0] * dims[1] * dims[2] * dims[3]), have = memory_limit_bytes();
    if (have > 0 && need > have && !sparse) {
        snprintf(why, why_len, "%s needs %.1f GiB, more than this process may have (%.1f GiB)", name,
                 need / (1 << 30), have / (1 << 30));
        return -1;
    }
    if (have > 0 && need > have) { /* a sparse file's few entries too: readers hold every cell */
        snprintf(why, why_len, "its counts, %llu x %llu x %llu x %llu as every reader holds them, take %.1f GiB, more "
                 "than this process may have (%.1f GiB): raster larger cells or a shorter span",
                 (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2],
                 (unsigned long long)dims[3], need / (1 << 30), have / (1 << 30));
        return -1;
    }
    if (cc_tensor_alloc(t, (int)dims[0], (int)dims[1], (int)dims[2], (int)dims[3]) != 0) {
        snprintf(why, why_len, "out of memory for %s", name);
        return -1;
    }
    double *y = malloc(sizeof *y * dims[2]), *x = malloc(sizeof *x * dims[3]);
    int status = !y || !x ? (snprintf(why, why_len, "out of memory"), -1)
                 : sparse ? 0
                          : read_part(file, name, H5T_NATIVE_FLOAT, (size_t)(dims[0] * dims[1] * dims[2] * dims[3]),
                                      t->values, why, why_len);
    if (status == 0) status = read_metadata(file, t, y, x, why, why_len);
    if (status == 0) status = check_axes(t, y, x, why, why_len);
    if (status == 0 && !strcmp(dataset, "counts")) status = check_consecutive(t, why, why_len);
    if (status == 0) status = check_repeated_attributes(file, t, forecast, why, why_len);
    if (status == 0 && sparse) status = read_sparse_counts(file, t, why, why_len);
    /* a sparse file's counts were checked entry by entry (cc_sparse_check: finite, > 0);
     * every other value is 0 */
    if (status == 0 && !sparse) status = check_values(t, name, t->values, 1, why, why_len);
    if (status == 0) {
        t->x0 = x[0] - 0.5 * t->cell;
        t->y0 = y[0] + 0.5 * t->cell;
        t->forecast = !strcmp(dataset, "forecast");
        t->source = cc_hdf5_read_text(file, "source");
        char *model = cc_hdf5_read_text(file, "model");
        if (model) snprintf(t->model, sizeof t->model, "%s", model);
        free(model);
        t->created_by = cc_hdf5_read_text(file, "created_by");
    } else {
        cc_tensor_free(t);
    }
    free(y), free(x);
    return status;
}

int cc_tensor_read(const char *path, const char *dataset, cc_tensor *t, char *err, size_t err_len) {
    memset(t, 0, sizeof *t);
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "unreadable";
    hid_t file = cc_hdf5_open_read(path, why, sizeof why);
    int status = file < 0 ? -1 : read_file(file, dataset, t, why, sizeof why);
    if (status == 0) cc_hdf5_file_identity(file, t->file_identity);
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    if (status != 0) snprintf(err, err_len, "%s: %s", path, why);
    return status;
}

int cc_tensor_file_shape(const char *path, int shape[4], char *err, size_t err_len) {
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "unreadable";
    hid_t file = cc_hdf5_open_read(path, why, sizeof why);
    hsize_t dims[4];
    int status = file < 0 ? -1
                 : H5Lexists(file, "/counts", H5P_DEFAULT) > 0 ? cc_hdf5_dataset_dims(file, "/counts", 4, dims)
                 : sparse_counts(file)                         ? scale_dims(file, dims)
                                                               : -1;
    if (status == 0 && !plausible_shape(dims)) status = -1;
    for (int d = 0; status == 0 && d < 4; d++) shape[d] = (int)dims[d];
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    if (status != 0) snprintf(err, err_len, "%s: no count tensor's shape to read", path);
    return status;
}

int cc_tensor_channel_named(const cc_tensor *t, const char *path, const char *name, char *err, size_t err_len) {
    int c = cc_tensor_channel(t, name);
    if (c >= 0) return c;
    const char *alike = NULL; /* Theft for theft: said, not taken (every command reads names exactly) */
    for (int k = 0; k < t->C && !alike; k++)
        if (!strcasecmp(t->categories[k], name)) alike = t->categories[k];
    size_t n = (size_t)snprintf(err, err_len, "%s has no category '%s' (", path, name);
    if (alike && n < err_len) n += (size_t)snprintf(err + n, err_len - n, "did you mean '%s'? ", alike);
    if (n < err_len) n += (size_t)snprintf(err + n, err_len - n, "it has:");
    for (int k = 0; k < t->C && n < err_len; k++) n += (size_t)snprintf(err + n, err_len - n, " %s", t->categories[k]);
    if (n < err_len) snprintf(err + n, err_len - n, ")");
    return -1;
}

int cc_tensor_bin_dated(const cc_tensor *t, const char *path, const char *date, char *err, size_t err_len) {
    int64_t day = 0;
    cc_parse_iso_date(date, &day);
    int ti = cc_tensor_bin(t, day);
    if (ti >= 0) return ti;
    char first[11], last[11], holding[80] = "";
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    for (int i = 0; i < t->T; i++) /* the bin the date falls in: its start is what --time takes */
        if (t->time[i] <= day && day < cc_bin_end(t->bin, t->time[i])) {
            char start[11];
            cc_format_iso_date(t->time[i], start);
            snprintf(holding, sizeof holding, "; the %s holding it starts %s", cc_bin_kind_name(t->bin), start);
        }
    snprintf(err, err_len, "%s: no %s bin starts on %s (bins start %s .. %s%s)", path, cc_bin_kind_name(t->bin), date,
             first, last, holding);
    return -1;
}

int cc_forecast_horizon(const char *path) {
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[256];
    hid_t file = cc_hdf5_open_read(path, why, sizeof why); /* (a FIFO: refused, not waited on) */
    long long horizon = 0;
    if (file < 0 || cc_hdf5_read_int(file, "horizon", &horizon) != 0 || horizon < 1 || horizon > 1000000) horizon = 0;
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    return (int)horizon;
}

int cc_tensor_read_recency(const char *path, cc_tensor *t, int threads, char *err, size_t err_len) {
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "unreadable";
    hid_t file = cc_hdf5_open_read(path, why, sizeof why);
    int status = file < 0 || cc_hdf5_same_file(file, t->file_identity, why, sizeof why) != 0
                     ? -1 : read_recency(file, path, t, threads, why, sizeof why);
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    if (status != 0) snprintf(err, err_len, "%s: %s", path, why);
    return status;
}

int cc_forecast_write(const char *path, const cc_tensor *truth, const float *values, const int64_t *time, int n,
                      const cc_forecast_label *label, char *err, size_t err_len) {
    return cc_forecast_write_with(path, truth, values, time, n, label, NULL, 0, err, err_len);
}

int cc_forecast_write_with(const char *path, const cc_tensor *truth, const float *values, const int64_t *time, int n,
                           const cc_forecast_label *label, const cc_file_attribute *more, int more_count, char *err,
                           size_t err_len) {
    cc_tensor f;
    if (cc_tensor_alloc(&f, n, truth->C, truth->H, truth->W) != 0) {
        snprintf(err, err_len, "%s: out of memory for %d forecasts", path, n);
        return -1;
    }
    memcpy(f.values, values, sizeof(float) * (size_t)n * truth->C * truth->H * truth->W);
    memcpy(f.time, time, sizeof(int64_t) * (size_t)n);
    for (int c = 0; c < truth->C; c++) f.categories[c] = strdup(truth->categories[c]);
    memcpy(f.mask, truth->mask, (size_t)truth->H * truth->W);
    snprintf(f.city, sizeof f.city, "%s", truth->city);
    snprintf(f.crs, sizeof f.crs, "%s", truth->crs);
    f.bin = truth->bin;
    f.x0 = truth->x0, f.y0 = truth->y0, f.cell = truth->cell;
    f.source = strdup(label->source ? label->source : "");
    f.created_by = strdup(label->created_by ? label->created_by : "crimecast " CRIMECAST_VERSION);
    cc_file_attribute *extra = malloc(sizeof *extra * (size_t)(2 + more_count));
    int status = -1;
    char why[512];
    if (check_values(&f, "the forecast", f.values, 1, why, sizeof why) != 0) { /* what every reader refuses */
        snprintf(err, err_len, "%s: not written: %s (a forecast must be; a model's rates run away?)", path,
                 why);
    } else if (extra) {
        extra[0] = (cc_file_attribute){"model", label->model, 0, NULL, 0};
        extra[1] = (cc_file_attribute){"horizon", NULL, label->horizon, NULL, 0};
        for (int i = 0; i < more_count; i++) extra[2 + i] = more[i];
        status = cc_tensor_write(path, &f, "forecast", "crimecast-forecast", extra, 2 + more_count, err, err_len);
    } else {
        snprintf(err, err_len, "%s: out of memory", path);
    }
    free(extra);
    cc_tensor_free(&f);
    return status;
}
