#include "host/progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crawler/clock.h"
#include "host/stderr_tee.h"

void cc_progress_begin(cc_progress *bar, const char *label, uint64_t total) {
    bar->label = label;
    bar->total = total;
    bar->out = stderr;
    /* a terminal, or the demo's tee to one (host/stderr_tee.h), which keeps the redraws
     * out of its log */
    const char *teed = getenv(CC_TEE_TTY_ENV);
    bar->enabled = isatty(fileno(stderr)) || (teed && !strcmp(teed, "1"));
    bar->start = cc_now_seconds();
    bar->last_draw = 0.0;
}

static void draw(cc_progress *bar, uint64_t done) {
    enum { WIDTH = 30 };
    double elapsed = cc_now_seconds() - bar->start;
    if (bar->total == 0) {
        fprintf(bar->out, "\r%s %llu  %.1fs\033[K", bar->label, (unsigned long long)done, elapsed);
        fflush(bar->out);
        return;
    }
    double frac = (double)done / (double)bar->total;
    if (frac > 1.0) frac = 1.0;
    char cells[WIDTH + 1];
    int filled = (int)(frac * WIDTH);
    for (int i = 0; i < WIDTH; i++) cells[i] = i < filled ? '#' : '.';
    cells[WIDTH] = '\0';
    double eta = frac > 0.0 ? elapsed * (1.0 - frac) / frac : 0.0;
    fprintf(bar->out, "\r%s [%s] %5.1f%%  %.1fs elapsed, %.1fs left\033[K", bar->label, cells,
            100.0 * frac, elapsed, eta);
    fflush(bar->out);
}

void cc_progress_update(cc_progress *bar, uint64_t done) {
    if (!bar->enabled) return;
    double now = cc_now_seconds();
    if (now - bar->last_draw < 0.1) return;
    bar->last_draw = now;
    draw(bar, done);
}

void cc_progress_end(cc_progress *bar) {
    if (!bar->enabled) return;
    fprintf(bar->out, "\r\033[K");
    fflush(bar->out);
}
