/* crimecast's whole job in one run, as `crimecast demo` does it: a synthetic city (or a
 * real city's record files) -> raster -> train -> predict -> every baseline (and the
 * oracle) -> eval -> pictures -> report, each step a call of the same pipeline function
 * its command runs (host/run_*.h), with that command's defaults. */
#ifndef CRIMECAST_HOST_RUN_DEMO_H
#define CRIMECAST_HOST_RUN_DEMO_H

#include <stddef.h>
#include <stdio.h>

#include "host/device_options.h"
#include "host/options.h"

enum { CC_DEMO_MAX_FILES = 64 };

typedef struct cc_demo_request {
    const char *out;                        /* the directory everything goes to */
    const char *city;                       /* a real city, with files; NULL: the synthetic city */
    const char *files[CC_DEMO_MAX_FILES];
    int file_count;
    int quick;                              /* a smaller city and model */
    int seed;
    cc_device_request device;
    const char *command;                    /* the command line, in its forecasts' created_by (NULL: none) */
} cc_demo_request;

extern const cc_command_spec CC_DEMO_SPEC;

void cc_demo_request_defaults(cc_demo_request *request);

/* Runs every step (progress on stderr, the steps' reports in DIR/demo.log) and prints the
 * comparison table to `out`. 0, or -1 with err. */
int cc_run_demo(const cc_demo_request *request, FILE *out, char *err, size_t err_len);

#endif
