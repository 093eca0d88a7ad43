#include "crawler/import.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "crawler/byte_source.h"
#include "crawler/csv_reader.h"
#include "crawler/incident_queue.h"
#include "crawler/printable.h"

/* Everything one import needs while it reads rows. */
typedef struct import_job {
    cc_store *store;
    const cc_city *city;
    cc_import_stats *stats;
    cc_import_progress_fn progress;
    void *progress_context;
    uint64_t done_before;   /* bytes of earlier zip members */
    uint64_t total;
    char *err;
    size_t err_len;
    int begin_at_first_batch; /* a file's own transaction, begun when its first rows are ready
                                 (a pipe slow to start keeps no write lock while it waits;
                                 from then to the file's end the transaction holds it) */
    int begun;
} import_job;

uint64_t cc_import_rejected_total(const cc_import_stats *stats) {
    uint64_t n = 0;
    for (int r = 0; r < CC_REJECT_REASON_COUNT; r++) n += stats->rejected[r];
    return n;
}

static void note_rejection(cc_import_stats *stats, const char *label, long line,
                           cc_reject_reason reason, const char *detail) {
    int first_of_reason = stats->rejected[reason]++ == 0;
    if (stats->example_count < CC_IMPORT_MAX_EXAMPLES || first_of_reason)
        snprintf(stats->examples[stats->example_count++], sizeof stats->examples[0], "%s:%ld: %s (%s)",
                 label, line, cc_reject_reason_name(reason), detail);
}

/* A raw type listed once, cut to the room a list entry has: a long type matches its own
 * cut copy, and the cut falls between characters (the text is UTF-8 by now). */
static void note_unmapped(cc_import_stats *stats, const char *raw_type) {
    enum { ROOM = sizeof stats->unmapped[0] - 1 };
    stats->unmapped_rows++;
    size_t length = cc_utf8_prefix(raw_type, ROOM); /* cut whole characters: the warning keeps them */
    for (int i = 0; i < stats->unmapped_count; i++)
        if (strlen(stats->unmapped[i]) == length && !memcmp(stats->unmapped[i], raw_type, length)) return;
    if (stats->unmapped_count < CC_IMPORT_MAX_UNMAPPED)
        snprintf(stats->unmapped[stats->unmapped_count++], sizeof stats->unmapped[0], "%.*s", (int)length, raw_type);
}

/* What an accepted row adds to the report: a raw type not in the map, text mended, its
 * date among the first and last. */
static void note_accepted(cc_import_stats *stats, const char *label, long line, const cc_incident *incident) {
    if (!stats->earliest[0] || strcmp(incident->occurred, stats->earliest) < 0)
        memcpy(stats->earliest, incident->occurred, sizeof stats->earliest);
    if (strcmp(incident->occurred, stats->latest) > 0) memcpy(stats->latest, incident->occurred, sizeof stats->latest);
    if (!incident->raw_type_mapped) note_unmapped(stats, incident->raw_type);
    if (incident->mended_field && stats->mended_rows++ == 0)
        snprintf(stats->first_mended, sizeof stats->first_mended, "%s:%ld, field '%s'", label, line,
                 incident->mended_field);
}

/* The reader thread: decompresses and parses one CSV stream, counts rejections and
 * hands accepted incidents over in batches. */
typedef struct stream_reader {
    import_job *job;
    cc_byte_source *src;
    const char *label;
    cc_incident_queue *queue;
    int status;
    char err[1024];
    char *header;           /* the header's fields, each ended by its NUL, in order */
    size_t header_bytes;
    int header_fields;
} stream_reader;

/* Keeps the header's fields, to know the header line when it comes again. 0, or -1. */
static int keep_header(stream_reader *r, const cc_csv_row *header) {
    size_t bytes = 0;
    for (int i = 0; i < header->field_count; i++) bytes += header->lengths[i] + 1;
    if (!(r->header = malloc(bytes ? bytes : 1))) return -1;
    char *at = r->header;
    for (int i = 0; i < header->field_count; i++) {
        memcpy(at, header->fields[i], header->lengths[i]);
        at += header->lengths[i], *at++ = 0;
    }
    r->header_bytes = bytes, r->header_fields = header->field_count;
    return 0;
}

