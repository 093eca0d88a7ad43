/* Model files (models/checkpoint.h), edited from a template crimecast wrote: a two-member
 * seed ensemble with recency and context inputs and a skip path (hdf5_edit.h).
 *
 * Input: one byte, then the edits. The byte's low bit says whether the training state
 * is read too (`train --resume`) or not (`predict`).
 *
 * Promises checked: a file is read whole or refused with a printable message naming it;
 * what is read is what predict and train --resume use without checking again: at most
 * CC_MAX_MEMBERS members, the finished ones with parameters, target spans inside the
 * model's T bins (every sample's inputs and target are bins of the tensor), the
 * normalisation scales finite and > 0. A model that matches the template tensor then
 * forecasts from it (the whole forward pass over the parameters read). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hdf5_edit.h"
#include "heatmaps/tensor_file.h"
#include "kernels/device.h"
#include "models/checkpoint.h"

static h5_template model_template;
static cc_tensor tensor;
static cc_ops_context cpu;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    char err[1024];
    h5_template_load(&model_template, CRIMECAST_FUZZ_TEMPLATES "/model.h5");
    const char *tensor_path = CRIMECAST_FUZZ_TEMPLATES "/tensor.h5";
    FUZZ_CHECK(cc_tensor_read(tensor_path, NULL, &tensor, err, sizeof err) == 0 &&
                   cc_tensor_read_recency(tensor_path, &tensor, 1, err, sizeof err) == 0,
               "%s", err);
    FUZZ_CHECK(cc_open_backend("cpu", 1, "gemm", "fp32", &cpu, err, sizeof err) == 0, "%s", err);
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    FUZZ_CHECK(cc_checkpoint_read(CRIMECAST_FUZZ_TEMPLATES "/model.h5", 1, &model, &info, &state, err, sizeof err) == 0,
               "the template does not read (run tests/fuzz/make_templates.sh): %s", err);
    FUZZ_CHECK(cc_model_matches_tensor(&info, &tensor, err, sizeof err) == 0, "template model and tensor: %s", err);
    cc_convlstm_free(&model), cc_model_info_free(&info), cc_train_state_free(&state);
    return 0;
}

static void check_split(const cc_split *s, int window, int horizon, int T) {
    FUZZ_CHECK(s->T == T && s->lead == window + horizon - 1, "split of T %d lead %d for T %d, %d + %d", s->T, s->lead,
               T, window, horizon);
    for (cc_span span = CC_SPAN_TRAIN; span <= CC_SPAN_TEST; span++) {
        int n = cc_split_samples(s, span);
        FUZZ_CHECK(n >= 0 && n <= T, "%s span of %d samples", cc_span_name(span), n);
        for (int i = 0; i < n; i += n - 1 > 1 ? n - 1 : 1) { /* the first and the last */
            int start = cc_split_sample_start(s, span, i), target = cc_split_target(s, span, i);
            FUZZ_CHECK(start >= 0 && target < T && target - start == s->lead, "%s sample %d: bins %d..%d of %d",
                       cc_span_name(span), i, start, target, T);
        }
    }
}

/* The forward pass predict makes, on the first test sample of the template tensor. */
static void forecast(cc_convlstm *model, const cc_model_info *info) {
    char err[1024];
    if (cc_model_matches_tensor(info, &tensor, err, sizeof err) != 0 || info->grid.T != tensor.T ||
        cc_split_samples(&info->split, CC_SPAN_TEST) < 1)
        return;
    int start = cc_split_sample_start(&info->split, CC_SPAN_TEST, 0);
    size_t map = (size_t)tensor.C * tensor.H * tensor.W;
    float *out = malloc(sizeof(float) * map * (size_t)info->config.horizon);
    FUZZ_CHECK(out && cc_predict(model, &cpu, &tensor, info->scale, info->loss, &start, 1, 1, out, err, sizeof err) == 0,
               "predict: %s", err);
    free(out);
}

static void check_model(cc_convlstm *model, const cc_model_info *info) {
    FUZZ_CHECK(info->members >= 1 && info->members <= CC_MAX_MEMBERS && info->finished >= 0 &&
                   info->finished < info->members,
               "%d members, %d finished", info->members, info->finished);
    for (int i = 0; i < info->finished; i++) FUZZ_CHECK(info->member[i].params != NULL, "member %d has no parameters", i);
    int forecasting = cc_model_forecast_members(info);
    FUZZ_CHECK(forecasting >= 0 && forecasting <= info->members, "%d members forecast of %d", forecasting, info->members);
    check_split(&info->split, info->config.window, info->config.horizon, info->grid.T);
    for (int c = 0; c < info->grid.C; c++)
        FUZZ_CHECK(isfinite(info->scale[c]) && info->scale[c] > 0, "scale[%d] = %g", c, info->scale[c]);
    forecast(model, info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input in = {data, size, 0};
    int with_state = fuzz_u8(&in) & 1;
    const char *path = fuzz_path("model.h5");
    h5_edit(&model_template, path, &in);
    cc_convlstm model;
    cc_model_info info;
    cc_train_state state;
    char err[1024] = "";
    if (cc_checkpoint_read(path, 1, &model, &info, with_state ? &state : NULL, err, sizeof err) != 0) {
        fuzz_check_message(err, path);
        return 0;
    }
    check_model(&model, &info);
    cc_convlstm_free(&model);
    cc_model_info_free(&info);
    if (with_state) cc_train_state_free(&state);
    return 0;
}
