#include "heatmaps/hdf5_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "crawler/file_lock.h"
#include "crawler/printable.h"
#include "crawler/whole_file.h"

int cc_hdf5_file_identity(hid_t file, unsigned long long identity[2]) {
    identity[0] = identity[1] = 0;
    void *handle = NULL;
    hid_t access = H5Fget_access_plist(file);
    int sec2 = access >= 0 && H5Pget_driver(access) == H5FD_SEC2; /* its handle is an int descriptor */
    if (access >= 0) H5Pclose(access);
    struct stat st;
    if (!sec2 || H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle || fstat(*(int *)handle, &st) != 0)
        return -1;
    identity[0] = (unsigned long long)st.st_dev, identity[1] = (unsigned long long)st.st_ino;
    return 0;
}

int cc_hdf5_same_file(hid_t file, const unsigned long long identity[2], char *why, size_t why_len) {
    unsigned long long now[2];
    if ((!identity[0] && !identity[1]) || cc_hdf5_file_identity(file, now) != 0) return 0;
    if (now[0] == identity[0] && now[1] == identity[1]) return 0;
    snprintf(why, why_len, "the file was replaced since its counts were read (written again meanwhile, by a raster "
             "or covariates run?): its parts would be of two files; run again once it is written");
    return -1;
}

/* Whether dataset `name` keeps its values in other files (H5Pset_external: raw storage
 * outside the HDF5 file). 0 for a group, or what cannot be opened as a dataset. */
static int stored_outside(hid_t group, const char *name) {
    cc_hdf5_quiet q = cc_hdf5_silence(); /* a group is not a dataset: no error to print */
    hid_t ds = H5Dopen2(group, name, H5P_DEFAULT);
    hid_t plist = ds >= 0 ? H5Dget_create_plist(ds) : -1;
    int outside = plist >= 0 && H5Pget_external_count(plist) > 0;
    if (plist >= 0) H5Pclose(plist);
    if (ds >= 0) H5Dclose(ds);
    cc_hdf5_restore(q);
    return outside;
}

/* The first link in the file that leads out of it (an external link, a user-defined one,
 * or a dataset whose values are in other files): its name into `context` (a char[256]),
 * 1 for a link and 2 for a dataset, and the walk stops. */
static herr_t find_outward_link(hid_t group, const char *name, const H5L_info_t *info, void *context) {
    if (info->type == H5L_TYPE_SOFT) return 0;
    if (info->type == H5L_TYPE_HARD && !stored_outside(group, name)) return 0;
    snprintf(context, 256, "%s", name);
    return info->type == H5L_TYPE_HARD ? 2 : 1;
}

/* -1 with why when a link or a dataset of the file leads to another file: HDF5 follows it
 * as the data is read, to whatever is there (a FIFO blocked every reader for good; a
 * probe and a reviewer), and crimecast never writes one. Opens no data: cheap. */
static int refuse_outward_links(hid_t file, char *why, size_t why_len) {
    char name[256] = "";
    herr_t found = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, find_outward_link, name);
    if (found == 0) return 0;
    char shown[160];
    cc_printable(name, shown, sizeof shown, 120);
    if (found == 1)
        snprintf(why, why_len, "'/%s' is an external link (to another file): crimecast reads a file's data from the "
                 "file itself (copy the data in, e.g. h5copy)", shown);
    else if (found == 2)
        snprintf(why, why_len, "dataset '/%s' keeps its values in other files (external storage): crimecast reads a "
                 "file's data from the file itself (copy the data in, e.g. h5repack -l CONTI)", shown);
    else
        snprintf(why, why_len, "its links cannot be walked (a damaged file?)");
    return -1;
}

