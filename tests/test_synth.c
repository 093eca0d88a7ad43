/* The synthetic city (models/synth.h): determinism, the background's count against its
 * integral, the branching ratio, and the oracle against Monte Carlo. The Monte Carlo
 * continuation is simulated here independently of the oracle's generation sums: by
 * Ogata's thinning of the conditional intensity itself, each accepted event attributed
 * to the background or to one past event in proportion to its share of the intensity. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "models/rng.h"
#include "models/synth.h"

#define FROM 18262.0 /* 2020-01-01 */

static const cc_synth_domain CITY = {400000, 4400000, 430000, 4430000};

static void test_same_seed_same_city(void **state) {
    (void)state;
    cc_synth_params a, b, c;
    cc_synth_params_from_seed(7, &CITY, &a);
    cc_synth_params_from_seed(7, &CITY, &b);
    cc_synth_params_from_seed(8, &CITY, &c);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(memcmp(&a, &c, sizeof a) != 0);
    for (int i = 0; i < a.category_count; i++) {
        const cc_synth_category *k = &a.categories[i];
        assert_true(k->branching >= 0.3 && k->branching <= 0.6);
        assert_true(k->decay_days >= 1 && k->decay_days <= 7);
        assert_true(k->sigma_m >= 100 && k->sigma_m <= 400);
        double weights = 0;
        for (int z = 0; z < k->zone_count; z++) weights += k->zones[z].weight;
        assert_true(fabs(weights - 1) < 1e-12);
    }
    cc_synth_events one = {0}, two = {0}, longer = {0};
    assert_int_equal(cc_synth_simulate(&a, FROM, FROM + 120, &one), 0);
    assert_int_equal(cc_synth_simulate(&b, FROM, FROM + 120, &two), 0);
    assert_int_equal(cc_synth_simulate(&a, FROM, FROM + 200, &longer), 0);
    assert_true(one.count > 1000);
    assert_int_equal(one.count, two.count);
    assert_memory_equal(one.items, two.items, one.count * sizeof *one.items);
    /* A longer run starts with exactly the shorter one. */
    assert_true(longer.count > one.count);
    assert_memory_equal(one.items, longer.items, one.count * sizeof *one.items);
    for (size_t i = 1; i < one.count; i++) assert_true(one.items[i - 1].t <= one.items[i].t);
    cc_synth_events_free(&one), cc_synth_events_free(&two), cc_synth_events_free(&longer);
}

static void test_background_count_matches_its_integral(void **state) {
    (void)state;
    cc_synth_params p;
    cc_synth_params_from_seed(3, &CITY, &p);
    double from = FROM, to = FROM + 3 * 365;
    cc_synth_events ev = {0};
    assert_int_equal(cc_synth_simulate(&p, from, to, &ev), 0);
    for (int ci = 0; ci < p.category_count; ci++) {
        /* The whole span and one summer month, where the cycles matter. */
        double windows[2][2] = {{from, to}, {from + 182, from + 213}};
        for (int w = 0; w < 2; w++) {
            double expected = cc_synth_background_integral(&p.categories[ci], windows[w][0], windows[w][1]);
            double seen = 0;
            for (size_t i = 0; i < ev.count; i++)
                seen += ev.items[i].category == ci && ev.items[i].generation == 0 && ev.items[i].t >= windows[w][0] &&
                        ev.items[i].t < windows[w][1];
            if (fabs(seen - expected) > 4.5 * sqrt(expected))
                fail_msg("%s window %d: %.0f background events, expected %.1f", p.categories[ci].name, w, seen,
                         expected);
        }
    }
    cc_synth_events_free(&ev);
}

