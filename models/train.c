#include "models/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/clock.h"
#include "kernels/buffer.h"
#include "models/batch_io.h"
#include "models/rng.h"

static int at_least(int epochs, int steps, int batches_per_epoch) {
    int needed = (steps + batches_per_epoch - 1) / batches_per_epoch;
    return needed > epochs ? needed : epochs;
}

void cc_train_default_length(int batches_per_epoch, int *epochs, int *patience) {
    if (batches_per_epoch < 1) batches_per_epoch = 1;
    *epochs = at_least(CC_DEFAULT_EPOCHS, CC_MIN_TRAIN_STEPS, batches_per_epoch);
    *patience = at_least(CC_DEFAULT_PATIENCE, CC_MIN_PATIENCE_STEPS, batches_per_epoch);
    if (*epochs > CC_MAX_EPOCHS) *epochs = CC_MAX_EPOCHS;
}

int cc_train_state_init(cc_train_state *s, const cc_convlstm *model) {
    memset(s, 0, sizeof *s);
    s->best_val = INFINITY, s->untrained_val = NAN;
    if (cc_arena_clone_layout(&model->params, &s->m) != 0 || cc_arena_clone_layout(&model->params, &s->v) != 0 ||
        cc_arena_clone_layout(&model->params, &s->best) != 0 || cc_arena_clone_layout(&model->params, &s->best_m) != 0 ||
        cc_arena_clone_layout(&model->params, &s->best_v) != 0) {
        cc_train_state_free(s);
        return -1;
    }
    memcpy(s->best.data, model->params.data, sizeof(float) * model->params.size);
    return 0;
}

void cc_train_state_free(cc_train_state *s) {
    cc_arena_free(&s->m);
    cc_arena_free(&s->v);
    cc_arena_free(&s->best);
    cc_arena_free(&s->best_m);
    cc_arena_free(&s->best_v);
}

/* The layer that produces the outputs: head<l>.w and head.b, or ae.head.w/.b. */
static void zero_output_layer(cc_convlstm *model) {
    const cc_convlstm_config *c = &model->cfg;
    if (c->arch == CC_ARCH_ST_RESNET) {
        cc_st_zero_output(&model->st, &model->params);
        return;
    }
    if (model->stages) {
        memset(cc_arena_at(&model->params, model->ae_head_w), 0, sizeof(float) * (size_t)c->channels * c->features);
    } else {
        for (int l = 0; l < c->layers; l++)
            memset(cc_arena_at(&model->params, model->head_w[l]), 0, sizeof(float) * (size_t)c->channels * c->hidden[l]);
    }
    memset(cc_arena_at(&model->params, cc_convlstm_output_bias(model)), 0, sizeof(float) * (size_t)c->channels);
}

void cc_train_init_head(cc_convlstm *model, const cc_tensor *t, const cc_split *split) {
    if (model->cfg.baseline_k > 0) {
        zero_output_layer(model);
        return;
    }
    /* The bias of the layer that produces the outputs: ST-ResNet's, the ConvLSTM's head.b,
     * the convlstm-ae's ae.head.b (its core's head.b has F entries, not C, and what it
     * adds passes through the decoder: the averages were written there and lost) */
    float *bias = cc_arena_at(&model->params, cc_convlstm_output_bias(model));
    size_t plane = (size_t)t->H * t->W;
    for (int c = 0; c < t->C; c++) {
        double sum = 0;
        long n = 0;
        for (int ti = 0; ti < cc_split_fit_end(split); ti++)
            for (size_t k = 0; k < plane; k++)
                if (t->mask[k]) sum += t->values[cc_tensor_offset(t, ti, c, 0, 0) + k], n++;
        double mean = n ? sum / (double)n : 0.0;
        bias[c] = (float)log(mean > 1e-3 ? mean : 1e-3);
    }
}

/* The samples the model reads: its window and horizon, the lags of the window it reads
 * (cc_model_lags), the covariates' input maps when it reads them (attached to the tensor:
 * models/covariate_inputs.h), and context maps when it has any (their count,
 * config.context less config.covariates, follows from recency and gated: checkpoint.c
 * checks it). */
cc_sample_spec cc_model_sample_spec(const cc_convlstm_config *c) {
    return (cc_sample_spec){c->window, c->horizon, c->context - c->covariates > 0, c->recency, c->gated,
                            c->covariates > 0, cc_model_lags(c)};
}

