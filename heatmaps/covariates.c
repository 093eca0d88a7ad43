/* heatmaps/covariates.h */
#include "heatmaps/covariates.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/printable.h"
#include "crawler/whole_file.h"
#include "heatmaps/hdf5_util.h"

static const char *const KIND[2] = {"static", "dynamic"};

static size_t map_floats(const cc_covariates *c, int dynamic, int maps) {
    return (size_t)maps * c->H * c->W * (dynamic ? (size_t)c->T : 1);
}

int cc_covariate_name_usable(const char *name) {
    int alnum = 0;
    for (const char *c = name; *c; c++) {
        if (*c <= ' ' || *c > '~') return 0;
        alnum |= isalnum((unsigned char)*c) != 0;
    }
    return alnum;
}

void cc_covariates_free(cc_covariates *c) {
    free(c->static_values), free(c->dynamic_values), free(c->static_info), free(c->dynamic_info);
    int T = c->T, H = c->H, W = c->W;
    memset(c, 0, sizeof *c);
    c->T = T, c->H = H, c->W = W;
}

int cc_covariates_choose(cc_covariates *c, int static_only, const char *path, char *err, size_t err_len) {
    int dynamic = c->D;
    if (static_only) {
        free(c->dynamic_values), free(c->dynamic_info);
        c->dynamic_values = NULL, c->dynamic_info = NULL, c->D = 0;
    }
    if (c->K + c->D > 0) return 0;
    if (static_only && dynamic)
        snprintf(err, err_len, "%s has no static covariates, only %d dynamic (--covariates on takes them; static maps "
                 "come from crimecast covariates without --date)", path, dynamic);
    else
        snprintf(err, err_len, "%s has no %scovariates (add them with crimecast covariates)", path,
                 static_only ? "static " : "");
    return -1;
}

int cc_covariates_find(const cc_covariates *c, const char *name, int *dynamic) {
    for (int k = 0; k < c->K; k++)
        if (!strcmp(c->static_info[k].name, name)) return *dynamic = 0, k;
    for (int k = 0; k < c->D; k++)
        if (!strcmp(c->dynamic_info[k].name, name)) return *dynamic = 1, k;
    return -1;
}

/* Map k of one kind at bin b (static maps: b is 0). */
static float *map_at(const cc_covariates *c, int dynamic, int b, int k) {
    size_t plane = (size_t)c->H * c->W;
    return dynamic ? c->dynamic_values + ((size_t)b * c->D + k) * plane : c->static_values + (size_t)k * plane;
}

/* Removes map k of one kind. */
static void drop_map(cc_covariates *c, int dynamic, int k) {
    int *count = dynamic ? &c->D : &c->K, n = *count, bins = dynamic ? c->T : 1;
    size_t plane = (size_t)c->H * c->W;
    float *values = dynamic ? c->dynamic_values : c->static_values;
    size_t w = 0;
    for (int b = 0; b < bins; b++)
        for (int j = 0; j < n; j++)
            if (j != k) memmove(values + w, values + ((size_t)b * n + j) * plane, sizeof(float) * plane), w += plane;
    cc_covariate_info *info = dynamic ? c->dynamic_info : c->static_info;
    memmove(info + k, info + k + 1, sizeof *info * (size_t)(n - k - 1));
    (*count)--;
}

int cc_covariates_add(cc_covariates *c, int dynamic, int count, const float *values, const cc_covariate_info *info) {
    for (int i = 0; i < count; i++) {
        int kind, k = cc_covariates_find(c, info[i].name, &kind);
        if (k >= 0) drop_map(c, kind, k);
    }
    int old = dynamic ? c->D : c->K, total = old + count, bins = dynamic ? c->T : 1;
    if (c->K + c->D + count > CC_COVARIATES_MOST) return -1;
    size_t plane = (size_t)c->H * c->W;
    float *merged = malloc(sizeof(float) * map_floats(c, dynamic, total ? total : 1));
    cc_covariate_info *infos = malloc(sizeof *infos * (size_t)total);
    if (!merged || !infos) {
        free(merged), free(infos);
        return -1;
    }
    float *before = dynamic ? c->dynamic_values : c->static_values;
    for (int b = 0; b < bins; b++) {
        float *row = merged + (size_t)b * total * plane;
        if (old) memcpy(row, before + (size_t)b * old * plane, sizeof(float) * old * plane);
        memcpy(row + (size_t)old * plane, values + (size_t)b * count * plane, sizeof(float) * count * plane);
    }
    cc_covariate_info *had = dynamic ? c->dynamic_info : c->static_info;
    if (old) memcpy(infos, had, sizeof *infos * (size_t)old);
    memcpy(infos + old, info, sizeof *infos * (size_t)count);
    free(before), free(had);
    if (dynamic) c->dynamic_values = merged, c->dynamic_info = infos, c->D = total;
    else c->static_values = merged, c->static_info = infos, c->K = total;
    return 0;
}