static void test_offspring_per_parent_is_the_branching_ratio(void **state) {
    (void)state;
    cc_synth_params p;
    cc_synth_params_from_seed(5, &CITY, &p);
    double from = FROM, to = FROM + 2 * 365;
    cc_synth_events ev = {0};
    assert_int_equal(cc_synth_simulate(&p, from, to, &ev), 0);
    for (int ci = 0; ci < p.category_count; ci++) {
        const cc_synth_category *c = &p.categories[ci];
        /* Parents early enough that their children (delay Exp, mean decay) are not cut by `to`. */
        double cut = to - 40 * c->decay_days;
        double parents = 0, children = 0;
        for (size_t i = 0; i < ev.count; i++) {
            if (ev.items[i].category != ci) continue;
            parents += ev.items[i].t < cut;
            long parent = ev.items[i].parent;
            if (parent >= 0) {
                assert_true((size_t)parent < i);
                assert_int_equal(ev.items[parent].category, ci);
                assert_int_equal(ev.items[parent].generation + 1, ev.items[i].generation);
                children += ev.items[parent].t < cut;
            }
        }
        double estimate = children / parents, se = sqrt(c->branching / parents);
        if (fabs(estimate - c->branching) > 4 * se)
            fail_msg("%s: %.4f children per parent, n = %.4f (se %.4f)", c->name, estimate, c->branching, se);
    }
    cc_synth_events_free(&ev);
}

/* ------------------------------------------------------------ Monte Carlo oracle check */

typedef struct past_event {
    double t, x, y;
} past_event;

typedef struct continuation {
    const cc_synth_category *c;
    past_event *events;         /* history (recent enough to matter), then new events */
    size_t history, count, capacity;
} continuation;

static void background_location(cc_rng *rng, const cc_synth_category *c, double *x, double *y) {
    double u = cc_rng_uniform(rng), acc = 0;
    int z = 0;
    while (z < c->zone_count - 1 && u >= (acc += c->zones[z].weight)) z++;
    *x = c->zones[z].x + c->zones[z].sd * cc_rng_normal(rng);
    *y = c->zones[z].y + c->zones[z].sd * cc_rng_normal(rng);
}

/* Which past event triggered the event at t: drawn with probability proportional to its
 * term n beta exp(-beta (t - t_j)) of the intensity, total `excitation`. */
static const past_event *pick_parent(cc_rng *rng, const continuation *k, double t, double excitation) {
    double beta = 1.0 / k->c->decay_days, nb = k->c->branching * beta;
    double u = cc_rng_uniform(rng) * excitation, acc = 0;
    for (size_t j = k->count; j-- > 0;) {
        acc += nb * exp(-beta * (t - k->events[j].t));
        if (u < acc) return &k->events[j];
    }
    return &k->events[0]; /* rounding: the oldest */
}

/* One continuation over [origin, t1) by Ogata's thinning; adds the events in [t0, t1)
 * to counts[cell] (cells of `g`, off-grid ones dropped). */
static void continue_once(cc_rng *rng, continuation *k, double origin, double t0, double t1,
                          const cc_synth_grid *g, double *counts) {
    const cc_synth_category *c = k->c;
    double beta = 1.0 / c->decay_days, nb = c->branching * beta;
    double bound_m = cc_synth_modulation_bound(c, origin, t1);
    k->count = k->history;
    double excitation = 0;
    for (size_t j = 0; j < k->history; j++) excitation += nb * exp(-beta * (origin - k->events[j].t));
    for (double s = origin;;) {
        double bound = c->rate * bound_m + excitation;
        double t = s - log1p(-cc_rng_uniform(rng)) / bound;
        if (t >= t1) break;
        excitation *= exp(-beta * (t - s));
        s = t;
        double background = c->rate * cc_synth_modulation(c, t);
        double u = cc_rng_uniform(rng) * bound;
        if (u >= background + excitation) continue;
        past_event e = {t, 0, 0};
        if (u < background) {
            background_location(rng, c, &e.x, &e.y);
        } else {
            const past_event *parent = pick_parent(rng, k, t, excitation);
            e.x = parent->x + c->sigma_m * cc_rng_normal(rng);
            e.y = parent->y + c->sigma_m * cc_rng_normal(rng);
        }
        assert_true(k->count < k->capacity);
        k->events[k->count++] = e;
        excitation += nb;
        if (t < t0) continue;
        double col = (e.x - g->x0) / g->cell, row = (g->y0 - e.y) / g->cell;
        if (col >= 0 && row >= 0 && col < g->width && row < g->height)
            counts[(int)row * g->width + (int)col] += 1;
    }
}

