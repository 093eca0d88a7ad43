/* models/train_step.h */
#include "models/train_step.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kernels/graph.h"

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
        if (all->sum_doubles(all->self, &value, 1) != 0) return CC_TRAIN_STEP_RANKS_FAILED;
    }
    if (!isfinite(value)) return value;
    cc_fill(ctx, m->grads.data, m->grads.size, 0.0f);
    cc_convlstm_backward(m, ctx, io->x, io->d);
    if (all) {
        cc_axpy(ctx, m->grads.size, (float)(io->share - 1.0), m->grads.data, m->grads.data); /* g *= share */
        int summed = ctx->backend == CC_BACKEND_CUDA ? all->sum_device_floats(all->self, m->grads.data, m->grads.size)
                                                     : all->sum_floats(all->self, m->grads.data, m->grads.size);
        if (summed != 0) return CC_TRAIN_STEP_RANKS_FAILED;
    }
    if (clip > 0) cc_clip_global_norm(ctx, m->grads.data, m->grads.size, clip);
    cc_adamw_step(ctx, opt, m->params.data, m->grads.data, io->adam_m, io->adam_v, m->params.size);
    return value;
}

void cc_train_step_deferred(cc_convlstm *m, const cc_ops_context *ctx, cc_loss_kind loss, const cc_adamw *opt,
                            double clip, const cc_train_step_io *io, cc_step_scalars *s) {
    const cc_convlstm_config *c = &m->cfg;
    int maps = c->horizon * m->batch * c->channels, plane = c->height * c->width;
    cc_forward_rates(m, ctx, io);
    if (loss == CC_LOSS_POISSON) cc_poisson_nll_into(ctx, io->out, io->target, io->mask, maps, plane, io->d, &s->loss);
    else cc_mse_into(ctx, io->out, io->target, io->mask, maps, plane, io->d, &s->loss);
    cc_step_account(ctx, s);
    /* A bad loss leaves the parameters as they were: the update below is skipped (the
     * gradients are computed anyway; nothing on the host knows yet). */
    cc_fill(ctx, m->grads.data, m->grads.size, 0.0f);
    cc_convlstm_backward(m, ctx, io->x, io->d);
    if (clip > 0) cc_clip_global_norm_in_place(ctx, m->grads.data, m->grads.size, clip);
    cc_adamw_step_guarded(ctx, opt, s, m->params.data, m->grads.data, io->adam_m, io->adam_v, m->params.size);
}

void cc_step_runner_open(cc_step_runner *r, cc_convlstm *model, const cc_ops_context *ctx, cc_loss_kind loss,
                         const cc_adamw *opt, double clip, const cc_train_step_io *io, cc_step_scalars *scalars) {
    *r = (cc_step_runner){model, ctx, loss, *opt, clip, io, scalars, 0, 0,
                          ctx->backend == CC_BACKEND_CUDA && ctx->graphs, NULL};
}

static void run_step(void *arg) {
    cc_step_runner *r = arg;
    cc_train_step_deferred(r->model, r->ctx, r->loss, &r->opt, r->clip, r->io, r->scalars);
}

void cc_step_runner_queue(cc_step_runner *r) {
    if (r->graphs && r->queued++ >= 1) {
        if (r->graph && cc_graph_replay(r->ctx, r->graph) == 0) {
            r->replayed++;
            return;
        }
        cc_graph_free(r->graph);
        char why[256] = "";
        if ((r->graph = cc_graph_record(r->ctx, run_step, r, why, sizeof why)) != NULL &&
            cc_graph_replay(r->ctx, r->graph) == 0) {
            r->replayed++;
            return;
        }
        fprintf(stderr, "crimecast: training steps run without a CUDA graph: %s\n", why);
        r->graphs = 0;
    }
    run_step(r);
}

void cc_step_runner_close(cc_step_runner *r) {
    cc_graph_free(r->graph);
    r->graph = NULL;
}
