#include "host/tensor_file.h"

#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heatmaps/time_bins.h"

/* HDF5 prints its error stack by itself unless told not to; crimecast reports errors
 * its own way. The handler is process-wide, so it is restored afterwards. */
typedef struct quiet_hdf5 {
    H5E_auto2_t func;
    void *data;
} quiet_hdf5;

static quiet_hdf5 hdf5_quiet(void) {
    quiet_hdf5 q;
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

static void hdf5_restore(quiet_hdf5 q) { H5Eset_auto2(H5E_DEFAULT, q.func, q.data); }

static hid_t utf8_string_type(void) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

static int write_attribute(hid_t obj, const char *name, hid_t type, const void *value) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int ok = attr >= 0 && H5Awrite(attr, type, value) >= 0;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    return ok ? 0 : -1;
}

static int write_text_attribute(hid_t obj, const char *name, const char *value) {
    hid_t type = utf8_string_type();
    const char *text = value ? value : "";
    int status = write_attribute(obj, name, type, &text);
    H5Tclose(type);
    return status;
}

/* Writes a 1-D or 2-D dataset in one go; returns its id (caller closes) or -1. */
static hid_t write_plain_dataset(hid_t file, const char *name, hid_t file_type, hid_t mem_type,
                                 int rank, const hsize_t *dims, const void *data) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t ds = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Sclose(space);
    return ds;
}

static hid_t write_values(hid_t file, const char *name, const cc_tensor *t) {
    hsize_t dims[4] = {(hsize_t)t->T, (hsize_t)t->C, (hsize_t)t->H, (hsize_t)t->W};
    hsize_t chunk[4] = {1, (hsize_t)t->C, (hsize_t)t->H, (hsize_t)t->W};
    hid_t space = H5Screate_simple(4, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 4, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 4);
    H5Pset_fletcher32(dcpl);
    hid_t ds = H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->values) < 0) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Pclose(dcpl);
    H5Sclose(space);
    return ds;
}