static int open_batches(cc_batch_io *b, cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, int batch,
                        int host_gather, char *err, size_t err_len) {
    return cc_batch_io_open(b, model, ctx, t->mask, (size_t)t->H * t->W, batch, host_gather, err, err_len);
}

/* Gathers the batch of n samples at `starts` where the ops read it: inputs, targets as the
 * loss compares them (counts, or normalised for MSE), and the baseline log-rate when the
 * model is a correction to it (log rate = log baseline + f(x)). */
static void gather(cc_batch_io *b, const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
                   cc_loss_kind loss, const int *starts, int n) {
    if (b->tables) {
        cc_window_tables_assemble(b->tables, ctx, starts, n, &b->io);
        return;
    }
    const cc_convlstm_config *c = &b->model->cfg;
    cc_sample_spec spec = cc_model_sample_spec(c);
    cc_gather_batch_threads(ctx, t, scale, starts, n, &spec, b->x, b->y);
    if (loss == CC_LOSS_MSE) cc_normalise_counts(t, scale, b->y, c->horizon * n * t->C);
    if (c->baseline_k > 0)
        cc_gather_baseline(t, starts, n, c->window, c->horizon, c->baseline_k, c->baseline_sigma, b->base, b->smooth);
    cc_batch_io_stage(b, n);
}

/* The tables a run with resident windows assembles its batches from. */
cc_window_tables_spec cc_train_window_tables_spec(const cc_convlstm_config *c, cc_loss_kind loss) {
    return (cc_window_tables_spec){cc_model_sample_spec(c), c->baseline_k, c->baseline_sigma, loss == CC_LOSS_MSE};
}

int cc_train_open_window_tables(cc_window_tables *w, const cc_ops_context *ctx, const cc_tensor *t,
                                const float *scale, const cc_convlstm *model, const cc_train_options *o, char *err,
                                size_t err_len) {
    cc_window_tables_spec spec = cc_train_window_tables_spec(&model->cfg, o->loss);
    return cc_window_tables_open(w, ctx, t, scale, &spec, o->batch, err, err_len);
}

/* Mean loss over a span's samples; with a collective, each rank takes its share of them
 * and the sums are added over the ranks. */
static double evaluate_with(cc_batch_io *b, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                            cc_span span, const float *scale, cc_loss_kind loss, const cc_collective *all) {
    int n = cc_split_samples(split, span), first, count;
    if (n == 0) return NAN;
    cc_collective_share(all, n, &first, &count);
    const cc_collective *keep = b->io.collective;
    b->io.collective = NULL; /* a forward pass: nothing to sum inside it */
    double total = 0;
    for (int i = first; i < first + count; i += b->batch) {
        int k = first + count - i < b->batch ? first + count - i : b->batch;
        for (int j = 0; j < k; j++) b->starts[j] = cc_split_sample_start(split, span, i + j);
        if (cc_convlstm_set_batch(b->model, k) != 0) { /* out of memory for the activations: no loss */
            b->io.collective = keep;
            return NAN;
        }
        gather(b, ctx, t, scale, loss, b->starts, k);
        total += cc_forward_loss(b->model, ctx, loss, &b->io) * k;
    }
    b->io.collective = keep;
    if (all && all->sum_doubles(all->self, &total, 1) != 0) return CC_TRAIN_STEP_RANKS_FAILED;
    return total / n;
}

double cc_evaluate(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                   cc_span span, const float *scale, cc_loss_kind loss, int batch) {
    return cc_evaluate_from(model, ctx, t, split, span, scale, loss, batch, NULL);
}

double cc_evaluate_from(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                        cc_span span, const float *scale, cc_loss_kind loss, int batch, cc_window_tables *tables) {
    cc_batch_io b;
    char err[256];
    if (tables && tables->mse != (loss == CC_LOSS_MSE)) tables = NULL; /* their targets are another loss's */
    if (tables && batch > tables->batch) batch = tables->batch;
    if (open_batches(&b, model, ctx, t, batch, !tables, err, sizeof err) != 0) return NAN;
    b.tables = tables;
    double mean = evaluate_with(&b, ctx, t, split, span, scale, loss, NULL);
    cc_batch_io_close(&b);
    return mean;
}

