/* Training data from a tensor file: the chronological split, normalisation, and
 * windows gathered into batches.
 *
 * Split (the one definition every command uses: train, predict, every baseline, synth
 * --oracle, tune): rolling origin over *target* bins. A sample forecasts one target bin
 * tau from the `window` bins that end `horizon` bins before it, tau - lead .. tau -
 * horizon with lead = window + horizon - 1; with horizon > 1 the model also outputs the
 * steps between (its loss reads all `horizon` of them), but a sample's target - what
 * predict, the baselines and the oracle forecast, and what eval scores - is its last step
 * tau. The targets are cut into consecutive train, validation and test spans: the axis
 * [0, T) at round(0.70 T) and round(0.85 T), so the test targets are the last 15% of
 * the bins and the validation targets the 15% before them (or the test targets from a
 * given bin on, the bins before it cut 70:15), and the training targets run from the
 * first bin with a whole input window before it (bin lead). Every bin of a span is a
 * target; its inputs come from whatever earlier bins they are, in any span.
 *
 * Nothing leaks: inputs are past observations, which any forecaster reads. What must not
 * reach training is a validation or test *target*, and it never does: a training sample's
 * targets all lie before the first validation target, and everything fitted - the
 * weights, the normalisation below, the historical-average offset's statistics, the
 * forest - reads bins [0, cc_split_fit_end) only; early stopping reads validation
 * targets alone. (Until 2026-12 the spans held whole samples with window-1 bins between
 * them, so the first window-1 + window bins of the validation and test spans were never
 * forecast; model files of that protocol still read, cc_split.gapped.)
 *
 * Normalisation, fitted on the bins training reads only: x' = log1p(x) / scale_c, with
 * scale_c the root mean square of log1p(x) of channel c over bins [0, fit end)'s in-mask
 * cells (1 when that is 0). */
#ifndef CRIMECAST_MODELS_DATASET_H
#define CRIMECAST_MODELS_DATASET_H

#include <stddef.h>

#include "heatmaps/tensor.h"
#include "kernels/ops.h"
#include "models/sample_lags.h"

typedef enum { CC_SPAN_TRAIN, CC_SPAN_VAL, CC_SPAN_TEST, CC_SPAN_ALL } cc_span;

typedef struct cc_split {
    int T;                  /* bins of the axis */
    int lead;               /* window + horizon - 1: a sample's first input is this many bins
                               before its target */
    int first[3], end[3];   /* target bins [first, end) of train, validation, test */
    int gapped;             /* 1: read from a model file of the old protocol (spans of whole
                               samples with window-1 bins between them) */
} cc_split;

/* Splits T bins for a window and horizon; test_from < 0 for the default cut at 70% and
 * 85% of the axis, else the first test target. Returns 0, or -1 with `err` when a span
 * holds no target. */
int cc_split_make(int T, int window, int horizon, int test_from, cc_split *split, char *err, size_t err_len);
/* The same, the message's advice naming what makes the window shorter (cc_split_make's:
 * "a shorter --window"; ST-ResNet's window is its longest lag). */
int cc_split_make_advising(int T, int window, int horizon, int test_from, const char *shorter, cc_split *split,
                           char *err, size_t err_len);

/* The split of an old model file: its spans of whole samples, [begin, end) bins of
 * train, validation and test as it stored them, re-read as target spans. */
void cc_split_from_gapped(int T, int window, int horizon, const int begin[3], const int end[3], cc_split *split);

/* Number of targets of a span (CC_SPAN_ALL: every bin from `lead` on), the target bin of
 * its i-th sample, and that sample's first input bin (target - lead). */
int cc_split_samples(const cc_split *split, cc_span span);
int cc_split_target(const cc_split *split, cc_span span, int i);
int cc_split_sample_start(const cc_split *split, cc_span span, int i);

/* Fitting reads bins [0, this) only: the training targets and everything before them. */
int cc_split_fit_end(const cc_split *split);

/* The first bin of t starting on or after `day` (a --test-from date), or -1. */
int cc_first_bin_from(const cc_tensor *t, int64_t day);