/* The coordinate datasets, made dimension scales of the values. */
static int write_scales(hid_t file, hid_t values, const cc_tensor *t) {
    double *y = malloc(sizeof *y * (size_t)t->H), *x = malloc(sizeof *x * (size_t)t->W);
    if (!y || !x) {
        free(y), free(x);
        return -1;
    }
    for (int r = 0; r < t->H; r++) y[r] = t->y0 - (r + 0.5) * t->cell;
    for (int c = 0; c < t->W; c++) x[c] = t->x0 + (c + 0.5) * t->cell;
    hid_t strings = utf8_string_type();
    hsize_t n[4] = {(hsize_t)t->T, (hsize_t)t->C, (hsize_t)t->H, (hsize_t)t->W};
    hid_t scales[4] = {
        write_plain_dataset(file, "/time", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n[0], t->time),
        write_plain_dataset(file, "/category", strings, strings, 1, &n[1], t->categories),
        write_plain_dataset(file, "/y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n[2], y),
        write_plain_dataset(file, "/x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n[3], x)};
    static const char *const LABELS[4] = {"time", "category", "y", "x"};
    int status = 0;
    for (unsigned d = 0; d < 4; d++) {
        if (scales[d] < 0 || H5DSset_scale(scales[d], LABELS[d]) < 0 ||
            H5DSattach_scale(values, scales[d], d) < 0 || H5DSset_label(values, d, LABELS[d]) < 0)
            status = -1;
        if (scales[d] >= 0) H5Dclose(scales[d]);
    }
    H5Tclose(strings);
    free(y), free(x);
    return status;
}

static int write_root_attributes(hid_t file, const cc_tensor *t, const char *format,
                                 const cc_text_attribute *extra, int extra_count) {
    char first[11], last[11];
    cc_format_iso_date(t->time[0], first);
    cc_format_iso_date(t->time[t->T - 1], last);
    int version = CC_TENSOR_FORMAT_VERSION;
    int status = write_text_attribute(file, "format", format) |
                 write_attribute(file, "format_version", H5T_NATIVE_INT, &version) |
                 write_text_attribute(file, "city", t->city) | write_text_attribute(file, "crs", t->crs) |
                 write_attribute(file, "cell_size_m", H5T_NATIVE_DOUBLE, &t->cell) |
                 write_text_attribute(file, "bin", t->bin) | write_text_attribute(file, "first_bin", first) |
                 write_text_attribute(file, "last_bin", last) |
                 write_text_attribute(file, "source", t->source) |
                 write_text_attribute(file, "created_by", t->created_by);
    for (int i = 0; i < extra_count; i++) status |= write_text_attribute(file, extra[i].name, extra[i].value);
    return status ? -1 : 0;
}

static int write_file(hid_t file, const cc_tensor *t, const char *dataset, const char *format,
                      const cc_text_attribute *extra, int extra_count) {
    char name[128];
    snprintf(name, sizeof name, "/%s", dataset);
    hid_t values = write_values(file, name, t);
    if (values < 0) return -1;
    int status = write_scales(file, values, t);
    H5Dclose(values);
    if (status == 0) {
        hsize_t mask_dims[2] = {(hsize_t)t->H, (hsize_t)t->W};
        hid_t mask = write_plain_dataset(file, "/mask", H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, mask_dims, t->mask);
        status = mask < 0 ? -1 : 0;
        if (mask >= 0) H5Dclose(mask);
    }
    if (status == 0) status = write_root_attributes(file, t, format, extra, extra_count);
    return status;
}

int cc_tensor_write(const char *path, const cc_tensor *t, const char *dataset, const char *format,
                    const cc_text_attribute *extra, int extra_count, char *err, size_t err_len) {
    if (t->T < 1 || t->C < 1 || t->H < 1 || t->W < 1) {
        snprintf(err, err_len, "%s: empty tensor (%d x %d x %d x %d)", path, t->T, t->C, t->H, t->W);
        return -1;
    }
    char temp[4200];
    snprintf(temp, sizeof temp, "%s.tmp-%ld", path, (long)getpid());
    quiet_hdf5 q = hdf5_quiet();
    hid_t file = H5Fcreate(temp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    int status = file < 0 ? -1 : write_file(file, t, dataset, format, extra, extra_count);
    if (file >= 0 && H5Fclose(file) < 0) status = -1;
    hdf5_restore(q);
    if (status == 0 && rename(temp, path) != 0) status = -1;
    if (status != 0) {
        unlink(temp);
        snprintf(err, err_len, "%s: cannot write the HDF5 file (disk full, or no permission?)", path);
    }
    return status;
}

/* ------------------------------------------------------------------ reading */

static char *read_text_attribute(hid_t obj, const char *name) {
    if (H5Aexists(obj, name) <= 0) return NULL;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t type = utf8_string_type();
    char *value = NULL, *copy = NULL;
    if (attr >= 0 && H5Aread(attr, type, &value) >= 0 && value) {
        copy = strdup(value);
        H5free_memory(value);
    }
    H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    return copy;
}

static int read_double_attribute(hid_t obj, const char *name, double *value) {
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    int ok = attr >= 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, value) >= 0;
    if (attr >= 0) H5Aclose(attr);
    return ok ? 0 : -1;
}

static int read_dataset(hid_t file, const char *name, hid_t mem_type, void *out) {
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    int ok = ds >= 0 && H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0;
    if (ds >= 0) H5Dclose(ds);
    return ok ? 0 : -1;
}

static int read_dims(hid_t file, const char *name, int rank, hsize_t *dims) {
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t space = H5Dget_space(ds);
    int ok = H5Sget_simple_extent_ndims(space) == rank && H5Sget_simple_extent_dims(space, dims, NULL) == rank;
    H5Sclose(space);
    H5Dclose(ds);
    return ok ? 0 : -1;
}

static int read_categories(hid_t file, cc_tensor *t) {
    hid_t type = utf8_string_type();
    char **names = calloc((size_t)t->C, sizeof *names);
    int status = names ? read_dataset(file, "/category", type, names) : -1;
    for (int c = 0; status == 0 && c < t->C; c++) {
        t->categories[c] = strdup(names[c] ? names[c] : "");
        H5free_memory(names[c]);
    }
    free(names);
    H5Tclose(type);
    return status;
}

static int copy_text(char *dst, size_t len, char *value) {
    if (!value) return -1;
    snprintf(dst, len, "%s", value);
    free(value);
    return 0;
}

static int read_file(hid_t file, const char *dataset, cc_tensor *t, char *why, size_t why_len) {
    char *format = read_text_attribute(file, "format");
    int known = format && (!strcmp(format, CC_TENSOR_FORMAT) || !strcmp(format, "crimecast-forecast"));
    free(format);
    if (!known) {
        snprintf(why, why_len, "not a crimecast tensor or forecast file (root attribute 'format')");
        return -1;
    }
    char name[128];
    if (!dataset) dataset = H5Lexists(file, "/counts", H5P_DEFAULT) > 0 ? "counts" : "forecast";
    snprintf(name, sizeof name, "/%s", dataset);
    hsize_t dims[4];
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0 || read_dims(file, name, 4, dims) != 0) {
        snprintf(why, why_len, "no 4-D dataset %s", name);
        return -1;
    }
    if (cc_tensor_alloc(t, (int)dims[0], (int)dims[1], (int)dims[2], (int)dims[3]) != 0) {
        snprintf(why, why_len, "out of memory for %s", name);
        return -1;
    }
    double *y = malloc(sizeof *y * dims[2]), *x = malloc(sizeof *x * dims[3]);
    int status = (y && x && read_dataset(file, name, H5T_NATIVE_FLOAT, t->values) == 0 &&
                  read_dataset(file, "/time", H5T_NATIVE_INT64, t->time) == 0 &&
                  read_dataset(file, "/mask", H5T_NATIVE_UINT8, t->mask) == 0 &&
                  read_dataset(file, "/y", H5T_NATIVE_DOUBLE, y) == 0 &&
                  read_dataset(file, "/x", H5T_NATIVE_DOUBLE, x) == 0 && read_categories(file, t) == 0 &&
                  read_double_attribute(file, "cell_size_m", &t->cell) == 0 &&
                  copy_text(t->city, sizeof t->city, read_text_attribute(file, "city")) == 0 &&
                  copy_text(t->crs, sizeof t->crs, read_text_attribute(file, "crs")) == 0 &&
                  copy_text(t->bin, sizeof t->bin, read_text_attribute(file, "bin")) == 0)
                     ? 0
                     : -1;
    if (status == 0) {
        t->x0 = x[0] - 0.5 * t->cell;
        t->y0 = y[0] + 0.5 * t->cell;
        t->source = read_text_attribute(file, "source");
        t->created_by = read_text_attribute(file, "created_by");
    } else {
        snprintf(why, why_len, "missing or unreadable datasets or attributes (damaged file?)");
        cc_tensor_free(t);
    }
    free(y), free(x);
    return status;
}

int cc_tensor_read(const char *path, const char *dataset, cc_tensor *t, char *err, size_t err_len) {
    memset(t, 0, sizeof *t);
    quiet_hdf5 q = hdf5_quiet();
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    char why[256] = "not an HDF5 file, or unreadable";
    int status = file < 0 ? -1 : read_file(file, dataset, t, why, sizeof why);
    if (file >= 0) H5Fclose(file);
    hdf5_restore(q);
    if (status != 0) snprintf(err, err_len, "%s: %s", path, why);
    return status;
}
