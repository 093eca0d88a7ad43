/* crimecast predict: a trained model's forecasts for a span of a tensor. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crawler/datetime.h"
#include "host/cli.h"
#include "host/tensor_file.h"
#include "models/checkpoint.h"

static const char PREDICT_HELP[] =
    "usage: crimecast predict --model MODEL.h5 --data TENSOR.h5 --out FORECAST.h5 [--span test|val|all]\n"
    "                         [--device auto|cpu]\n\n"
    "Writes the model's expected counts for every target bin of the span (default: test):\n"
    "the bin `horizon` bins after each input window of the span. The forecast file has\n"
    "/forecast [T'][C][H][W], the target bins' /time, and the tensor's /category, /y, /x,\n"
    "/mask and grid attributes, with format = crimecast-forecast, model and horizon. A\n"
    "model trained on another grid or channel set is refused.\n";

int cc_cmd_predict(int argc, char **argv) {
    static const struct option OPTIONS[] = {{"model", required_argument, NULL, 'm'}, {"data", required_argument, NULL, 'd'},
                                            {"out", required_argument, NULL, 'o'},   {"span", required_argument, NULL, 's'},
                                            {"device", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *model_path = NULL, *data = NULL, *out = NULL, *device = "auto";
    cc_span span = CC_SPAN_TEST;
    optind = 0;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", OPTIONS, NULL)) != -1) {
        switch (opt) {
        case 'm': model_path = optarg; break;
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'D': device = optarg; break;
        case 's':
            if (cc_span_parse(optarg, &span) != 0 || span == CC_SPAN_TRAIN)
                return cc_usage_error("predict", "--span must be test, val or all (got '%s')", optarg);
            break;
        case 'h': fputs(PREDICT_HELP, stdout); return CC_EXIT_OK;
        default: return cc_usage_error("predict", "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cc_usage_error("predict", "unexpected argument '%s'", argv[optind]);
    if (!model_path || !data || !out) return cc_usage_error("predict", "--model, --data and --out are required");
    if (!strcmp(device, "cuda")) {
        fprintf(stderr, "crimecast predict: --device cuda: this version runs models on the CPU only\n");
        return CC_EXIT_FAILURE;
    }
    char err[1024];
    cc_tensor t;
    cc_convlstm model;
    cc_model_info info;
    if (cc_tensor_read(data, "counts", &t, err, sizeof err) != 0) {
        fprintf(stderr, "crimecast predict: %s\n", err);
        return CC_EXIT_FAILURE;
    }
    int status = CC_EXIT_FAILURE;
    if (cc_checkpoint_read(model_path, 16, &model, &info, NULL, err, sizeof err) == 0) {
        const cc_convlstm_config *c = &info.config;
        int n = cc_split_samples(&info.split, span, t.T, c->window, c->horizon);
        size_t map = (size_t)t.C * t.H * t.W;
        float *all = NULL, *lead = NULL;
        int64_t *times = NULL;
        int *starts = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
        if (cc_model_matches_tensor(&info, &t, err, sizeof err) != 0 || info.grid.T != t.T) {
            if (info.grid.T != t.T && !err[0]) snprintf(err, sizeof err, "the tensor has %d bins, the model's had %d", t.T, info.grid.T);
        } else if (n <= 0) {
            snprintf(err, sizeof err, "the %s span holds no window of %d + %d bins", cc_span_name(span), c->window, c->horizon);
        } else if (!starts || !(all = malloc(sizeof(float) * map * (size_t)n * c->horizon)) ||
                   !(lead = malloc(sizeof(float) * map * (size_t)n)) || !(times = malloc(sizeof(int64_t) * (size_t)n))) {
            snprintf(err, sizeof err, "out of memory for %d forecasts", n);
        } else {
            for (int i = 0; i < n; i++) starts[i] = cc_split_sample_start(&info.split, span, i);
            cc_ops_context ctx = {CC_BACKEND_CPU, 0, NULL, 0};
            cc_predict(&model, &ctx, &t, info.scale, info.loss, starts, n, 16, all);
            for (int i = 0; i < n; i++) { /* the lead-`horizon` step of each window */
                memcpy(lead + (size_t)i * map, all + ((size_t)i * c->horizon + c->horizon - 1) * map, sizeof(float) * map);
                times[i] = t.time[cc_split_target(&info.split, span, i, c->window, c->horizon)];
            }
            char source[8400];
            snprintf(source, sizeof source, "model %s on %s, %s span", model_path, data, cc_span_name(span));
            if (cc_forecast_write(out, &t, lead, times, n, c->down > 1 ? "convlstm-ae" : "convlstm", c->horizon, source,
                                  err, sizeof err) == 0) {
                char first[11], last[11];
                cc_format_iso_date(times[0], first);
                cc_format_iso_date(times[n - 1], last);
                printf("%s: %d %s bins (%s .. %s) x %d channels x %d x %d, horizon %d\n", out, n, t.bin, first, last,
                       t.C, t.H, t.W, c->horizon);
                status = CC_EXIT_OK;
            }
        }
        free(starts);
        free(all);
        free(lead);
        free(times);
        cc_convlstm_free(&model);
        cc_model_info_free(&info);
    }
    if (status != CC_EXIT_OK) fprintf(stderr, "crimecast predict: %s\n", err);
    cc_tensor_free(&t);
    return status;
}