const char *cc_span_name(cc_span span);
int cc_span_parse(const char *name, cc_span *span);

/* Per-channel scales over the bins fitting reads (see above); scale has t->C entries. */
void cc_normalisation_fit(const cc_tensor *t, const cc_split *split, float *scale);

/* Context maps, read by the network after the C count maps of every input step, the
 * same for all steps of a sample (origin o = its last input bin, target tau = o + horizon).
 * With a_k = log((counts of bins o-k'+1 .. o + 1/2) / k'), k' = min(k, o + 1), per channel
 * and cell (the historical-average log-rate over k bins, causal: nothing after o is read)
 * and P the bins of a year (52 weeks, 12 months, 364 days):
 *   C maps   a_P                          the year's log-rate (what --baseline auto starts from)
 *   4C maps  a_k - a_P, k = 1, 4, 13, all  how the last bin, month, quarter and the whole
 *                                          history differ from it (log ratios)
 *   C maps   log(1 + n_o / exp(a_all))     near repeats: the last bin's count n_o relative to
 *                                          the cell's long-run rate. A weight w on it gives the
 *                                          factor (1 + n_o / rate)^w ~ 1 + w n_o / rate, i.e.
 *                                          an additive w n_o expected follow-ups: the shape of
 *                                          self-excitation (near-repeat victimisation), which
 *                                          a_1 - a_P (a power of n_o + 1/2) fits badly
 *   2 maps   sin and cos of the target's annual phase, 2 pi (day of tau) / 365.2425,
 *            constant over the grid: the season the forecast is for.
 *   rC maps  log(1 + R_d(o) / exp(a_all)), R_d the tensor's recency map of decay time d
 *            (heatmaps/tensor.h: 1 and 3 days) at the origin, for its first r = `recency`
 *            maps (r = 0 when it has none): the near-repeat map again, but with each past
 *            incident weighted exp(-age / d) at the end of the origin bin, so the network
 *            sees whether the last bin's incidents came early or late in it (whether their
 *            follow-ups have happened or are still to come).
 *   3gC maps (a_k - a_P) log(1 + exp(a_P)), k = 1, 4, 13, when `gated` is 1 or 2 (g = 1; else 0):
 *            the first three ratios again, scaled by the cell's level. A linear weight on a
 *            ratio trusts a change of the recent rate the same in every cell; these let the
 *            trust grow with the count, since a busy cell's recent average is a reliable
 *            estimate and a quiet cell's is noise (the interaction a forest gets from
 *            splitting on level, then on the lags). A Poisson GLM on the validation spans
 *            proposed them; the network's validation loss says per city whether they help
 *            (train's --level-gate; bench/RESULTS.md, "Level-gated ratios"; gated 2,
 *            --level-gate skip, train's default since issue 9, is the same maps for the
 *            skip path only: cc_skip_only_maps, the model's skip_only, models/convlstm.h).
 * A linear function of these maps is a Poisson GLM over multi-scale historical averages:
 * the skip path of models/convlstm.h. cc_context_maps(C, r, g) = (6 + r + 3g)C + 2 is their
 * number, in the order listed, each group of C maps [C][H][W] (the four ratios span by span,
 * the recency maps decay by decay: [r][C][H][W], the gated ratios span by span). */
int cc_context_maps(int channels, int recency, int gated);

/* The level-gated ratio maps among them when gated: 3C, the last maps of a step. */
int cc_gated_maps(int channels);
/* The maps a network reads through its skip path only (models/convlstm.h, skip_only):
 * the level-gated ratios when gated is 2, else none. */
int cc_skip_only_maps(int channels, int gated);

/* What one sample holds: input steps out of its `window` bins (all of them, or the held
 * `lags`: models/sample_lags.h), `horizon` target bins, and, when `context` is 1, the
 * cc_context_maps(C, recency, gated) context maps on every input step (recency <= the
 * tensor's R; gated 0, 1 or 2). */
