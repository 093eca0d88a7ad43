/* A bounded hand-off of parsed incidents from a reader thread to the thread that
 * writes them to the store, so decompression and parsing overlap with SQLite's
 * inserts. Incidents travel in batches whose strings live in the batch's own text
 * buffer (addressed by offset, so the buffer may grow while a batch fills).
 *
 * Protocol: the producer takes an empty batch (cc_queue_take_empty), fills it with
 * cc_batch_add, passes it on (cc_queue_put_full) and finally calls cc_queue_finish.
 * The consumer takes full batches (cc_queue_take_full returns NULL once the producer
 * has finished and everything was consumed) and gives them back
 * (cc_queue_put_empty). Either side may cc_queue_abort: the other side's next take
 * returns NULL. */
#ifndef CRIMECAST_CRAWLER_INCIDENT_QUEUE_H
#define CRIMECAST_CRAWLER_INCIDENT_QUEUE_H

#include <stddef.h>

#include "crawler/source_formats.h"

enum { CC_BATCH_ROWS = 4096 };

typedef struct cc_stored_incident {
    cc_incident incident;      /* string pointers are not valid here: see offsets */
    size_t source_id, raw_type, description;  /* offsets into text; SIZE_MAX for NULL */
} cc_stored_incident;

typedef struct cc_incident_batch {
    cc_stored_incident rows[CC_BATCH_ROWS];
    int count;
    char *text;
    size_t text_len, text_cap;
} cc_incident_batch;

/* Copies `incident` and its strings into the batch. Returns 0, or -1 when out of memory. */
int cc_batch_add(cc_incident_batch *batch, const cc_incident *incident);
/* Row i with its string pointers resolved against the batch's text. */
cc_incident cc_batch_get(const cc_incident_batch *batch, int i);

typedef struct cc_incident_queue cc_incident_queue;

cc_incident_queue *cc_queue_new(int batches);
void cc_queue_free(cc_incident_queue *queue);

cc_incident_batch *cc_queue_take_empty(cc_incident_queue *queue);
void cc_queue_put_full(cc_incident_queue *queue, cc_incident_batch *batch);
void cc_queue_finish(cc_incident_queue *queue);
cc_incident_batch *cc_queue_take_full(cc_incident_queue *queue);
void cc_queue_put_empty(cc_incident_queue *queue, cc_incident_batch *batch);
void cc_queue_abort(cc_incident_queue *queue);

#endif