int cc_predict(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const float *scale,
               cc_loss_kind loss, const int *starts, int n, int batch, float *out, char *err, size_t err_len) {
    const cc_convlstm_config *c = &model->cfg;
    size_t plane = (size_t)t->H * t->W, map = (size_t)t->C * plane;
    cc_batch_io b;
    if (open_batches(&b, model, ctx, t, batch, 1, err, err_len) != 0) return -1;
    for (int i = 0; i < n; i += batch) {
        int k = n - i < batch ? n - i : batch;
        if (cc_convlstm_set_batch(b.model, k) != 0) { /* its activations were NULL: a crash in the GEMM */
            snprintf(err, err_len, "out of memory for the activations of a batch of %d samples", k);
            cc_batch_io_close(&b);
            return -1;
        }
        gather(&b, ctx, t, scale, loss, starts + i, k);
        cc_forward_rates(b.model, ctx, &b.io);
        cc_batch_io_fetch_out(&b, k);
        for (int j = 0; j < k; j++)
            for (int s = 0; s < c->horizon; s++)
                for (int ch = 0; ch < t->C; ch++)
                    for (size_t q = 0; q < plane; q++) {
                        double v = b.out[((size_t)s * k + j) * map + ch * plane + q];
                        double rate = loss == CC_LOSS_POISSON ? exp(v) : expm1(v * scale[ch]);
                        out[(((size_t)(i + j) * c->horizon + s) * t->C + ch) * plane + q] = (float)(rate > 0 ? rate : 0);
                    }
    }
    cc_batch_io_close(&b);
    return 0;
}

/* Fisher-Yates with a seeded generator: the same order for the same seed. */
static void shuffle(int *a, int n, unsigned *state) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(cc_lcg_next(state) % (unsigned)(i + 1));
        int tmp = a[i];
        a[i] = a[j], a[j] = tmp;
    }
}

/* The error of a step whose loss was not finite. */
static void diverged(const cc_train_state *s, int epoch, int batch, int batches, double loss, char *err,
                     size_t err_len) {
    char kept[96] = "no epoch of this model was saved";
    if (s->best_epoch > 0) snprintf(kept, sizeof kept, "the model file keeps epoch %d, the best so far", s->best_epoch);
    snprintf(err, err_len, "the training loss became %g at epoch %d, batch %d of %d (%s); a step that "
                           "diverges calls for a lower --lr or --clip",
             loss, epoch, batch, batches, kept);
}

/* This epoch's shuffled training samples in `order`; the rank's share of a batch. */
static int epoch_order(cc_batch_io *b, const cc_split *split, const cc_train_options *o, const cc_train_state *s,
                       int *order, int n, int *first, int *count, char *err, size_t err_len) {
    unsigned rng = o->seed * 2654435761u + (unsigned)(s->epochs_done + 1);
    for (int i = 0; i < n; i++) order[i] = cc_split_sample_start(split, CC_SPAN_TRAIN, i);
    shuffle(order, n, &rng);
    cc_collective_share(o->collective, o->batch, first, count); /* all of it in one process */
    b->io.collective = o->collective, b->io.share = (double)*count / o->batch;
    if (cc_convlstm_set_batch(b->model, *count) == 0) return 0;
    snprintf(err, err_len, "out of memory for the activations of a batch of %d samples", *count);
    return -1;
}

/* Data parallel: every step's loss summed over the ranks on the host (cc_train_step). */
static int train_epoch_summed(cc_batch_io *b, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                              const float *scale, const cc_train_options *o, cc_train_state *s, int *order, int n,
                              double *mean_loss, char *err, size_t err_len) {
    int epoch = s->epochs_done + 1, batches = n / o->batch, first, count;
    if (epoch_order(b, split, o, s, order, n, &first, &count, err, err_len) != 0) return -1;
    double total = 0, start = cc_now_seconds();
    for (int bi = 0; bi < batches; bi++) {
        gather(b, ctx, t, scale, o->loss, order + bi * o->batch + first, count);
        cc_adamw opt = {(float)o->lr, 0.9f, 0.999f, 1e-8f, (float)o->weight_decay, (int)(s->step + 1)};
        double loss = cc_train_step(b->model, ctx, o->loss, &opt, o->clip, &b->io);
        if (loss == CC_TRAIN_STEP_RANKS_FAILED) { /* not a divergence: --lr is not the cure */
            snprintf(err, err_len, "epoch %d, batch %d: the sum over the ranks failed (the MPI or NCCL message above "
                     "says why)", epoch, bi + 1);
            return -1;
        }
        if (!isfinite(loss)) {
            diverged(s, epoch, bi + 1, batches, loss, err, err_len);
            return -1;
        }
        s->step++;
        total += loss;
        if (o->on_batch)
            o->on_batch(o->context, epoch, bi + 1, batches, total / (bi + 1),
                        (bi + 1) * o->batch / (cc_now_seconds() - start + 1e-9));
    }
    *mean_loss = batches ? total / batches : NAN;
    return 0;
}