/* Whether a row is the header line again: files joined into one (cat a.csv b.csv), the
 * second's header, perhaps with its byte-order mark, inside the rows. */
static int header_again(const stream_reader *r, const cc_csv_row *row) {
    if (row->field_count != r->header_fields) return 0;
    const char *at = r->header;
    for (int i = 0; i < row->field_count; i++) {
        const char *field = row->fields[i];
        size_t length = row->lengths[i], kept = strlen(at);
        if (i == 0 && length >= 3 && !memcmp(field, "\xEF\xBB\xBF", 3)) field += 3, length -= 3;
        if (length != kept || memcmp(field, at, kept) != 0) return 0;
        at += kept + 1;
    }
    return 1;
}

static void report_progress(stream_reader *r) {
    import_job *job = r->job;
    if (job->progress)
        job->progress(job->progress_context, job->done_before + cc_byte_source_position(r->src),
                      job->total);
}

/* Parses one row; an accepted row goes into `batch`. Returns 0 or -1 (out of memory). */
static int take_row(stream_reader *r, cc_row_parser *parser, const cc_csv_row *row,
                    cc_incident_batch *batch) {
    cc_import_stats *stats = r->job->stats;
    cc_incident incident;
    char detail[256];
    stats->rows_read++;
    if (header_again(r, row)) {
        note_rejection(stats, r->label, row->line, CC_REJECT_MALFORMED, "the header line again: files joined into one?");
        return 0;
    }
    cc_reject_reason reason = cc_row_parser_parse(parser, row, &incident, detail, sizeof detail);
    if (reason == CC_PARSE_NO_MEMORY) {
        snprintf(r->err, sizeof r->err, "%s:%ld: %s", r->label, row->line, detail);
        return -1;
    }
    if (reason != CC_REJECT_NONE) {
        note_rejection(stats, r->label, row->line, reason, detail);
        return 0;
    }
    note_accepted(stats, r->label, row->line, &incident);
    if (cc_batch_add(batch, &incident) == 0) return 0;
    snprintf(r->err, sizeof r->err, "%s:%ld: out of memory", r->label, row->line);
    return -1;
}

static cc_row_parser *read_header(stream_reader *r, cc_csv_reader *reader) {
    cc_csv_row header;
    int got = cc_csv_next(reader, &header);
    if (got <= 0) {
        snprintf(r->err, sizeof r->err, "%s: %s", r->label,
                 got == 0 ? "empty file (no header line)" : cc_csv_error(reader));
        return NULL;
    }
    char why[900];
    cc_row_parser *parser = cc_row_parser_for_header(r->job->city, &header, why, sizeof why);
    if (!parser) {
        snprintf(r->err, sizeof r->err, "%s: %s", r->label, why);
        return NULL;
    }
    if (keep_header(r, &header) != 0) {
        snprintf(r->err, sizeof r->err, "%s: out of memory", r->label);
        cc_row_parser_free(parser);
        return NULL;
    }
    cc_import_stats *stats = r->job->stats;
    if (!stats->format[0]) snprintf(stats->format, sizeof stats->format, "%s", cc_row_parser_format(parser));
    return parser;
}

/* Reads rows until the end, an error, or the writer aborting. Returns 0 or -1. */
static int read_rows(stream_reader *r, cc_csv_reader *reader, cc_row_parser *parser) {
    cc_incident_batch *batch = cc_queue_take_empty(r->queue);
    cc_csv_row row = {0};
    int got;
    while (batch && (got = cc_csv_next(reader, &row)) > 0) {
        if (take_row(r, parser, &row, batch) != 0) return -1;
        if (batch->count == CC_BATCH_ROWS) {
            cc_queue_put_full(r->queue, batch);
            batch = cc_queue_take_empty(r->queue);
            report_progress(r);
        }
    }
    if (!batch) return 0; /* the writer gave up; it reports why */
    if (got < 0) {
        snprintf(r->err, sizeof r->err, "%s: after line %ld: %s", r->label, row.line,
                 cc_csv_error(reader));
        return -1;
    }
    cc_import_stats *stats = r->job->stats;
    if (row.unended && !stats->unended[0]) snprintf(stats->unended, sizeof stats->unended, "%s:%ld", r->label, row.line);
    if (batch->count)
        cc_queue_put_full(r->queue, batch);
    else
        cc_queue_put_empty(r->queue, batch);
    return 0;
}

