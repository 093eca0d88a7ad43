/* The synthetic city (models/synth.h), as `crimecast synth` and `demo` run it: its
 * incidents into the incident store, and its oracle forecast for a tensor rastered from
 * it (the target bins of a forecast span, as baseline picks them). */
#ifndef CRIMECAST_HOST_RUN_SYNTH_H
#define CRIMECAST_HOST_RUN_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "host/forecast_span.h"
#include "host/options.h"

/* The synthetic city synth simulates unless told another (--city-name): data/cities/synthetic.json. */
#define CC_SYNTH_CITY "synthetic"

typedef struct cc_synth_request {
    const char *db;              /* the store written; NULL: crimecast.db unless oracle is given */
    const char *out;             /* --out, another name for --db (the two may not differ) */
    const char *city;            /* a city definition of portal kind 'synthetic' */
    const char *from, *to;       /* the simulated span [from, to), ISO dates */
    uint64_t seed;
    const char *oracle, *data;   /* the oracle forecast written for the tensor `data` */
    cc_forecast_span span;
    const char *command;              /* the command line, the oracle's created_by (not an option: set by
                                         the command line or demo; NULL: the version alone) */
} cc_synth_request;

extern const cc_command_spec CC_SYNTH_SPEC;

void cc_synth_request_defaults(cc_synth_request *request);

/* Simulates the city, stores it (db) and writes the oracle (oracle), reporting to `out`.
 * 0, or -1 with err. */
int cc_run_synth(const cc_synth_request *request, FILE *out, char *err, size_t err_len);

#endif