/* ------------------------------------------------------------------ the file */

static int write_texts(hid_t group, const char *name, const char *const *texts, int n) {
    hid_t type = cc_hdf5_utf8_type();
    hsize_t dims[1] = {(hsize_t)n};
    hid_t ds = cc_hdf5_write_dataset(group, name, type, type, 1, dims, texts);
    H5Tclose(type);
    if (ds < 0) return -1;
    H5Dclose(ds);
    return 0;
}

/* The four text lists of one kind's maps. */
static int write_infos(hid_t group, const char *kind, const cc_covariate_info *info, int n) {
    const char **texts = malloc(sizeof *texts * (size_t)n);
    int status = texts ? 0 : -1;
    static const char *const FIELDS[4] = {"name", "unit", "source", "join"};
    for (int f = 0; !status && f < 4; f++) {
        for (int k = 0; k < n; k++)
            texts[k] = f == 0 ? info[k].name : f == 1 ? info[k].unit : f == 2 ? info[k].source : info[k].join;
        char name[32];
        snprintf(name, sizeof name, "%s_%s", kind, FIELDS[f]);
        status = write_texts(group, name, texts, n);
    }
    free(texts);
    return status;
}

static int write_kind(hid_t group, const cc_covariates *c, int dynamic) {
    int n = dynamic ? c->D : c->K;
    if (n == 0) return 0;
    hsize_t dims[4] = {(hsize_t)c->T, (hsize_t)n, (hsize_t)c->H, (hsize_t)c->W};
    const hsize_t *d = dynamic ? dims : dims + 1;
    hid_t ds = cc_hdf5_write_chunked(group, KIND[dynamic], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, dynamic ? 4 : 3, d, 1, 4,
                                     dynamic ? c->dynamic_values : c->static_values);
    if (ds < 0) return -1;
    H5Dclose(ds);
    return write_infos(group, KIND[dynamic], dynamic ? c->dynamic_info : c->static_info, n);
}

