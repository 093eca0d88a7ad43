/* A training step's scalars on the CPU (kernels/ops.h, cc_step_scalars): host memory, so
 * these are plain C; kernels/cuda/step.cu does the same on the device. The AdamW update
 * is cc_cpu_adamw_step's, at the t the scalars hold. */
#include <math.h>

#include "kernels/cpu/cpu_ops.h"

void cc_cpu_step_account(cc_step_scalars *s) {
    if (s->bad_step < 0 && isfinite(s->loss)) s->loss_sum += s->loss;
    else if (s->bad_step < 0) s->bad_step = s->steps, s->bad_loss = s->loss;
    s->steps += 1;
}

void cc_cpu_adamw_step_guarded(const cc_adamw *o, cc_step_scalars *s, float *p, const float *g, float *m, float *v,
                               size_t n) {
    if (s->bad_step >= 0) return;
    double t = s->adam_t + 1;
    s->correction1 = 1.0 - pow(o->beta1, t), s->correction2 = 1.0 - pow(o->beta2, t);
    s->adam_t = t;
    cc_cpu_adamw_update(o, s->correction1, s->correction2, p, g, m, v, n);
}