hid_t cc_hdf5_open_read(const char *path, char *why, size_t why_len) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) { /* HDF5 would wait on a FIFO */
        snprintf(why, why_len, "not a regular file (a FIFO, socket or device)");
        return -1;
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file >= 0 && refuse_outward_links(file, why, why_len) != 0) {
        H5Fclose(file);
        return -1;
    }
    if (file >= 0) return file;
    FILE *f = NULL;
    if (stat(path, &st) != 0) snprintf(why, why_len, "cannot open it: %s", strerror(errno));
    else if (S_ISDIR(st.st_mode)) snprintf(why, why_len, "a directory, not a file");
    else if (!(f = fopen(path, "rb"))) snprintf(why, why_len, "cannot open it: %s", strerror(errno));
    else if (cc_has_hdf5_signature(f)) snprintf(why, why_len, "an HDF5 file that HDF5 cannot open (cut short, damaged, or "
                                                          "locked by a process writing it)");
    else snprintf(why, why_len, "not an HDF5 file");
    if (f) fclose(f);
    return -1;
}

int cc_hdf5_missing_filter(hid_t file, const char *name, char *out, size_t out_len) {
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t plist = ds >= 0 ? H5Dget_create_plist(ds) : -1;
    int missing = 0, filters = plist >= 0 ? H5Pget_nfilters(plist) : 0;
    for (int i = 0; i < filters && !missing; i++) {
        unsigned flags, config;
        size_t values = 0;
        char filter_name[64] = "";
        H5Z_filter_t id = H5Pget_filter2(plist, (unsigned)i, &flags, &values, NULL, sizeof filter_name, filter_name,
                                         &config);
        if (id >= 0 && H5Zfilter_avail(id) <= 0) {
            missing = 1;
            snprintf(out, out_len, "%s, filter %d", filter_name[0] ? filter_name : "unnamed", (int)id);
        }
    }
    if (plist >= 0) H5Pclose(plist);
    if (ds >= 0) H5Dclose(ds);
    return missing;
}

cc_hdf5_quiet cc_hdf5_silence(void) {
    cc_hdf5_quiet q;
    H5Eget_auto2(H5E_DEFAULT, &q.func, &q.data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    return q;
}

void cc_hdf5_restore(cc_hdf5_quiet q) { H5Eset_auto2(H5E_DEFAULT, q.func, q.data); }

hid_t cc_hdf5_utf8_type(void) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    return type;
}

void cc_hdf5_no_cleanup_at_exit(void) { H5dont_atexit(); }

hid_t cc_hdf5_closing_access(void) {
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access >= 0 && H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) < 0) {
        H5Pclose(access);
        return -1;
    }
    return access;
}

/* Renames the new file over the one at its name in turn with a covariates run changing
 * that one (it holds the file's lock from reading it to renaming its copy over it): a
 * raster's new tensor renamed over it meanwhile was lost under the copy of the old one
 * (exit 0 both; a probe). Without the lock (no file there yet, or none to be had) at once. */
static int commit_in_turn(cc_whole_file *out, char *err, size_t err_len) {
    cc_file_lock held = {.fd = -1};
    char ignored[256];
    if (access(out->path, F_OK) == 0) cc_file_lock_take(&held, out->path, "crimecast", ignored, sizeof ignored);
    int status = cc_whole_file_commit(out, err, err_len);
    if (held.fd >= 0) cc_file_lock_release(&held);
    return status;
}

/* Whether the file at `file` (a link's target), named `path` to the user, may be replaced
 * by an HDF5 file: none there, an empty one, an HDF5 one, or one this process cannot read
 * (the rename replaces it as before). 0, or -1 with err. */
static int replaceable_by_hdf5(const char *file, const char *path, char *err, size_t err_len) {
    struct stat st;
    FILE *f = stat(file, &st) == 0 && st.st_size > 0 ? fopen(file, "rb") : NULL;
    if (!f) return 0;
    int hdf5 = cc_has_hdf5_signature(f);
    fclose(f);
    if (hdf5) return 0;
    snprintf(err, err_len, "%s: there is a file by that name that is not an HDF5 file (another program's?): crimecast "
             "replaces only the HDF5 files it writes; name another file, or remove that one", path);
    return -1;
}