/* One process: the steps queue their work and the host reads their scalars (loss, a bad
 * step) only to report, every batch on the CPU and about once a second on a GPU. */
static int train_epoch_deferred(cc_batch_io *b, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                                const float *scale, const cc_train_options *o, cc_train_state *s, int *order, int n,
                                double *mean_loss, char *err, size_t err_len) {
    int epoch = s->epochs_done + 1, batches = n / o->batch, first, count, gpu = ctx->backend == CC_BACKEND_CUDA;
    if (epoch_order(b, split, o, s, order, n, &first, &count, err, err_len) != 0) return -1;
    struct cc_cuda_state *device = cc_ops_device(ctx);
    cc_step_scalars host = {0, 0, 0, -1, 0, (double)s->step, 0, 0};
    cc_step_scalars *scalars = cc_buffer_alloc(device, sizeof host);
    if (!scalars) {
        snprintf(err, err_len, "out of memory for a step's scalars");
        return -1;
    }
    cc_buffer_upload(device, scalars, &host, sizeof host);
    cc_adamw opt = {(float)o->lr, 0.9f, 0.999f, 1e-8f, (float)o->weight_decay, 0};
    cc_step_runner steps;
    cc_step_runner_open(&steps, b->model, ctx, o->loss, &opt, o->clip, &b->io, scalars);
    int status = 0;
    double start = cc_now_seconds(), reported = start;
    for (int bi = 0; bi < batches && status == 0; bi++) {
        if (o->stop && *o->stop) {
            status = 1;
            break;
        }
        gather(b, ctx, t, scale, o->loss, order + bi * o->batch + first, count);
        cc_step_runner_queue(&steps);
        if (gpu && bi + 1 < batches && cc_now_seconds() - reported < 1.0) continue;
        cc_buffer_download(device, &host, scalars, sizeof host); /* waits for the steps queued */
        double now = reported = cc_now_seconds();
        s->step = (long)host.adam_t;
        if (host.bad_step >= 0) {
            diverged(s, epoch, (int)host.bad_step + 1, batches, host.bad_loss, err, err_len);
            status = -1;
        } else if (o->on_batch) {
            o->on_batch(o->context, epoch, bi + 1, batches, host.loss_sum / host.steps,
                        (bi + 1) * o->batch / (now - start + 1e-9));
        }
    }
    s->replayed += steps.replayed;
    cc_step_runner_close(&steps); /* evaluation may reallocate the activations the graph holds */
    cc_buffer_free(device, scalars);
    *mean_loss = batches ? host.loss_sum / batches : NAN;
    return status;
}

static int train_epoch(cc_batch_io *b, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
                       const float *scale, const cc_train_options *o, cc_train_state *s, int *order, int n,
                       double *mean_loss, char *err, size_t err_len) {
    return (o->collective ? train_epoch_summed : train_epoch_deferred)(b, ctx, t, split, scale, o, s, order, n,
                                                                        mean_loss, err, err_len);
}

static void keep_best(const cc_convlstm *model, cc_train_state *s) {
    size_t bytes = sizeof(float) * model->params.size;
    memcpy(s->best.data, model->params.data, bytes);
    memcpy(s->best_m.data, s->m.data, bytes);
    memcpy(s->best_v.data, s->v.data, bytes);
}

/* On GPUs the gradients are summed where they lie, over the ranks' GPU communicator. */
static int join_device_sums(const cc_collective *all, const cc_ops_context *ctx, char *err, size_t err_len) {
    char why[512] = "this build has no NCCL";
    if (all->use_device && all->use_device(all->self, ctx, why, sizeof why) == 0) return 0;
    snprintf(err, err_len, "data-parallel training on GPUs needs their sums (%s); --device cpu trains over MPI alone",
             why);
    return -1;
}

