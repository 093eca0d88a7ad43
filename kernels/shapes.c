/* Shape arithmetic shared by both backends (kernels/shapes.h). */
#include "kernels/shapes.h"

int cc_conv2d_out_height(const cc_conv2d_shape *s) { return (s->height + 2 * s->padding - s->kernel) / s->stride + 1; }
int cc_conv2d_out_width(const cc_conv2d_shape *s) { return (s->width + 2 * s->padding - s->kernel) / s->stride + 1; }

/* a * b, held at CC_SIZE_HELD rather than wrapping past 2^64 */
static size_t held(size_t a, size_t b) { return b && a > CC_SIZE_HELD / b ? CC_SIZE_HELD : a * b; }

size_t cc_conv2d_workspace_floats(const cc_conv2d_shape *s) {
    size_t ckk = held(held((size_t)s->in_channels, (size_t)s->kernel), (size_t)s->kernel);
    size_t columns = held(held(ckk, (size_t)cc_conv2d_out_height(s)), (size_t)cc_conv2d_out_width(s));
    size_t filter_partials = held(held((size_t)s->out_channels, ckk), 1) + (size_t)s->out_channels;
    size_t sum = columns + filter_partials; /* both at most the cap: no wrap */
    return sum > CC_SIZE_HELD ? CC_SIZE_HELD : sum;
}