/* What a crimecast format is, in words. */
static const char *format_noun(const char *format) {
    return !strcmp(format, "crimecast-tensor")     ? "count tensor"
           : !strcmp(format, "crimecast-forecast") ? "forecast"
           : !strcmp(format, "crimecast-model")    ? "model"
                                                   : "crimecast";
}

/* A crimecast file of another format than `format` at `path`: -1 with err. Another tool's
 * HDF5 file, one without a format, or one this process cannot open: 0. */
static int same_format_or_none(const char *path, const char *format, char *err, size_t err_len) {
    cc_hdf5_quiet q = cc_hdf5_silence();
    char why[256];
    hid_t file = access(path, F_OK) == 0 ? cc_hdf5_open_read(path, why, sizeof why) : -1;
    char *there = file >= 0 ? cc_hdf5_read_text(file, "format") : NULL;
    if (file >= 0) H5Fclose(file);
    cc_hdf5_restore(q);
    int other = there && !strncmp(there, "crimecast-", 10) && strcmp(there, format) != 0;
    if (other) {
        char shown[64];
        snprintf(err, err_len, "%s is a %s file (format '%s'), which this %s file would replace: name another file",
                 path, format_noun(there), cc_printable(there, shown, sizeof shown, 40), format_noun(format));
    }
    free(there);
    return other ? -1 : 0;
}

int cc_hdf5_replace_check(const char *path, const char *format, char *err, size_t err_len) {
    return cc_whole_file_check(path, err, err_len) != 0 || replaceable_by_hdf5(path, path, err, err_len) != 0
               ? -1 : same_format_or_none(path, format, err, err_len);
}

int cc_hdf5_write_whole_file(const char *path, const char *what, cc_hdf5_file_writer write, const void *context,
                             char *err, size_t err_len) {
    cc_whole_file out;
    if (cc_whole_file_begin(&out, path, err, err_len) != 0) return -1; /* the path's checks, once */
    if (replaceable_by_hdf5(out.path, path, err, err_len) != 0) {
        cc_whole_file_abandon(&out);
        return -1;
    }
    cc_hdf5_quiet q = cc_hdf5_silence();
    errno = 0; /* what the write that failed left, if one did: HDF5's message names no cause */
    hid_t access = cc_hdf5_closing_access();
    hid_t file = access < 0 ? -1 : H5Fcreate(out.temp, H5F_ACC_TRUNC, H5P_DEFAULT, access);
    int status = file < 0 ? -1 : write(file, context);
    if (file >= 0 && H5Fclose(file) < 0) status = -1;
    int cause = errno;
    if (access >= 0) H5Pclose(access);
    cc_hdf5_restore(q);
    if (status != 0) {
        cc_whole_file_abandon(&out);
        if (cc_no_room_for_write(cause) || cause == EIO)
            snprintf(err, err_len, "%s: cannot write %s: %s%s", path, what, strerror(cause),
                     cause == EFBIG ? " (past the file-size limit: ulimit -f)" : "");
        else
            snprintf(err, err_len, "%s: cannot write %s (disk full, or no permission?)", path, what);
        return -1;
    }
    return commit_in_turn(&out, err, err_len);
}

/* Frees what HDF5 allocated in values read as `type` (variable-length strings). */
static void reclaim(hid_t type, hid_t space, void *values) {
#if H5_VERSION_GE(1, 12, 0)
    H5Treclaim(type, space, H5P_DEFAULT, values);
#else
    H5Dvlen_reclaim(type, space, H5P_DEFAULT, values);
#endif
}