static void test_oracle_matches_monte_carlo(void **state) {
    (void)state;
    /* A small city and one category, busy enough to self-excite visibly, cheap to repeat. */
    const cc_synth_domain town = {500000, 4500000, 508000, 4508000};
    cc_synth_params p;
    cc_synth_params_from_seed(11, &town, &p);
    p.category_count = 1;
    cc_synth_category *c = &p.categories[0];
    c->rate = 6, c->branching = 0.55, c->decay_days = 1.5, c->sigma_m = 600;
    double origin = FROM + 40, t0 = origin + 3, t1 = t0 + 7; /* a week, forecast 3 days ahead */
    cc_synth_events history = {0};
    assert_int_equal(cc_synth_simulate(&p, FROM, origin, &history), 0);

    cc_synth_grid grid = {town.x_min, town.y_max, 1000, 8, 8};
    enum { CELLS = 64, RUNS = 20000 };
    double oracle[CELLS];
    assert_int_equal(cc_synth_oracle(&p, 0, history.items, history.count, origin, t0, t1, &grid, oracle), 0);

    continuation k = {c, NULL, 0, 0, 0};
    k.capacity = history.count + 20000;
    k.events = malloc(k.capacity * sizeof *k.events);
    assert_non_null(k.events);
    for (size_t i = 0; i < history.count; i++)
        k.events[k.history++] = (past_event){history.items[i].t, history.items[i].x, history.items[i].y};
    double sum[CELLS] = {0}, sum2[CELLS] = {0}, total = 0, total2 = 0;
    cc_rng rng;
    cc_rng_seed(&rng, 20240611);
    for (int r = 0; r < RUNS; r++) {
        double counts[CELLS] = {0}, all = 0;
        continue_once(&rng, &k, origin, t0, t1, &grid, counts);
        for (int i = 0; i < CELLS; i++) sum[i] += counts[i], sum2[i] += counts[i] * counts[i], all += counts[i];
        total += all, total2 += all * all;
    }
    double chi2 = 0, oracle_total = 0, worst = 0;
    for (int i = 0; i < CELLS; i++) {
        double mean = sum[i] / RUNS, var = fmax(sum2[i] / RUNS - mean * mean, oracle[i]);
        double z = (mean - oracle[i]) / sqrt(var / RUNS);
        chi2 += z * z;
        worst = fmax(worst, fabs(z));
        oracle_total += oracle[i];
    }
    double mean_total = total / RUNS, se_total = sqrt((total2 / RUNS - mean_total * mean_total) / RUNS);
    print_message("oracle %.3f vs Monte Carlo %.3f +- %.3f over the grid; chi2 %.1f on %d cells, worst |z| %.2f\n",
                  oracle_total, mean_total, se_total, chi2, CELLS, worst);
    assert_true(oracle_total > 20); /* the check has power: a busy week */
    assert_true(fabs(mean_total - oracle_total) < 4 * se_total);
    assert_true(worst < 5);
    assert_true(chi2 < CELLS + 6 * sqrt(2.0 * CELLS));
    free(k.events);
    cc_synth_events_free(&history);
}

/* With no self-excitation and no history, the oracle is the background's integral over
 * the cells; a grid far larger than the zones holds all of it. */
static void test_oracle_without_triggering_is_the_background(void **state) {
    (void)state;
    cc_synth_params p;
    cc_synth_params_from_seed(2, &CITY, &p);
    p.category_count = 1;
    p.categories[0].branching = 0;
    cc_synth_grid grid = {CITY.x_min - 60000, CITY.y_max + 60000, 5000, 30, 30};
    double *out = malloc(sizeof(double) * 900);
    assert_non_null(out);
    assert_int_equal(cc_synth_oracle(&p, 0, NULL, 0, FROM + 10, FROM + 10, FROM + 17, &grid, out), 0);
    double sum = 0;
    for (int i = 0; i < 900; i++) sum += out[i];
    double expected = cc_synth_background_integral(&p.categories[0], FROM + 10, FROM + 17);
    assert_true(fabs(sum - expected) < 1e-9 * expected);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_city),
        cmocka_unit_test(test_background_count_matches_its_integral),
        cmocka_unit_test(test_offspring_per_parent_is_the_branching_ratio),
        cmocka_unit_test(test_oracle_without_triggering_is_the_background),
        cmocka_unit_test(test_oracle_matches_monte_carlo),
    };
    return cmocka_run_group_tests_name("synth", tests, NULL, NULL);
}
