/* Structure-aware mutation of HDF5 files: a valid file crimecast wrote (a template),
 * edited as the fuzzer's input says - objects and attributes deleted, replaced by ones of
 * another type, shape or size, values overwritten with NaN, infinities, extremes or raw
 * bytes, text attributes rewritten, unexpected objects added - through libhdf5 itself,
 * so every file is well-formed HDF5 holding what a hostile or careless writer (h5py, a
 * script, another program) could put there. Raw byte-level corruption of the HDF5
 * structure is libhdf5's to parse, not crimecast's: README, "Files from others". */
#ifndef CRIMECAST_FUZZ_HDF5_EDIT_H
#define CRIMECAST_FUZZ_HDF5_EDIT_H

#include <stddef.h>

#include "fuzz_util.h"

enum { H5_TEMPLATE_MOST = 256 };

typedef struct h5_template {
    unsigned char *bytes;   /* the file, copied afresh for every input */
    size_t size;
    int object_count, attribute_count;
    char object[H5_TEMPLATE_MOST][96];        /* "/counts", "/params/enc0.wx", groups too */
    char attribute_owner[H5_TEMPLATE_MOST][96], attribute[H5_TEMPLATE_MOST][48];
} h5_template;

/* Reads the template at `path` and lists its objects and attributes; aborts when it
 * cannot (a template must be there). */
void h5_template_load(h5_template *t, const char *path);

/* Writes the template to `out` and applies the edits `in` describes (none when `in` is
 * empty: the template itself). */
void h5_edit(const h5_template *t, const char *out, fuzz_input *in);

#endif
