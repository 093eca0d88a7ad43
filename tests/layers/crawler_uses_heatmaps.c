/* A file of crawler/ may not use heatmaps/: this must not compile. */
#include "heatmaps/tensor.h"

int cc_layer_probe(void);
int cc_layer_probe(void) { return (int)sizeof(cc_tensor); }