/* The maps of `c` as /covariates of `file`. */
static int write_group(hid_t file, const cc_covariates *c) {
    hid_t group = H5Gcreate2(file, "/covariates", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int status = group < 0 ? -1 : write_kind(group, c, 0);
    if (!status) status = write_kind(group, c, 1);
    if (group >= 0) H5Gclose(group);
    return status;
}

/* The file is written anew, beside it, from what it holds but its old /covariates:
 * deleting them in place would leave their space unused in the file (h5repack's job),
 * and a run of replacements (mobility maps of every bin) would grow it by as much each
 * time. */
int cc_covariates_store(const char *path, const cc_covariates *c, const unsigned long long identity[2], char *err,
                        size_t err_len) {
    cc_whole_file f;
    if (cc_whole_file_begin(&f, path, err, err_len) != 0) return -1;
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "";
    hid_t from = cc_hdf5_open_read(path, why, sizeof why);
    if (from >= 0 && cc_hdf5_same_file(from, identity, why, sizeof why) != 0) {
        snprintf(why, sizeof why, "the file was replaced while its covariate maps were made (written again by a "
                 "raster?): the maps, made for the old grid and bins, are not written into it; run the covariates "
                 "again on the new file");
        H5Fclose(from);
        from = -1;
    }
    hid_t creation = from < 0 ? -1 : H5Fget_create_plist(from); /* the file's creation properties, as they were */
    hid_t access = cc_hdf5_closing_access();
    hid_t to = creation < 0 || access < 0 ? -1 : H5Fcreate(f.temp, H5F_ACC_TRUNC, creation, access);
    int copied = to >= 0 && cc_hdf5_copy_contents(from, to, "covariates") == 0;
    int status = copied ? write_group(to, c) : -1;
    if (to >= 0 && H5Fclose(to) < 0) status = -1;
    if (access >= 0) H5Pclose(access);
    if (creation >= 0) H5Pclose(creation);
    if (from >= 0) H5Fclose(from);
    cc_hdf5_restore(q);
    if (status) {
        if (from < 0) snprintf(err, err_len, "%s: %s", path, why);
        else if (!copied)
            snprintf(err, err_len, "%s: cannot copy what it holds into %s (an object HDF5 cannot copy, such as a "
                     "dimension scale's reference to a dataset deleted since, or the disk full)", path, f.temp);
        else snprintf(err, err_len, "%s: cannot write its covariates (disk full?)", path);
        cc_whole_file_abandon(&f);
        return -1;
    }
    return cc_whole_file_commit(&f, err, err_len);
}

static int read_texts(hid_t group, const char *kind, const char *field, int n, cc_covariate_info *info) {
    char name[32];
    snprintf(name, sizeof name, "%s_%s", kind, field);
    hid_t type = cc_hdf5_utf8_type();
    char **texts = calloc((size_t)n, sizeof *texts);
    int status = texts ? cc_hdf5_read_dataset(group, name, type, (size_t)n, texts) : -1;
    for (int k = 0; !status && k < n; k++) {
        const char *t = texts[k] ? texts[k] : "";
        if (!strcmp(field, "name")) snprintf(info[k].name, sizeof info[k].name, "%s", t);
        else if (!strcmp(field, "unit")) snprintf(info[k].unit, sizeof info[k].unit, "%s", t);
        else if (!strcmp(field, "source")) snprintf(info[k].source, sizeof info[k].source, "%s", t);
        else snprintf(info[k].join, sizeof info[k].join, "%s", t);
    }
    for (int k = 0; texts && !status && k < n; k++) H5free_memory(texts[k]);
    free(texts);
    H5Tclose(type);
    return status;
}

/* What crimecast covariates writes, from a file written elsewhere: usable names, each
 * once (the static ones, read first, among them), and maps of numbers or NaN (missing),
 * never an infinity (a model standardises them; the forest refused one unnamed). */
/* Reading to rewrite (crimecast covariates), such maps are mended instead, each said in
 * `mended`: a name renamed unnamed_<kind>_<k>, infinities made missing (older versions
 * wrote both: a value past a float's range as an infinity, any --names). */
typedef struct mending {
    int on;
    char *said;
    size_t len;
} mending;

static void say_mended(mending *m, const char *text) {
    size_t used = strlen(m->said);
    if (used + 1 < m->len) snprintf(m->said + used, m->len - used, "%s", text);
}

static int check_kind(const cc_covariates *c, int dynamic, float *values, cc_covariate_info *info, int n,
                      mending *mend, char *why, size_t why_len) {
    char shown[4 * 40 + 8];
    for (int k = 0; k < n; k++) {
        int kind, seen = cc_covariates_find(c, info[k].name, &kind) >= 0;
        for (int j = 0; j < k; j++) seen |= !strcmp(info[j].name, info[k].name);
        if (!(!cc_covariate_name_usable(info[k].name) || seen)) continue;
        if (!mend->on) {
            snprintf(why, why_len, "/covariates/%s_name[%d] '%s' %s", KIND[dynamic], k,
                     cc_printable(info[k].name, shown, sizeof shown, 40),
                     seen ? "names another map too" : "is no usable name (printable ASCII, no space, a letter or digit)");
            return -1;
        }
        char renamed[sizeof info[k].name];
        snprintf(renamed, sizeof renamed, "unnamed_%s_%d", KIND[dynamic], k + 1);
        char said[sizeof shown + sizeof renamed + 64];
        snprintf(said, sizeof said, "map '%s' renamed %s (no usable name, or another map's); ",
                 cc_printable(info[k].name, shown, sizeof shown, 40), renamed);
        say_mended(mend, said);
        snprintf(info[k].name, sizeof info[k].name, "%s", renamed);
    }
    size_t count = map_floats(c, dynamic, n), plane = (size_t)c->H * c->W;
    for (size_t q = 0; q < count; q++)
        if (isinf(values[q])) {
            int k = (int)(q / plane % (size_t)n);
            if (!mend->on) {
                snprintf(why, why_len, "/covariates/%s holds %g in map '%s'%s (missing is NaN; a value must be finite)",
                         KIND[dynamic], (double)values[q], cc_printable(info[k].name, shown, sizeof shown, 40),
                         dynamic ? ", a bin of it" : "");
                return -1;
            }
            char said[sizeof info[k].name + 48];
            snprintf(said, sizeof said, "map '%s': infinities made missing; ", info[k].name);
            if (!strstr(mend->said, said)) say_mended(mend, said);
            values[q] = NAN;
        }
    return 0;
}

static int read_kind(hid_t group, cc_covariates *c, int dynamic, mending *mend, char *why, size_t why_len) {
    if (H5Lexists(group, KIND[dynamic], H5P_DEFAULT) <= 0) return 0;
    hsize_t dims[4];
    int rank = dynamic ? 4 : 3;
    if (cc_hdf5_dataset_dims(group, KIND[dynamic], rank, dims) != 0 ||
        (dynamic && dims[0] != (hsize_t)c->T) || dims[rank - 2] != (hsize_t)c->H || dims[rank - 1] != (hsize_t)c->W ||
        dims[rank - 3] == 0 || dims[rank - 3] > CC_COVARIATES_MOST) {
        snprintf(why, why_len, "/covariates/%s is not [%s%s][H][W] of the tensor's grid", KIND[dynamic],
                 dynamic ? "T][" : "", "K");
        return -1;
    }
    int n = (int)dims[rank - 3];
    if (c->K + n > CC_COVARIATES_MOST) { /* static ones are read first */
        snprintf(why, why_len, "/covariates holds %d static and %d dynamic maps, more than %d in all", c->K, n,
                 CC_COVARIATES_MOST);
        return -1;
    }
    float *values = malloc(sizeof(float) * map_floats(c, dynamic, n));
    cc_covariate_info *info = calloc((size_t)n, sizeof *info);
    int status = values && info ? cc_hdf5_read_dataset(group, KIND[dynamic], H5T_NATIVE_FLOAT, map_floats(c, dynamic, n), values) : -1;
    static const char *const FIELDS[4] = {"name", "unit", "source", "join"};
    for (int f = 0; !status && f < 4; f++) status = read_texts(group, KIND[dynamic], FIELDS[f], n, info);
    if (status) {
        free(values), free(info);
        snprintf(why, why_len, "/covariates/%s or its names, units, sources or joins are unreadable", KIND[dynamic]);
        return -1;
    }
    if (check_kind(c, dynamic, values, info, n, mend, why, why_len) != 0) {
        free(values), free(info);
        return -1;
    }
    if (dynamic) c->dynamic_values = values, c->dynamic_info = info, c->D = n;
    else c->static_values = values, c->static_info = info, c->K = n;
    return 0;
}

int cc_covariates_missing_over(const cc_covariates *cov, int d, const uint8_t *mask, const int *bins, int n) {
    size_t plane = (size_t)cov->H * cov->W;
    int inside = 0;
    for (int i = 0; i < n; i++) {
        if (bins[i] < 0 || bins[i] >= cov->T) continue;
        inside = 1;
        const float *map = cov->dynamic_values + ((size_t)bins[i] * cov->D + d) * plane;
        for (size_t q = 0; q < plane; q++)
            if (mask[q] && !isnan(map[q])) return 0;
    }
    return inside;
}

int cc_covariates_warn_missing(const cc_covariates *cov, const int *read, const uint8_t *mask, const int *bins, int n,
                               const char *command, const char *advice) {
    char names[1024] = "";
    size_t used = 0;
    int missing = 0;
    for (int d = 0; d < cov->D; d++) {
        if ((read && !read[d]) || !cc_covariates_missing_over(cov, d, mask, bins, n)) continue;
        if (missing++ < 6 && used < sizeof names)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s'%s'", missing > 1 ? ", " : "",
                                     cov->dynamic_info[d].name);
    }
    if (missing == 0) return 0;
    fprintf(stderr, "%s: warning: covariate%s %s%s %s missing in every cell at every forecast origin of this span "
            "(%s before them?): the model reads only what it learned of missing values there, which can set its "
            "level off (London's forecasts ran 10-15%% high past the mobility series' end); %s\n", command,
            missing > 1 ? "s" : "", names, missing > 6 ? ", ..." : "", missing > 1 ? "are" : "is",
            missing > 1 ? "their series end" : "its series ends", advice);
    return missing;
}