int cc_train(cc_convlstm *model, const cc_ops_context *ctx, const cc_tensor *t, const cc_split *split,
             const float *scale, const cc_train_options *o, cc_train_state *s, char *err, size_t err_len) {
    int n = cc_split_samples(split, CC_SPAN_TRAIN);
    if (o->collective && o->batch < o->collective->size) {
        snprintf(err, err_len, "--batch %d is smaller than the %d processes: each needs a share of every batch",
                 o->batch, o->collective->size);
        return -1;
    }
    if (o->collective && ctx->backend == CC_BACKEND_CUDA && join_device_sums(o->collective, ctx, err, err_len) != 0)
        return -1;
    if (n < o->batch) {
        snprintf(err, err_len, "%d training sample%s, fewer than one batch of %d (lower --batch or %s)", n,
                 n == 1 ? "" : "s", o->batch,
                 model->cfg.arch == CC_ARCH_ST_RESNET ? "--trend or --trend-lag: ST-ResNet's window is its longest lag"
                                                      : "--window");
        return -1;
    }
    cc_batch_io b;
    int *order = malloc(sizeof(int) * (size_t)n);
    if (!order || open_batches(&b, model, ctx, t, o->batch, !o->resident, err, err_len) != 0) {
        if (!order) snprintf(err, err_len, "out of memory for training buffers");
        free(order);
        return -1;
    }
    cc_window_tables own; /* built here unless the caller shares its tables */
    int builds = o->resident && !o->tables;
    if (builds && cc_train_open_window_tables(&own, ctx, t, scale, model, o, err, err_len) != 0) {
        free(order);
        cc_batch_io_close(&b);
        return -1;
    }
    if (o->resident) b.tables = builds ? &own : o->tables;
    cc_batch_io_load_moments(&b, &s->m, &s->v);
    /* Epochs since the best, from the state alone, so a resumed run waits the patience the
     * uninterrupted run had left: a run that stopped early and was killed after its final
     * write resumes to nothing, as it ended. (best_epoch 0: none improved yet.) */
    int status = 0, since_best = s->epochs_done - s->best_epoch;
    if (s->epochs_done == 0 && s->step == 0) /* what every epoch must beat to be worth keeping */
        s->untrained_val = evaluate_with(&b, ctx, t, split, CC_SPAN_VAL, scale, o->loss, o->collective);
    if (s->untrained_val == CC_TRAIN_STEP_RANKS_FAILED) {
        snprintf(err, err_len, "the untrained model's validation: the sum over the ranks failed (the MPI or NCCL "
                 "message above says why)");
        status = -1;
    }
    while (status == 0 && s->epochs_done < o->epochs && s->epochs_done < CC_MAX_EPOCHS && since_best < o->patience) {
        double train_loss;
        status = train_epoch(&b, ctx, t, split, scale, o, s, order, n, &train_loss, err, err_len);
        if (status == 0 && o->stop && *o->stop && !o->collective) status = 1; /* before a validation pass */
        if (status != 0) break;
        cc_batch_io_sync_back(&b, model, &s->m, &s->v); /* the host's model and moments: checkpoints, the best epoch */
        double val = evaluate_with(&b, ctx, t, split, CC_SPAN_VAL, scale, o->loss, o->collective);
        if (val == CC_TRAIN_STEP_RANKS_FAILED) { /* not a loss: the epoch is not recorded */
            snprintf(err, err_len, "epoch %d's validation: the sum over the ranks failed (the MPI or NCCL message above "
                     "says why)", s->epochs_done + 1);
            status = -1;
            break;
        }
        int epoch = ++s->epochs_done;
        s->train_loss[epoch - 1] = train_loss;
        s->val_loss[epoch - 1] = val;
        int improved = isfinite(val) && val < s->best_val;
        if (improved) {
            s->best_val = val, s->best_epoch = epoch, since_best = 0;
            keep_best(model, s);
        } else {
            since_best++;
        }
        if (o->on_epoch && o->on_epoch(o->context, epoch, train_loss, val, improved) != 0) {
            snprintf(err, err_len, "stopped after epoch %d: the checkpoint could not be written", epoch);
            status = -1;
        }
    }
    memcpy(model->params.data, s->best.data, sizeof(float) * model->params.size);
    free(order);
    if (builds) cc_window_tables_close(&own);
    cc_batch_io_close(&b);
    return status;
}