/* Root attribute `name` of `from` onto the root of `to`, in its stored type. */
static herr_t copy_attribute(hid_t from, const char *name, const H5A_info_t *info, void *to_root) {
    (void)info;
    hid_t attr = H5Aopen(from, name, H5P_DEFAULT), stored = attr < 0 ? -1 : H5Aget_type(attr);
    hid_t space = attr < 0 ? -1 : H5Aget_space(attr);
    hid_t memory = stored < 0 ? -1 : H5Tget_native_type(stored, H5T_DIR_ASCEND);
    hssize_t count = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    size_t size = memory < 0 ? 0 : H5Tget_size(memory);
    void *values = count >= 0 && size ? calloc((size_t)(count ? count : 1), size) : NULL;
    int status = values && H5Aread(attr, memory, values) >= 0 ? 0 : -1;
    if (!status) {
        hid_t copy = H5Acreate2(*(hid_t *)to_root, name, stored, space, H5P_DEFAULT, H5P_DEFAULT);
        status = copy >= 0 && H5Awrite(copy, memory, values) >= 0 ? 0 : -1;
        if (copy >= 0) H5Aclose(copy);
        if (H5Tis_variable_str(memory) > 0 || H5Tdetect_class(memory, H5T_VLEN) > 0)
            reclaim(memory, space, values); /* the strings HDF5 allocated */
    }
    free(values);
    if (memory >= 0) H5Tclose(memory);
    if (stored >= 0) H5Tclose(stored);
    if (space >= 0) H5Sclose(space);
    if (attr >= 0) H5Aclose(attr);
    return status ? -1 : 0;
}

typedef struct copy_walk {
    hid_t to;
    const char *skip;
} copy_walk;

/* Object `name` linked from the root of `from` into `to` under the same name. */
static herr_t copy_link(hid_t from, const char *name, const H5L_info_t *info, void *context) {
    const copy_walk *walk = context;
    if (walk->skip && strcmp(name, walk->skip) == 0) return 0;
    if (info->type == H5L_TYPE_HARD)
        return H5Ocopy(from, name, walk->to, name, H5P_DEFAULT, H5P_DEFAULT) >= 0 ? 0 : -1;
    if (info->type != H5L_TYPE_SOFT) return -1;
    char *target = malloc(info->u.val_size ? info->u.val_size : 1);
    int status = target && H5Lget_val(from, name, target, info->u.val_size, H5P_DEFAULT) >= 0 &&
                         H5Lcreate_soft(target, walk->to, name, H5P_DEFAULT, H5P_DEFAULT) >= 0
                     ? 0
                     : -1;
    free(target);
    return status;
}

/* Whether object `name` (a path below the root, "a/b") lies under the skipped one. */
static int under(const char *name, const char *skip) {
    size_t n = skip ? strlen(skip) : 0;
    return n && !strncmp(name, skip, n) && (name[n] == 0 || name[n] == '/');
}

/* H5Ocopy copies a dataset's DIMENSION_LIST and a scale's REFERENCE_LIST as they are:
 * object references inside a list or a compound, which still hold the source file's
 * addresses (HDF5 rewrites only attributes whose type is a reference itself). So the
 * copies lose both, and the scales are attached again by name, as the source has them. */
static herr_t drop_scale_links(hid_t from, const char *name, const H5O_info_t *info, void *context) {
    (void)from;
    const copy_walk *walk = context;
    if (info->type != H5O_TYPE_DATASET || under(name, walk->skip)) return 0;
    hid_t copy = H5Dopen2(walk->to, name, H5P_DEFAULT);
    int status = copy >= 0 ? 0 : -1;
    static const char *const LINKS[2] = {"DIMENSION_LIST", "REFERENCE_LIST"};
    for (int i = 0; !status && i < 2; i++)
        if (H5Aexists(copy, LINKS[i]) > 0 && H5Adelete(copy, LINKS[i]) < 0) status = -1;
    if (copy >= 0) H5Dclose(copy);
    return status ? -1 : 0;
}

typedef struct scale_attach {
    hid_t to, copy; /* the new file, the copied dataset */
} scale_attach;

