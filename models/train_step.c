/* models/train_step.h */
#include "models/train_step.h"

#include <math.h>
#include <string.h>

const char *cc_loss_name(cc_loss_kind loss) { return loss == CC_LOSS_POISSON ? "poisson" : "mse"; }

int cc_loss_parse(const char *name, cc_loss_kind *loss) {
    if (!strcmp(name, "poisson")) *loss = CC_LOSS_POISSON;
    else if (!strcmp(name, "mse")) *loss = CC_LOSS_MSE;
    else return -1;
    return 0;
}

void cc_forward_rates(cc_convlstm *m, const cc_ops_context *ctx, const cc_train_step_io *io) {
    const cc_convlstm_config *c = &m->cfg;
    cc_convlstm_forward(m, ctx, io->x, io->out);
    size_t floats = (size_t)c->horizon * m->batch * c->channels * c->height * c->width;
    if (io->log_offset) cc_axpy(ctx, floats, 1.0f, io->log_offset, io->out);
}

double cc_forward_loss(cc_convlstm *m, const cc_ops_context *ctx, cc_loss_kind loss, const cc_train_step_io *io) {
    const cc_convlstm_config *c = &m->cfg;
    int maps = c->horizon * m->batch * c->channels, plane = c->height * c->width;
    cc_forward_rates(m, ctx, io);
    return loss == CC_LOSS_POISSON ? cc_poisson_nll(ctx, io->out, io->target, io->mask, maps, plane, io->d)
                                   : cc_mse(ctx, io->out, io->target, io->mask, maps, plane, io->d);
}

double cc_train_step(cc_convlstm *m, const cc_ops_context *ctx, cc_loss_kind loss, const cc_adamw *opt,
                     double clip, const cc_train_step_io *io) {
    double value = cc_forward_loss(m, ctx, loss, io);
    const cc_collective *all = io->collective;
    if (all) { /* L = sum over ranks of share_r L_r: the whole batch's mean */
        value *= io->share;
        if (all->sum_doubles(all->self, &value, 1) != 0) return NAN;
    }
    if (!isfinite(value)) return value;
    cc_fill(ctx, m->grads.data, m->grads.size, 0.0f);
    cc_convlstm_backward(m, ctx, io->x, io->d);
    if (all) {
        cc_axpy(ctx, m->grads.size, (float)(io->share - 1.0), m->grads.data, m->grads.data); /* g *= share */
        int summed = ctx->backend == CC_BACKEND_CUDA ? all->sum_device_floats(all->self, m->grads.data, m->grads.size)
                                                     : all->sum_floats(all->self, m->grads.data, m->grads.size);
        if (summed != 0) return NAN;
    }
    if (clip > 0) cc_clip_global_norm(ctx, m->grads.data, m->grads.size, clip);
    cc_adamw_step(ctx, opt, m->params.data, m->grads.data, io->adam_m, io->adam_v, m->params.size);
    return value;
}