typedef struct cc_sample_spec {
    int window, horizon;
    int context, recency, gated;
    int covariates;         /* 1: the tensor's covariate input maps (t->input_static +
                               t->input_dynamic, models/covariate_inputs.h) on every step */
    cc_lags lags;           /* none held: every bin of the window, in order */
} cc_sample_spec;

/* The input steps a sample of `spec` holds (cc_lags_steps), and the bin of step s of the
 * sample whose window starts at bin `start`: start + window - the step's lag. */
int cc_sample_steps(const cc_sample_spec *spec);
int cc_sample_step_bin(const cc_sample_spec *spec, int start, int s);

/* The context maps per step a sample of `spec` carries: 0 without context. */
int cc_sample_context_maps(const cc_sample_spec *spec, int channels);
/* All extra maps per step on tensor t: the covariate input maps (when asked), then the
 * context maps (when asked). */
int cc_sample_extra_maps(const cc_sample_spec *spec, const cc_tensor *t);

/* MSE compares normalised values: `maps` count maps [maps][H][W] (map m of channel m % C)
 * become log1p(count) / scale_c, in place. */
void cc_normalise_counts(const cc_tensor *t, const float *scale, float *values, size_t maps);

/* Gathers samples into time-major batches: x [steps][n][C + maps][H][W] (step s the bin
 * start + window - lag of step s: every bin of the window in order, or the held lags,
 * oldest first; normalised counts; then, with covariates, the static input maps and the dynamic ones of the
 * step's own bin; then the cc_sample_context_maps(spec, C) context maps, the same on every
 * step), y [horizon][n][C][H][W] raw counts of the targets. starts[i] is sample i's first
 * input bin. A window may end at the last bin: its targets past the data are zeros (their
 * dates, which the season maps read, continue the calendar), for a forecast of the bins
 * to come (predict --span next). */
void cc_gather_batch(const cc_tensor *t, const float *scale, const int *starts, int n, const cc_sample_spec *spec,
                     float *x, float *y);
/* The same, a sample per CPU thread of ctx (cc_cpu_threads): each sample's maps are its
 * own, so the bits are cc_gather_batch's on any number of threads. At 150 m a sample's
 * context maps take tens of milliseconds, which one thread would spend while the others
 * wait for the batch. */
void cc_gather_batch_threads(const cc_ops_context *ctx, const cc_tensor *t, const float *scale, const int *starts,
                             int n, const cc_sample_spec *spec, float *x, float *y);

/* The historical-average log-rate at each sample's forecast origin o = start + window - 1:
 *   log_rate = log((S + 1/2) / k'),  k' = min(k, o + 1),
 * S the sum of the counts of bins o-k'+1 .. o (the half count keeps cells that saw no
 * incident finite), the same for every horizon step: log_rate [horizon][n][C][H][W],
 * laid out like the targets. With sigma > 0, S is first smoothed in space inside the
 * mask m, per channel, by a Gaussian G of sigma cells (cut at 3 sigma):
 *   S'(x) = sum_y G(x - y) m(y) S(y) / sum_y G(x - y) m(y)
 * (at 150 m most cells' yearly count is 0 or 1: their own mean is noise, their
 * neighbourhood's is a rate; the division keeps the level at the mask's edge).
 * scratch: room for CC_BASELINE_SCRATCH_FLOATS(H, W) floats when sigma > 0 (the caller's,
 * so that a failed allocation is its error, never a silently unsmoothed baseline). */
void cc_gather_baseline(const cc_tensor *t, const int *starts, int n, int window, int horizon, int k, double sigma,
                        float *log_rate, float *scratch);
#define CC_BASELINE_SCRATCH_FLOATS(H, W) (3 * (size_t)(H) * (size_t)(W))

/* The smoothing above on one [H][W] map, in place; scratch: room for 3 H W floats. */
enum { CC_MAX_BASELINE_SIGMA = 20 }; /* cells: the Gaussian's taps stop at 3 sigma < 64 */
void cc_smooth_in_mask(float *map, const uint8_t *mask, int H, int W, double sigma, float *scratch);

#endif
