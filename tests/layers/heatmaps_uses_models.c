/* A file of heatmaps/ may not use models/: this must not compile. */
#include "models/rng.h"

int cc_layer_probe(void);
int cc_layer_probe(void) { return (int)sizeof(cc_rng); }
