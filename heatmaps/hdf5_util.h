/* Small helpers over the HDF5 C API shared by the file formats (tensor, forecast,
 * model): attributes of text (variable-length UTF-8, which h5py reads as str),
 * numbers and number lists, and whole datasets. Each returns 0 or -1 (or an id / NULL).
 *
 * The readers trust nothing a file says: a read happens only when the stored type is of
 * the kind asked for (numbers as numbers, variable-length strings as strings) and the
 * stored size fits the caller's buffer exactly (a dataset) or within its capacity (an
 * attribute); otherwise the reader refuses (-1) before HDF5 converts anything. What is
 * left is libhdf5's own parsing of the file's structure, which is not hardened against
 * crafted files (README, "Files from others"). */
#ifndef CRIMECAST_HEATMAPS_HDF5_UTIL_H
#define CRIMECAST_HEATMAPS_HDF5_UTIL_H

#include <hdf5.h>

/* HDF5 prints its error stack by itself unless told not to; crimecast reports errors
 * its own way. The handler is process-wide, so it is restored afterwards. */
typedef struct cc_hdf5_quiet {
    H5E_auto2_t func;
    void *data;
} cc_hdf5_quiet;
cc_hdf5_quiet cc_hdf5_silence(void);
void cc_hdf5_restore(cc_hdf5_quiet q);

/* Which file an open HDF5 file is (its device and inode, through the descriptor HDF5
 * holds): a path read twice (counts, then recency maps or covariates) may name another
 * file the second time, when a raster renamed its new one over it meanwhile. 0, or -1
 * when it cannot be told (identity then zero). */
int cc_hdf5_file_identity(hid_t file, unsigned long long identity[2]);
/* 0 when `file` is the file of `identity` (or identity is zero: not known), else -1 with
 * why saying the file was replaced since it was first read. */
int cc_hdf5_same_file(hid_t file, const unsigned long long identity[2], char *why, size_t why_len);

hid_t cc_hdf5_utf8_type(void);   /* close with H5Tclose */

/* Opens `path` read-only (HDF5 silenced by the caller). On failure -1, with `why` saying
 * which: no such file (or another reason the system gives), a directory, a file that is
 * not HDF5, or one with something kept in another file (an external link, or a dataset's
 * external storage, which HDF5 would follow to whatever is there, a FIFO included). */
hid_t cc_hdf5_open_read(const char *path, char *why, size_t why_len);

/* 1 when dataset `name` of `file` is stored through a filter this HDF5 cannot apply
 * (LZF, Blosc, ... without their plugins), with its name and id in `out`; else 0. */
int cc_hdf5_missing_filter(hid_t file, const char *name, char *out, size_t out_len);

/* Stops HDF5 from shutting itself down at exit (H5dont_atexit); call before any other
 * HDF5 call. crimecast closes every file it opens, so the shutdown has nothing to do but
 * for a file whose H5Fclose failed (a disk that filled while it was written): HDF5 then
 * tries to flush and close it again at exit and crashes (H5F__close_cb, HDF5 1.10),
 * turning a clear "disk full" error into a segmentation fault. */
void cc_hdf5_no_cleanup_at_exit(void);

/* A file-access property list whose file closes whole at H5Fclose (H5F_CLOSE_STRONG):
 * a writer that failed half way (disk full) may leave a group or dataset open, and with
 * HDF5's default the file stayed open past its H5Fclose, to be flushed again into the full
 * disk when the library shut down at exit (a crash in H5F__close_cb). The caller closes
 * the list (H5Pclose); -1 when HDF5 cannot make it. */
hid_t cc_hdf5_closing_access(void);