/* One scale of the source dataset's dimension `dim`, attached to the copy by its name. */
static herr_t attach_by_name(hid_t dataset, unsigned dim, hid_t scale, void *context) {
    (void)dataset;
    const scale_attach *a = context;
    char name[1024];
    ssize_t n = H5Iget_name(scale, name, sizeof name);
    hid_t copy = n > 0 && (size_t)n < sizeof name ? H5Dopen2(a->to, name, H5P_DEFAULT) : -1;
    int status = copy >= 0 && H5DSattach_scale(a->copy, copy, dim) >= 0 ? 0 : -1;
    if (copy >= 0) H5Dclose(copy);
    return status ? -1 : 0;
}

static herr_t attach_scales(hid_t from, const char *name, const H5O_info_t *info, void *context) {
    const copy_walk *walk = context;
    if (info->type != H5O_TYPE_DATASET || under(name, walk->skip)) return 0;
    hid_t source = H5Dopen2(from, name, H5P_DEFAULT);
    if (source < 0) return -1;
    int status = 0;
    if (H5Aexists(source, "DIMENSION_LIST") > 0) {
        hid_t space = H5Dget_space(source);
        int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
        scale_attach a = {walk->to, H5Dopen2(walk->to, name, H5P_DEFAULT)};
        status = rank >= 0 && a.copy >= 0 ? 0 : -1;
        for (int d = 0; !status && d < rank; d++)
            if (H5DSget_num_scales(source, (unsigned)d) > 0 &&
                H5DSiterate_scales(source, (unsigned)d, NULL, attach_by_name, &a) < 0)
                status = -1;
        if (a.copy >= 0) H5Dclose(a.copy);
        if (space >= 0) H5Sclose(space);
    }
    H5Dclose(source);
    return status ? -1 : 0;
}

/* Every object below `root`, by name (H5Ovisit takes the info fields wanted from 1.10.3 on
 * as H5Ovisit2, and as the default H5Ovisit from 1.12). */
static herr_t visit_objects(hid_t root, H5O_iterate_t visit, void *context) {
#if H5_VERSION_GE(1, 12, 0)
    return H5Ovisit(root, H5_INDEX_NAME, H5_ITER_INC, visit, context, H5O_INFO_BASIC);
#else
    return H5Ovisit(root, H5_INDEX_NAME, H5_ITER_INC, visit, context);
#endif
}

int cc_hdf5_copy_contents(hid_t from, hid_t to, const char *skip) {
    hid_t from_root = H5Gopen2(from, "/", H5P_DEFAULT), to_root = H5Gopen2(to, "/", H5P_DEFAULT);
    copy_walk walk = {to, skip};
    int status = from_root >= 0 && to_root >= 0 ? 0 : -1;
    if (!status && H5Aiterate2(from_root, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_attribute, &to_root) < 0) status = -1;
    if (!status && H5Literate(from_root, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_link, &walk) < 0) status = -1;
    if (!status && visit_objects(from_root, drop_scale_links, &walk) < 0) status = -1;
    if (!status && visit_objects(from_root, attach_scales, &walk) < 0) status = -1;
    if (from_root >= 0) H5Gclose(from_root);
    if (to_root >= 0) H5Gclose(to_root);
    return status;
}

static int write_attribute(hid_t obj, const char *name, hid_t type, hid_t space, const void *value) {
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int ok = attr >= 0 && H5Awrite(attr, type, value) >= 0;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    return ok ? 0 : -1;
}

int cc_hdf5_write_text(hid_t obj, const char *name, const char *value) {
    hid_t type = cc_hdf5_utf8_type();
    const char *text = value ? value : "";
    int status = write_attribute(obj, name, type, H5Screate(H5S_SCALAR), &text);
    H5Tclose(type);
    return status;
}

int cc_hdf5_write_int(hid_t obj, const char *name, long long value) {
    return write_attribute(obj, name, H5T_NATIVE_LLONG, H5Screate(H5S_SCALAR), &value);
}

