/* A file of models/ may not use host/: this must not compile. */
#include "host/options.h"

int cc_layer_probe(void);
int cc_layer_probe(void) { return CC_EXIT_USAGE; }