/* Whether an HDF5 file of crimecast's `format` ("crimecast-model", ...) may be written at
 * `path`, before any work is spent on it: cc_whole_file_check (which refuses an SQLite
 * database: an incident store), and a file already there is an HDF5 file, or empty, or one
 * this process cannot read (the write then says why). Another file (a CSV given as
 * raster's --out) is refused, not replaced (a probe), and so is a crimecast file of
 * another format (train --out naming a tensor made it a model, unsaid; a probe). 0, or -1
 * with err naming the file and what it is. */
int cc_hdf5_replace_check(const char *path, const char *format, char *err, size_t err_len);

/* Writes the whole HDF5 file `path` through `write` (which returns 0 or -1), never half
 * of it: into a temporary file beside it, renamed over `path` only when `write` and the
 * close succeeded (crawler/whole_file.h); otherwise the temporary is removed, `path` is
 * as it was, and err names the file and `what` it is ("the model file"). HDF5's own
 * error printing is silenced meanwhile. The rename waits for a covariates run holding
 * the file at `path` (crawler/file_lock.h), as a second covariates run would. A file at
 * `path` that is not HDF5 (cc_hdf5_replace_check's first test; the commands make its
 * format test before their work) is left as it is, and -1. */
typedef int (*cc_hdf5_file_writer)(hid_t file, const void *context);
int cc_hdf5_write_whole_file(const char *path, const char *what, cc_hdf5_file_writer write, const void *context,
                             char *err, size_t err_len);

/* Copies into the new file `to` what the file `from` holds: the root group's attributes
 * and every object linked from the root except the one named `skip` (NULL: none), with
 * their attributes, chunking and filters, and their dimension scales attached again in
 * `to` (the copied links would point into `from`). What `from` had freed (objects deleted
 * in place) is not copied, so a file rewritten this way is no bigger than what it holds.
 * Soft links are recreated; an external link is refused (-1), as is any HDF5 failure. */
int cc_hdf5_copy_contents(hid_t from, hid_t to, const char *skip);

int cc_hdf5_write_text(hid_t obj, const char *name, const char *value);
int cc_hdf5_write_int(hid_t obj, const char *name, long long value);
int cc_hdf5_write_double(hid_t obj, const char *name, double value);
int cc_hdf5_write_ints(hid_t obj, const char *name, const int *values, int count);
int cc_hdf5_write_doubles(hid_t obj, const char *name, const double *values, int count);

/* Writes a dataset of `rank` dims in one go; returns its id (close it) or -1. */
hid_t cc_hdf5_write_dataset(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                            const hsize_t *dims, const void *data);

/* The same chunked `rows` of dims[0] at a time, shuffled and deflated at `level` (0:
 * neither) and checksummed; an empty one (dims[0] 0) is contiguous. */
hid_t cc_hdf5_write_chunked(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                            const hsize_t *dims, hsize_t rows, int level, const void *data);

char *cc_hdf5_read_text(hid_t obj, const char *name);   /* malloc'ed, NULL when absent */
int cc_hdf5_read_int(hid_t obj, const char *name, long long *value);
int cc_hdf5_read_double(hid_t obj, const char *name, double *value);
int cc_hdf5_read_ints(hid_t obj, const char *name, int *values, int capacity, int *count);
int cc_hdf5_read_doubles(hid_t obj, const char *name, double *values, int capacity, int *count);
/* The whole dataset into out, which holds exactly `count` elements of mem_type: refused
 * when the dataset has another number of elements, a type of another kind, or is not
 * stored whole (cc_hdf5_dataset_stored). */
int cc_hdf5_read_dataset(hid_t loc, const char *name, hid_t mem_type, size_t count, void *out);
/* 1 when the file stores all of dataset `name` (every chunk written, as any writer of
 * data does), 0 when absent or not: a file that claims a size it does not hold is
 * refused before anything is allocated for it. */
int cc_hdf5_dataset_stored(hid_t loc, const char *name);
/* Dimensions of a dataset of exactly `rank` dims. */
int cc_hdf5_dataset_dims(hid_t loc, const char *name, int rank, hsize_t *dims);

#endif