static void *run_reader(void *arg) {
    stream_reader *r = arg;
    cc_csv_reader *reader = cc_csv_open(r->src);
    cc_row_parser *parser = NULL;
    if (!reader)
        snprintf(r->err, sizeof r->err, "%s: out of memory", r->label);
    else
        parser = read_header(r, reader);
    r->status = parser ? read_rows(r, reader, parser) : -1;
    if (r->status != 0)
        cc_queue_abort(r->queue);
    else
        cc_queue_finish(r->queue);
    cc_row_parser_free(parser);
    cc_csv_close(reader);
    free(r->header);
    return NULL;
}

/* Writes every batch the reader hands over. Returns 0 or -1 (`job->err` filled). */
static int write_batches(import_job *job, cc_incident_queue *queue) {
    const char *city = cc_city_name(job->city);
    cc_incident *rows = malloc(sizeof *rows * CC_BATCH_ROWS);
    if (!rows) {
        snprintf(job->err, job->err_len, "out of memory");
        cc_queue_abort(queue);
        return -1;
    }
    cc_incident_batch *batch;
    while ((batch = cc_queue_take_full(queue))) {
        if (job->begin_at_first_batch && !job->begun) {
            if (cc_store_begin(job->store, job->err, job->err_len) != 0) {
                cc_queue_abort(queue);
                free(rows);
                return -1;
            }
            job->begun = 1;
        }
        for (int i = 0; i < batch->count; i++) rows[i] = cc_batch_get(batch, i);
        long inserted = cc_store_insert_many(job->store, city, rows, batch->count, job->err, job->err_len);
        if (inserted < 0) {
            cc_queue_abort(queue);
            free(rows);
            return -1;
        }
        job->stats->inserted += (uint64_t)inserted;
        job->stats->duplicates += (uint64_t)(batch->count - inserted);
        cc_queue_put_empty(queue, batch);
    }
    free(rows);
    return 0;
}

/* Reads one CSV stream (a file or a zip member) into the open transaction: a reader
 * thread parses while this thread inserts. */
static int import_stream(import_job *job, cc_byte_source *src, const char *label) {
    stream_reader reader = {job, src, label, cc_queue_new(4), 0, "", NULL, 0, 0};
    pthread_t thread;
    if (!reader.queue || pthread_create(&thread, NULL, run_reader, &reader) != 0) {
        cc_queue_free(reader.queue);
        snprintf(job->err, job->err_len, "%s: cannot start the reader thread", label);
        return -1;
    }
    int status = write_batches(job, reader.queue);
    pthread_join(thread, NULL);
    cc_queue_free(reader.queue);
    if (status == 0 && reader.status != 0) {
        snprintf(job->err, job->err_len, "%s", reader.err);
        status = -1;
    }
    return status;
}

