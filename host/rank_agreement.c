/* host/rank_agreement.h */
#include "host/rank_agreement.h"

#include <stdio.h>
#include <string.h>

uint64_t cc_digest_bytes(uint64_t digest, const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) digest = (digest ^ p[i]) * 0x100000001b3ull;
    return digest;
}

uint64_t cc_digest_large(uint64_t digest, const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    uint64_t lane[4] = {digest, digest ^ 0x9e3779b97f4a7c15ull, digest ^ 0xc2b2ae3d27d4eb4full, digest ^ 0x165667b1ull};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) { /* each step a bijection of the lane: one word changed changes it */
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            lane[k] = (lane[k] ^ w) * 0x100000001b3ull;
            lane[k] ^= lane[k] >> 32;
        }
    digest = cc_digest_bytes(digest, lane, sizeof lane);
    return cc_digest_bytes(digest, p + i, n - i);
}

uint64_t cc_digest_arguments(int argc, char **argv, const char *also) {
    uint64_t digest = CC_DIGEST_START;
    for (int i = 1; i < argc; i++) digest = cc_digest_bytes(digest, argv[i], strlen(argv[i]) + 1); /* with its NUL */
    FILE *f = also ? fopen(also, "rb") : NULL;
    unsigned char chunk[1 << 16]; /* a model file of many MiB: cc_digest_large's steps, chunk by chunk */
    size_t got;
    while (f && (got = fread(chunk, 1, sizeof chunk, f)) > 0) digest = cc_digest_large(digest, chunk, got);
    if (f) fclose(f); /* (unreadable: the run itself says so) */
    return digest;
}

uint64_t cc_digest_tensor(const cc_tensor *t) {
    int shape[4] = {t->T, t->C, t->H, t->W};
    size_t plane = (size_t)t->H * t->W;
    uint64_t d = cc_digest_bytes(CC_DIGEST_START, shape, sizeof shape);
    d = cc_digest_bytes(d, t->time, sizeof *t->time * (size_t)t->T);
    for (int c = 0; c < t->C; c++) d = cc_digest_bytes(d, t->categories[c], strlen(t->categories[c]) + 1);
    double grid[3] = {t->x0, t->y0, t->cell};
    d = cc_digest_bytes(d, grid, sizeof grid);
    d = cc_digest_large(d, t->mask, plane);
    if (t->values) d = cc_digest_large(d, t->values, sizeof(float) * plane * (size_t)t->T * (size_t)t->C);
    if (t->static_inputs) d = cc_digest_large(d, t->static_inputs, sizeof(float) * plane * (size_t)t->input_static);
    if (t->dynamic_inputs)
        d = cc_digest_large(d, t->dynamic_inputs, sizeof(float) * plane * (size_t)t->T * (size_t)t->input_dynamic);
    return d;
}

int cc_ranks_failing(const cc_collective *c, int failed, int *one) {
    double tally[2] = {failed != 0, failed ? c->rank : 0}; /* how many, and their ranks' sum */
    if (c->sum_doubles(c->self, tally, 2) != 0) return -1;
    *one = (int)tally[1];
    return (int)tally[0];
}

int cc_ranks_differing(const cc_collective *c, uint64_t digest, int *one) {
    enum { PIECES = 4 }; /* 16 bits each: doubles hold them exactly */
    double mine[PIECES], root[PIECES];
    for (int i = 0; i < PIECES; i++) mine[i] = root[i] = (double)((digest >> (16 * i)) & 0xffff);
    if (c->broadcast_doubles(c->self, root, PIECES, 0) != 0) return -1;
    return cc_ranks_failing(c, memcmp(mine, root, sizeof mine) != 0, one);
}

int cc_ranks_same_command(const cc_collective *c, int argc, char **argv, const char *also_option, const char *also,
                          char *err, size_t err_len) {
    int one = 0, differ = cc_ranks_differing(c, cc_digest_arguments(argc, argv, also), &one);
    char file[1200] = "";
    if (also)
        snprintf(file, sizeof file, " (or another copy of %s %s, or none: each rank reads its own)", also_option, also);
    if (differ < 0) snprintf(err, err_len, "the ranks could not compare their command lines");
    else if (differ == 1) snprintf(err, err_len, "rank %d was started with other options than rank 0%s: every rank must "
                                   "run the same command on the same files", one, file);
    else if (differ > 1) snprintf(err, err_len, "%d ranks were started with other options than rank 0%s: every rank "
                                  "must run the same command on the same files", differ, file);
    return differ == 0 ? 0 : -1;
}

/* cc_digest_tensor and the recency maps (their number per bin, and their values). */
static uint64_t digest_with_recency(const cc_tensor *t) {
    uint64_t d = cc_digest_bytes(cc_digest_tensor(t), &t->R, sizeof t->R);
    size_t maps = (size_t)t->T * (size_t)t->R * (size_t)t->C * (size_t)t->H * (size_t)t->W;
    return t->recency ? cc_digest_large(d, t->recency, sizeof(float) * maps) : d;
}

int cc_ranks_same_tensor(const cc_collective *c, const char *path, const cc_tensor *t, char *err, size_t err_len) {
    int one = 0, differ = cc_ranks_differing(c, digest_with_recency(t), &one);
    if (differ < 0) snprintf(err, err_len, "the ranks could not compare their tensors");
    else if (differ == 1) snprintf(err, err_len, "%s: rank %d read another tensor than rank 0 under this name (another "
                                   "copy on its machine?): every rank must read the same", path, one);
    else if (differ > 1) snprintf(err, err_len, "%s: %d ranks read another tensor than rank 0 under this name (other "
                                  "copies on their machines?): every rank must read the same", path, differ);
    return differ == 0 ? 0 : -1;
}

void cc_rank_named_message(const cc_collective *c, const char *err, char *out, size_t out_len) {
    if (c) snprintf(out, out_len, "rank %d of %d: %s", c->rank, c->size, err);
    else snprintf(out, out_len, "%s", err);
}
