/* Inside one forecast, as `crimecast inspect` shows it (models/inspect.h): images of every
 * layer's states and gates at every step, the log-rate's terms (baseline offset, skip
 * path, recurrent network), the saliency of the forecast with respect to each input step,
 * the numbers behind them in an HDF5 file, and a summary (text, or JSON). */
#ifndef CRIMECAST_HOST_RUN_INSPECT_H
#define CRIMECAST_HOST_RUN_INSPECT_H

#include <stddef.h>
#include <stdio.h>

#include "host/options.h"

typedef struct cc_inspect_cell {
    int row, col, given;
} cc_inspect_cell;

typedef struct cc_inspect_nudge {
    int step, map, row, col, given;
    double delta;
} cc_inspect_nudge;

typedef struct cc_inspect_cli {
    const char *model, *data, *out;
    const char *time;           /* the target bin's date, or NULL */
    cc_optional_int index;      /* or the target bin's index */
    const char *category;       /* NULL: the first channel */
    cc_inspect_cell cell;
    cc_inspect_nudge nudge;
    int json;
} cc_inspect_cli;

extern const cc_command_spec CC_INSPECT_SPEC;

/* Writes DIR's pictures and inspect.h5, and the summary to `out`. 0, or -1 with err. */
int cc_run_inspect(const cc_inspect_cli *request, FILE *out, char *err, size_t err_len);

#endif
