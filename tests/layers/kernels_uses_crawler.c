/* A file of kernels/ may not use crawler/ (the two bottom layers never see each other): this
 * must not compile. */
#include "crawler/clock.h"

int cc_layer_probe(void);
int cc_layer_probe(void) { return (int)cc_now_seconds(); }