int cc_hdf5_write_double(hid_t obj, const char *name, double value) {
    return write_attribute(obj, name, H5T_NATIVE_DOUBLE, H5Screate(H5S_SCALAR), &value);
}

int cc_hdf5_write_ints(hid_t obj, const char *name, const int *values, int count) {
    hsize_t n = (hsize_t)count;
    return write_attribute(obj, name, H5T_NATIVE_INT, H5Screate_simple(1, &n, NULL), values);
}

int cc_hdf5_write_doubles(hid_t obj, const char *name, const double *values, int count) {
    hsize_t n = (hsize_t)count;
    return write_attribute(obj, name, H5T_NATIVE_DOUBLE, H5Screate_simple(1, &n, NULL), values);
}

/* A dataset's creation properties without HDF5's object times: the same inputs write the
 * same bytes (two predicts of one span differed in their datasets' timestamps alone). */
static hid_t untimed_creation(void) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    return dcpl;
}

/* A dataset of `rank` dims written whole, chunked `rows` of dims[0] at a time, shuffled
 * and deflated at `level` (0: neither) and checksummed; its id (close it) or -1. An empty one (dims[0] 0)
 * is contiguous: a chunk cannot be smaller than one row. */
hid_t cc_hdf5_write_chunked(hid_t file, const char *name, hid_t file_type, hid_t mem_type, int rank,
                           const hsize_t *dims, hsize_t rows, int level, const void *data) {
    hsize_t chunk[5] = {rows};
    for (int d = 1; d < rank; d++) chunk[d] = dims[d];
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = untimed_creation(), lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    if (dims[0] > 0) {
        H5Pset_chunk(dcpl, rank, chunk);
        if (level > 0) H5Pset_shuffle(dcpl), H5Pset_deflate(dcpl, (unsigned)level);
        H5Pset_fletcher32(dcpl);
    }
    hid_t ds = H5Dcreate2(file, name, file_type, space, lcpl, dcpl, H5P_DEFAULT);
    if (ds >= 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Pclose(dcpl), H5Pclose(lcpl);
    H5Sclose(space);
    return ds;
}

hid_t cc_hdf5_write_dataset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                            const hsize_t *dims, const void *data) {
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), dcpl = untimed_creation();
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(loc, name, file_type, space, lcpl, dcpl, H5P_DEFAULT);
    if (ds >= 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Pclose(lcpl), H5Pclose(dcpl);
    H5Sclose(space);
    return ds;
}

/* Strings of one fixed size, as h5py writes bytes and netCDF its text: read too (below). */
#define MOST_FIXED_TEXT 65536
static int fixed_text(hid_t file_type) {
    return H5Tget_class(file_type) == H5T_STRING && H5Tis_variable_str(file_type) <= 0 &&
           H5Tget_size(file_type) > 0 && H5Tget_size(file_type) <= MOST_FIXED_TEXT;
}

/* `count` fixed-size strings read as the variable-length ones crimecast reads: each
 * element's bytes up to its first NUL (a space-padded one without its trailing spaces)
 * into out[i], allocated as HDF5 allocates a variable-length string, so the caller frees
 * both kinds alike. The memory type is the file's own: the bytes are copied, not
 * converted. `read` reads into a buffer in a given type. 0, or -1 (nothing left
 * allocated). */
static int read_fixed_text(hid_t file_type, size_t count, int (*read)(void *context, hid_t type, void *buffer),
                           void *context, char **out) {
    size_t size = H5Tget_size(file_type);
    int spaces = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
    hid_t type = H5Tcopy(file_type);
    char *raw = type >= 0 && count < SIZE_MAX / size ? malloc(count * size + 1) : NULL;
    int status = raw && read(context, type, raw) == 0 ? 0 : -1;
    size_t done = 0;
    for (; status == 0 && done < count; done++) {
        const char *bytes = raw + done * size;
        const char *nul = memchr(bytes, 0, size);
        size_t n = nul ? (size_t)(nul - bytes) : size;
        while (spaces && n > 0 && bytes[n - 1] == ' ') n--;
        out[done] = H5allocate_memory(n + 1, 0);
        if (!out[done]) status = -1;
        else memcpy(out[done], bytes, n), out[done][n] = 0;
    }
    if (status != 0)
        for (size_t i = 0; i < done; i++) H5free_memory(out[i]), out[i] = NULL;
    free(raw);
    if (type >= 0) H5Tclose(type);
    return status;
}

