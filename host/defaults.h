/* The defaults that two or more commands share, in one place. They must agree for the
 * files of different commands to line up: predict, baseline and synth --oracle forecast
 * the same target bins only with the same window, horizon and span. Text, as the option
 * tables (host/options.h) take their defaults. */
#ifndef CRIMECAST_HOST_DEFAULTS_H
#define CRIMECAST_HOST_DEFAULTS_H

#define CC_DEFAULT_DB "crimecast.db"   /* the incident store */
#define CC_DEFAULT_WINDOW "8"          /* input bins before each target */
#define CC_DEFAULT_HORIZON "1"         /* bins from the last input to the target */
#define CC_DEFAULT_SPAN "test"         /* the span whose targets are forecast */
#define CC_DEFAULT_SEED "1"
#define CC_DEFAULT_MODEL "convlstm"     /* train's network (tune's candidates' too) */
#define CC_DEFAULT_DEVICE "auto"       /* the GPU when one is usable */
#define CC_MOST_BATCH 4096             /* samples per optimiser step: train's, and tune's for its candidates */

#endif