static int import_plain_file(import_job *job, const char *path) {
    struct stat st = {0};
    job->total = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    cc_byte_source *src = cc_byte_source_open_file(path, job->err, job->err_len);
    if (!src) return -1;
    int status = import_stream(job, src, path);
    cc_byte_source_close(src);
    if (status != 0 && !S_ISREG(st.st_mode) && strstr(job->err, "matches no known layout") &&
        strstr(job->err, "'PK\\x03\\x04")) /* the zip check passes pipes over: say why it failed */
        snprintf(job->err, job->err_len, "%s: a zip archive through a pipe: give it as a file (a zip is read by "
                 "seeking in it)", path);
    return status;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* Which archive members hold records for this city. */
static int wanted_member(const cc_city *city, const char *name) {
    if (!strcmp(cc_city_name(city), "london"))
        return ends_with(name, "-metropolitan-street.csv") ||
               ends_with(name, "-city-of-london-street.csv");
    return ends_with(name, ".csv");
}

static int import_zip_members(import_job *job, zip_t *archive, const char *path) {
    zip_int64_t count = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < count; i++) {
        zip_stat_t st;
        if (zip_stat_index(archive, (zip_uint64_t)i, 0, &st) == 0 && wanted_member(job->city, st.name))
            job->total += st.size;
    }
    for (zip_int64_t i = 0; i < count; i++) {
        zip_stat_t st;
        if (zip_stat_index(archive, (zip_uint64_t)i, 0, &st) != 0 || !wanted_member(job->city, st.name)) {
            job->stats->members_skipped++;
            continue;
        }
        char label[1024], why[512];
        snprintf(label, sizeof label, "%s:%s", path, st.name);
        cc_byte_source *src = cc_byte_source_open_zip_member(archive, (zip_uint64_t)i, why, sizeof why);
        if (!src) {
            snprintf(job->err, job->err_len, "%s: %s", label, why);
            return -1;
        }
        int status = import_stream(job, src, label);
        cc_byte_source_close(src);
        if (status != 0) return -1;
        job->done_before += st.size;
        job->stats->members_read++;
    }
    if (job->stats->members_read == 0) {
        snprintf(job->err, job->err_len, "%s: no %srecord CSV in this archive", path,
                 strcmp(cc_city_name(job->city), "london") ? "" : "Metropolitan or City of London street-level ");
        return -1;
    }
    return 0;
}

static int import_zip_file(import_job *job, const char *path) {
    int code = 0;
    zip_t *archive = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!archive) {
        zip_error_t error;
        zip_error_init_with_code(&error, code);
        snprintf(job->err, job->err_len, "%s: not a readable zip archive: %s", path,
                 zip_error_strerror(&error));
        zip_error_fini(&error);
        return -1;
    }
    int status = import_zip_members(job, archive, path);
    zip_discard(archive);
    return status;
}

int cc_import_file(cc_store *store, const cc_city *city, const char *path, cc_import_stats *stats,
                   cc_import_progress_fn progress, void *progress_context, char *err,
                   size_t err_len) {
    memset(stats, 0, sizeof *stats);
    import_job job = {store, city, stats, progress, progress_context, 0, 0, err, err_len, 1, 0};
    int status = cc_file_is_zip(path) ? import_zip_file(&job, path) : import_plain_file(&job, path);
    if (status == 0 && job.begun) status = cc_store_commit(store, err, err_len);
    if (status != 0 && job.begun) cc_store_rollback(store);
    return status;
}

int cc_import_bytes(cc_store *store, const cc_city *city, const char *data, size_t length,
                    const char *label, cc_import_stats *stats, char *err, size_t err_len) {
    import_job job = {store, city, stats, NULL, NULL, 0, length, err, err_len};
    cc_byte_source *src = cc_byte_source_open_memory(data, length);
    if (!src) {
        snprintf(err, err_len, "%s: out of memory", label);
        return -1;
    }
    int status = import_stream(&job, src, label);
    cc_byte_source_close(src);
    return status;
}

void cc_import_reject(cc_import_stats *stats, const char *label, long line, cc_reject_reason reason,
                      const char *detail) {
    stats->rows_read++;
    note_rejection(stats, label, line, reason, detail);
}

int cc_import_row(cc_store *store, const cc_city *city, cc_row_parser *parser, const cc_csv_row *row,
                  const char *label, cc_import_stats *stats, char *err, size_t err_len) {
    cc_incident incident;
    char detail[256];
    stats->rows_read++;
    cc_reject_reason reason = cc_row_parser_parse(parser, row, &incident, detail, sizeof detail);
    if (reason == CC_PARSE_NO_MEMORY) {
        snprintf(err, err_len, "%s:%ld: %s", label, row->line, detail);
        return -1;
    }
    if (reason != CC_REJECT_NONE) {
        note_rejection(stats, label, row->line, reason, detail);
        return 0;
    }
    note_accepted(stats, label, row->line, &incident);
    int inserted = cc_store_insert(store, cc_city_name(city), &incident, err, err_len);
    if (inserted < 0) return -1;
    if (inserted)
        stats->inserted++;
    else
        stats->duplicates++;
    return 0;
}