static int read_covariates(const char *path, const cc_tensor *t, cc_covariates *c, mending *mend, char *err,
                           size_t err_len) {
    memset(c, 0, sizeof *c);
    c->T = t->T, c->H = t->H, c->W = t->W;
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[512] = "";
    hid_t file = cc_hdf5_open_read(path, why, sizeof why), group = -1;
    int status = file < 0 || cc_hdf5_same_file(file, t->file_identity, why, sizeof why) != 0 ? -1 : 0;
    if (!status && H5Lexists(file, "/covariates", H5P_DEFAULT) > 0) {
        group = H5Gopen2(file, "/covariates", H5P_DEFAULT);
        status = group < 0 ? -1 : read_kind(group, c, 0, mend, why, sizeof why);
        if (!status) status = read_kind(group, c, 1, mend, why, sizeof why);
    }
    if (group >= 0) H5Gclose(group);
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    if (status) {
        snprintf(err, err_len, "%s: %s", path, why[0] ? why : "/covariates is unreadable");
        cc_covariates_free(c);
    }
    return status;
}

int cc_covariates_read(const char *path, const cc_tensor *t, cc_covariates *c, char *err, size_t err_len) {
    mending none = {0, NULL, 0};
    return read_covariates(path, t, c, &none, err, err_len);
}

int cc_covariates_read_mending(const char *path, const cc_tensor *t, cc_covariates *c, char *mended,
                               size_t mended_len, char *err, size_t err_len) {
    if (mended_len) mended[0] = 0;
    mending m = {1, mended, mended_len};
    return read_covariates(path, t, c, &m, err, err_len);
}

float *cc_covariates_map(const cc_covariates *c, int dynamic, int b, int k) { return map_at(c, dynamic, b, k); }