static int read_attribute_as(void *attr, hid_t type, void *buffer) {
    return H5Aread(*(hid_t *)attr, type, buffer) >= 0 ? 0 : -1;
}

static int read_dataset_as(void *ds, hid_t type, void *buffer) {
    return H5Dread(*(hid_t *)ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer) >= 0 ? 0 : -1;
}

/* A read of `count` elements into mem_type, through read_fixed_text when the file holds
 * fixed-size strings and mem_type is the variable-length string. */
static int read_elements(hid_t file_type, hid_t mem_type, size_t count,
                         int (*read)(void *context, hid_t type, void *buffer), void *context, void *out) {
    if (H5Tget_class(mem_type) == H5T_STRING && fixed_text(file_type))
        return read_fixed_text(file_type, count, read, context, out);
    return read(context, mem_type, out);
}

/* What a file's type may be for a read into mem_type: a number for a number (HDF5
 * converts integers and floats; with `whole`, an integer alone for an integer: an
 * attribute's float 4.5 was read as 4), a variable-length string for a string. Anything
 * else is refused before HDF5 is asked to convert it: its conversion code is not hardened
 * against crafted files. */
static int readable_as(hid_t file_type, hid_t mem_type, int whole) {
    H5T_class_t want = H5Tget_class(mem_type), have = H5Tget_class(file_type);
    if (want == H5T_STRING) return have == H5T_STRING && (H5Tis_variable_str(file_type) > 0 || fixed_text(file_type));
    if (whole && want == H5T_INTEGER && have != H5T_INTEGER) return 0;
    return (want == H5T_INTEGER || want == H5T_FLOAT) && (have == H5T_INTEGER || have == H5T_FLOAT) &&
           H5Tget_size(file_type) <= 16;
}

/* An attribute's element count when its type reads as mem_type and its space is scalar
 * or one-dimensional; -1 otherwise (or when absent). */
static hssize_t attribute_count(hid_t attr, hid_t mem_type) {
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hssize_t n = type >= 0 && readable_as(type, mem_type, 1) && rank >= 0 && rank <= 1 /* a setting: whole */
                     ? H5Sget_simple_extent_npoints(space)
                     : -1;
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    return n;
}

/* Reads attribute `name` of at most `capacity` elements of mem_type into values; *count
 * its length. -1 when absent, of another kind, or longer. */
static int read_attribute(hid_t obj, const char *name, hid_t mem_type, void *values, hssize_t capacity,
                          hssize_t *count) {
    *count = -1;
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT), type = attr >= 0 ? H5Aget_type(attr) : -1;
    hssize_t n = attr >= 0 ? attribute_count(attr, mem_type) : -1;
    int ok = n >= 0 && n <= capacity && type >= 0 &&
             read_elements(type, mem_type, (size_t)n, read_attribute_as, &attr, values) == 0;
    if (type >= 0) H5Tclose(type);
    if (attr >= 0) H5Aclose(attr);
    *count = n;
    return ok ? 0 : -1;
}

char *cc_hdf5_read_text(hid_t obj, const char *name) {
    hid_t type = cc_hdf5_utf8_type();
    char *value = NULL, *copy = NULL;
    hssize_t n;
    if (read_attribute(obj, name, type, &value, 1, &n) == 0 && n == 1 && value) copy = strdup(value);
    if (value) H5free_memory(value);
    H5Tclose(type);
    return copy;
}

