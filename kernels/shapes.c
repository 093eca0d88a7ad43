/* Shape arithmetic shared by both backends (kernels/shapes.h). */
#include "kernels/shapes.h"

int cc_conv2d_out_height(const cc_conv2d_shape *s) { return (s->height + 2 * s->padding - s->kernel) / s->stride + 1; }
int cc_conv2d_out_width(const cc_conv2d_shape *s) { return (s->width + 2 * s->padding - s->kernel) / s->stride + 1; }

size_t cc_conv2d_workspace_floats(const cc_conv2d_shape *s) {
    size_t ckk = (size_t)s->in_channels * s->kernel * s->kernel;
    size_t columns = ckk * (size_t)cc_conv2d_out_height(s) * (size_t)cc_conv2d_out_width(s);
    size_t filter_partials = (size_t)s->out_channels * ckk + (size_t)s->out_channels;
    return columns + filter_partials;
}
