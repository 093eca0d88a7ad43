/* Test helper: reads maps from stdin and prints crimecast's metrics for each, so
 * tests/integration/metrics_test.py can compare them with scikit-learn.
 * Input per map: a line "n label" (label 0: top 10%, 1: occurrence), a line of n true
 * counts, a line of n forecasts.
 * Output per map: mse mae deviance auc ap f1 hit@1 hit@5 hit@10 pai@1 pai@5 pai@10
 * pei@1 pei@5 pei@10 (nan where undefined), then the hotspot ROC curve's true-positive
 * rates at false-positive rates 0, 0.1, ..., 1 (nan without both classes), then the n
 * hotspot weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "models/metrics.h"

int main(void) {
    int n, label;
    const double topk[3] = {1, 5, 10};
    while (scanf("%d %d", &n, &label) == 2 && n > 0) {
        float *y = malloc(sizeof(float) * (size_t)n), *p = malloc(sizeof(float) * (size_t)n);
        int *scratch = malloc(sizeof(int) * 3 * (size_t)n);
        double *positive = malloc(sizeof(double) * (size_t)n);
        for (int i = 0; i < n; i++)
            if (scanf("%f", &y[i]) != 1) return 1;
        for (int i = 0; i < n; i++)
            if (scanf("%f", &p[i]) != 1) return 1;
        cc_map_metrics m;
        cc_hotspot_label kind = label ? CC_HOTSPOT_OCCURRENCE : CC_HOTSPOT_TOP10;
        cc_map_metrics_compute(y, p, n, kind, topk, 3, scratch, &m);
        printf("%.12g %.12g %.12g %.12g %.12g %.12g", m.mse, m.mae, m.deviance, m.auc, m.ap, m.f1);
        for (int t = 0; t < 3; t++) printf(" %.12g", m.hit[t]);
        for (int t = 0; t < 3; t++) printf(" %.12g", m.pai[t]);
        for (int t = 0; t < 3; t++) printf(" %.12g", m.pei[t]);
        double tpr[11];
        cc_hotspot_weights(y, n, kind, scratch, positive);
        int defined = cc_roc_curve_sampled(positive, p, n, scratch, 11, tpr) == 0;
        for (int s = 0; s < 11; s++) printf(" %.12g", defined ? tpr[s] : (double)NAN);
        for (int i = 0; i < n; i++) printf(" %.12g", positive[i]);
        printf("\n");
        free(y), free(p), free(scratch), free(positive);
    }
    return 0;
}