/* One number: a scalar, or an array of one. */
static int read_scalar(hid_t obj, const char *name, hid_t mem_type, void *value) {
    hssize_t n;
    return read_attribute(obj, name, mem_type, value, 1, &n) == 0 && n == 1 ? 0 : -1;
}

int cc_hdf5_read_int(hid_t obj, const char *name, long long *value) { return read_scalar(obj, name, H5T_NATIVE_LLONG, value); }

int cc_hdf5_read_double(hid_t obj, const char *name, double *value) {
    return read_scalar(obj, name, H5T_NATIVE_DOUBLE, value);
}

int cc_hdf5_read_ints(hid_t obj, const char *name, int *values, int capacity, int *count) {
    hssize_t n;
    int status = read_attribute(obj, name, H5T_NATIVE_INT, values, capacity, &n);
    *count = (int)(n > 0 ? n : 0);
    return status;
}

int cc_hdf5_read_doubles(hid_t obj, const char *name, double *values, int capacity, int *count) {
    hssize_t n;
    int status = read_attribute(obj, name, H5T_NATIVE_DOUBLE, values, capacity, &n);
    *count = (int)(n > 0 ? n : 0);
    return status;
}

/* Whether the file stores all of an open dataset (every chunk written): what a
 * writer of data does. One that is not was created and left unwritten, or claims a size
 * its file does not hold; its fill values are not data. A chunked dataset is counted
 * chunk by chunk (HDF5's space status calls compressed chunks partly allocated). */
static int stored_whole(hid_t ds, hssize_t count) {
    if (count == 0) return 1;
    hid_t dcpl = H5Dget_create_plist(ds);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    int stored = 0;
    if (layout == H5D_CHUNKED) {
        hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], chunks = 1, written = 0;
        hid_t space = H5Dget_space(ds);
        int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
        if (rank > 0 && H5Pget_chunk(dcpl, rank, chunk) == rank) {
            for (int i = 0; i < rank && chunks; i++) chunks *= chunk[i] ? (dims[i] + chunk[i] - 1) / chunk[i] : 0;
            /* the dataset's own space: HDF5 1.10 refuses H5S_ALL here */
            stored = chunks > 0 && H5Dget_num_chunks(ds, space, &written) >= 0 && written == chunks;
        }
        if (space >= 0) H5Sclose(space);
    } else if (layout == H5D_CONTIGUOUS || layout == H5D_COMPACT) {
        H5D_space_status_t status;
        stored = H5Dget_space_status(ds, &status) >= 0 && status == H5D_SPACE_STATUS_ALLOCATED;
    }
    if (dcpl >= 0) H5Pclose(dcpl);
    return stored;
}

int cc_hdf5_dataset_stored(hid_t loc, const char *name) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return 0;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return 0;
    hid_t space = H5Dget_space(ds);
    int stored = space >= 0 && stored_whole(ds, H5Sget_simple_extent_npoints(space));
    if (space >= 0) H5Sclose(space);
    H5Dclose(ds);
    return stored;
}

int cc_hdf5_read_dataset(hid_t loc, const char *name, hid_t mem_type, size_t count, void *out) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    int ok = type >= 0 && space >= 0 && readable_as(type, mem_type, 0) && /* another tool's float mask of 0/1: taken */
             H5Sget_simple_extent_npoints(space) == (hssize_t)count && stored_whole(ds, (hssize_t)count) &&
             read_elements(type, mem_type, count, read_dataset_as, &ds, out) == 0;
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(ds);
    return ok ? 0 : -1;
}

int cc_hdf5_dataset_dims(hid_t loc, const char *name, int rank, hsize_t *dims) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return -1;
    hid_t space = H5Dget_space(ds);
    int ok = H5Sget_simple_extent_ndims(space) == rank && H5Sget_simple_extent_dims(space, dims, NULL) == rank;
    H5Sclose(space);
    H5Dclose(ds);
    return ok ? 0 : -1;
}
