/* One training step (models/train.h): the same sequence of ops on either backend, so the
 * CPU trainer and the GPU benchmark run one function and a test can compare the two. */
#include <math.h>

#include "models/train.h"

double cc_train_step(cc_convlstm *m, const cc_ops_context *ctx, cc_loss_kind loss, const cc_adamw *opt,
                     double clip, const cc_train_step_io *io) {
    const cc_convlstm_config *c = &m->cfg;
    int maps = c->horizon * m->batch * c->channels, plane = c->height * c->width;
    cc_convlstm_forward(m, ctx, io->x, io->out);
    if (io->log_offset) cc_axpy(ctx, (size_t)maps * plane, 1.0f, io->log_offset, io->out);
    double value = loss == CC_LOSS_POISSON ? cc_poisson_nll(ctx, io->out, io->target, io->mask, maps, plane, io->d)
                                           : cc_mse(ctx, io->out, io->target, io->mask, maps, plane, io->d);
    if (!isfinite(value)) return value;
    cc_fill(ctx, m->grads.data, m->grads.size, 0.0f);
    cc_convlstm_backward(m, ctx, io->x, io->d);
    if (clip > 0) cc_clip_global_norm(ctx, m->grads.data, m->grads.size, clip);
    cc_adamw_step(ctx, opt, m->params.data, m->grads.data, io->adam_m, io->adam_v, m->params.size);
    return value;
}
