#include "crawler/incident_queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cc_incident_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    cc_incident_batch **all;     /* every batch, for freeing */
    cc_incident_batch **empty;   /* stack of empty batches */
    cc_incident_batch **full;    /* FIFO ring of full batches */
    int batches, empty_count, full_head, full_count;
    int finished, aborted;
};

static size_t put_text(cc_incident_batch *b, const char *s, int *failed) {
    if (!s) return SIZE_MAX;
    size_t n = strlen(s) + 1;
    if (b->text_len + n > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 1 << 16;
        while (cap < b->text_len + n) cap *= 2;
        char *text = realloc(b->text, cap);
        if (!text) {
            *failed = 1;
            return SIZE_MAX;
        }
        b->text = text;
        b->text_cap = cap;
    }
    memcpy(b->text + b->text_len, s, n);
    b->text_len += n;
    return b->text_len - n;
}

int cc_batch_add(cc_incident_batch *b, const cc_incident *incident) {
    int failed = 0;
    cc_stored_incident *row = &b->rows[b->count];
    row->incident = *incident;
    row->source_id = put_text(b, incident->source_id, &failed);
    row->raw_type = put_text(b, incident->raw_type, &failed);
    row->description = put_text(b, incident->description, &failed);
    if (failed) return -1;
    b->count++;
    return 0;
}

static const char *resolve(const cc_incident_batch *b, size_t offset) {
    return offset == SIZE_MAX ? NULL : b->text + offset;
}

cc_incident cc_batch_get(const cc_incident_batch *b, int i) {
    const cc_stored_incident *row = &b->rows[i];
    cc_incident incident = row->incident;
    incident.source_id = resolve(b, row->source_id);
    incident.raw_type = resolve(b, row->raw_type);
    incident.description = resolve(b, row->description);
    return incident;
}

cc_incident_queue *cc_queue_new(int batches) {
    cc_incident_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->batches = batches;
    q->all = calloc((size_t)batches, sizeof *q->all);
    q->empty = calloc((size_t)batches, sizeof *q->empty);
    q->full = calloc((size_t)batches, sizeof *q->full);
    int ok = q->all && q->empty && q->full;
    for (int i = 0; ok && i < batches; i++) {
        q->all[i] = calloc(1, sizeof *q->all[i]);
        ok = q->all[i] != NULL;
        if (ok) q->empty[q->empty_count++] = q->all[i];
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    if (!ok) {
        cc_queue_free(q);
        return NULL;
    }
    return q;
}

void cc_queue_free(cc_incident_queue *q) {
    if (!q) return;
    for (int i = 0; q->all && i < q->batches; i++) {
        if (q->all[i]) free(q->all[i]->text);
        free(q->all[i]);
    }
    free(q->all);
    free(q->empty);
    free(q->full);
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->changed);
    free(q);
}

cc_incident_batch *cc_queue_take_empty(cc_incident_queue *q) {
    pthread_mutex_lock(&q->lock);
    while (!q->aborted && q->empty_count == 0) pthread_cond_wait(&q->changed, &q->lock);
    cc_incident_batch *b = q->aborted ? NULL : q->empty[--q->empty_count];
    pthread_mutex_unlock(&q->lock);
    if (b) {
        b->count = 0;
        b->text_len = 0;
    }
    return b;
}

void cc_queue_put_full(cc_incident_queue *q, cc_incident_batch *b) {
    pthread_mutex_lock(&q->lock);
    q->full[(q->full_head + q->full_count++) % q->batches] = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void cc_queue_finish(cc_incident_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->finished = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

cc_incident_batch *cc_queue_take_full(cc_incident_queue *q) {
    pthread_mutex_lock(&q->lock);
    while (!q->aborted && q->full_count == 0 && !q->finished) pthread_cond_wait(&q->changed, &q->lock);
    cc_incident_batch *b = NULL;
    if (!q->aborted && q->full_count > 0) {
        b = q->full[q->full_head];
        q->full_head = (q->full_head + 1) % q->batches;
        q->full_count--;
    }
    pthread_mutex_unlock(&q->lock);
    return b;
}

void cc_queue_put_empty(cc_incident_queue *q, cc_incident_batch *b) {
    pthread_mutex_lock(&q->lock);
    q->empty[q->empty_count++] = b;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

void cc_queue_abort(cc_incident_queue *q) {
    pthread_mutex_lock(&q->lock);
    q->aborted = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}
