#include "crawler/csv_reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { INPUT_CHUNK = 1 << 20 };

typedef enum { FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED } parse_state;

struct cc_csv_reader {
    cc_byte_source *src;
    char *in;          /* input buffer */
    size_t in_len, in_pos;
    int at_start;      /* nothing read yet: strip a BOM */
    int at_eof;
    int swallow_lf;    /* last char was a CR ending a line: a following LF belongs to it */
    long line;         /* current physical line, 1-based */

    char *text;        /* the current row's fields, each NUL-terminated */
    size_t text_len, text_cap;
    size_t *starts;    /* offset of each field in text */
    char **fields;
    size_t *lengths;
    int field_count, field_cap;
    int too_long;      /* the record passed CC_CSV_MOST_RECORD */
    int too_many;      /* the record has more than CC_CSV_MOST_FIELDS fields */
    int quoted_cr;     /* the last character, inside quotes, was a CR: an LF after it ends no line */
    char error[512];
};

cc_csv_reader *cc_csv_open(cc_byte_source *src) {
    cc_csv_reader *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->src = src;
    r->in = malloc(INPUT_CHUNK);
    r->text_cap = 4096;
    r->text = malloc(r->text_cap);
    r->field_cap = 32;
    r->starts = malloc(sizeof *r->starts * (size_t)r->field_cap);
    r->fields = malloc(sizeof *r->fields * (size_t)r->field_cap);
    r->lengths = malloc(sizeof *r->lengths * (size_t)r->field_cap);
    if (!r->in || !r->text || !r->starts || !r->fields || !r->lengths) {
        cc_csv_close(r);
        return NULL;
    }
    r->at_start = 1;
    r->line = 1;
    return r;
}

void cc_csv_close(cc_csv_reader *r) {
    if (!r) return;
    free(r->in);
    free(r->text);
    free(r->starts);
    free(r->fields);
    free(r->lengths);
    free(r);
}

const char *cc_csv_error(const cc_csv_reader *r) { return r->error; }

/* Refills the input buffer; returns 1 with data, 0 at end, -1 on error. */
static int refill(cc_csv_reader *r) {
    if (r->at_eof) return 0;
    long got = cc_byte_source_read(r->src, r->in, INPUT_CHUNK);
    if (got < 0) {
        snprintf(r->error, sizeof r->error, "%s", cc_byte_source_error(r->src));
        return -1;
    }
    r->in_len = (size_t)got;
    r->in_pos = 0;
    if (got == 0) {
        r->at_eof = 1;
        return 0;
    }
    if (r->at_start) {
        r->at_start = 0;
        /* A BOM split across the first read is not worth handling: reads are 1 MiB. */
        if (r->in_len >= 3 && !memcmp(r->in, "\xEF\xBB\xBF", 3)) r->in_pos = 3;
        if (r->in_pos == r->in_len) return refill(r); /* the BOM was all: read on (or end) */
    }
    return 1;
}

static int grow_text(cc_csv_reader *r, size_t need) {
    if (need <= r->text_cap) return 0;
    if (need > CC_CSV_MOST_RECORD) { /* a file is not trusted to size what is held */
        r->too_long = 1;
        return -1;
    }
    size_t cap = r->text_cap;
    while (cap < need) cap *= 2;
    char *text = realloc(r->text, cap);
    if (!text) return -1;
    r->text = text;
    r->text_cap = cap;
    return 0;
}

static int put_char(cc_csv_reader *r, char c) {
    if (r->text_len + 1 >= r->text_cap && grow_text(r, r->text_len + 2) != 0) return -1;
    r->text[r->text_len++] = c;
    return 0;
}

/* Starts a new field at the current end of text; past CC_CSV_MOST_FIELDS the record is
 * flagged and the last field takes the rest (a separator kept between them). */
static int begin_field(cc_csv_reader *r) {
    if (r->field_count == CC_CSV_MOST_FIELDS) {
        r->too_many = 1;
        r->text_len--; /* the last field's NUL (end_field) becomes the comma it stood for */
        return put_char(r, ',');
    }
    if (r->field_count == r->field_cap) {
        int cap = r->field_cap * 2 < CC_CSV_MOST_FIELDS ? r->field_cap * 2 : CC_CSV_MOST_FIELDS;
        size_t *starts = realloc(r->starts, sizeof *starts * (size_t)cap);
        if (!starts) return -1;
        r->starts = starts;
        char **fields = realloc(r->fields, sizeof *fields * (size_t)cap);
        if (!fields) return -1;
        r->fields = fields;
        size_t *lengths = realloc(r->lengths, sizeof *lengths * (size_t)cap);
        if (!lengths) return -1;
        r->lengths = lengths;
        r->field_cap = cap;
    }
    r->starts[r->field_count++] = r->text_len;
    return 0;
}

static int end_field(cc_csv_reader *r) {
    size_t start = r->starts[r->field_count - 1];
    r->lengths[r->field_count - 1] = r->text_len - start;
    return put_char(r, '\0');
}

static void publish_row(cc_csv_reader *r, cc_csv_row *row, long first_line, int unterminated, int unended) {
    row->nul_byte = 0;
    for (int i = 0; i < r->field_count; i++) {
        r->fields[i] = r->text + r->starts[i];
        row->nul_byte |= strlen(r->fields[i]) != r->lengths[i];
    }
    row->field_count = r->field_count;
    row->fields = r->fields;
    row->lengths = r->lengths;
    row->line = first_line;
    row->last_line = unended ? r->line : r->line - 1; /* r->line is past the line end that ended it */
    row->unterminated_quote = unterminated;
    row->unended = unended;
    row->too_many_fields = r->too_many;
}

/* Copies an unquoted run of ordinary characters in one go: the hot path. */
static int copy_unquoted_run(cc_csv_reader *r) {
    const char *p = r->in + r->in_pos, *end = r->in + r->in_len, *q = p;
    while (q < end && *q != ',' && *q != '\n' && *q != '\r') q++;
    size_t n = (size_t)(q - p);
    if (n) {
        if (grow_text(r, r->text_len + n + 2) != 0) return -1;
        memcpy(r->text + r->text_len, p, n);
        r->text_len += n;
        r->in_pos += n;
    }
    return 0;
}

/* Whether what follows the last line end is blanks alone, or DOS's end-of-file mark
 * (Ctrl-Z): an editor's or an old tool's tail, no record cut short. */
static int blank_tail(const cc_csv_reader *r, parse_state state) {
    if (state != UNQUOTED || r->field_count != 1) return 0;
    for (size_t i = 0; i < r->text_len; i++)
        if (r->text[i] != ' ' && r->text[i] != '\t' && r->text[i] != '\x1a') return 0;
    return 1;
}

int cc_csv_next(cc_csv_reader *r, cc_csv_row *row) {
    r->text_len = 0;
    r->field_count = 0;
    r->too_many = r->quoted_cr = 0;
    parse_state state = FIELD_START;
    int in_record = 0;     /* a record has begun (not just blank lines) */
    long first_line = r->line;

    for (;;) {
        if (r->in_pos == r->in_len) {
            int status = refill(r);
            if (status < 0) return -1;
            if (status == 0) break;
        }
        char c = r->in[r->in_pos];
        if (r->swallow_lf) {
            r->swallow_lf = 0;
            if (c == '\n') {
                r->in_pos++;
                continue;
            }
        }
        if (!in_record) {
            if (c == '\n' || c == '\r') { /* blank line */
                r->in_pos++;
                r->line++;
                r->swallow_lf = c == '\r';
                continue;
            }
            in_record = 1;
            first_line = r->line;
            if (begin_field(r) != 0) goto nomem;
        }
        r->in_pos++;
        switch (state) {
        case FIELD_START:
        case UNQUOTED:
            if (c == ',') {
                if (end_field(r) != 0 || begin_field(r) != 0) goto nomem;
                state = FIELD_START;
            } else if (c == '\n' || c == '\r') {
                r->line++;
                r->swallow_lf = c == '\r';
                if (end_field(r) != 0) goto nomem;
                publish_row(r, row, first_line, 0, 0);
                return 1;
            } else if (c == '"' && state == FIELD_START) {
                state = QUOTED;
            } else {
                if (put_char(r, c) != 0) goto nomem;
                state = UNQUOTED;
                if (copy_unquoted_run(r) != 0) goto nomem;
            }
            break;
        case QUOTED:
            if (c == '"') {
                state = QUOTE_IN_QUOTED;
            } else {
                /* a CRLF is one line end, though its LF come in the next read */
                if (c == '\r' || (c == '\n' && !r->quoted_cr)) r->line++;
                if (put_char(r, c) != 0) goto nomem;
            }
            r->quoted_cr = c == '\r';
            break;
        case QUOTE_IN_QUOTED:
            if (c == '"') {
                if (put_char(r, '"') != 0) goto nomem;
                state = QUOTED;
            } else if (c == ',') {
                if (end_field(r) != 0 || begin_field(r) != 0) goto nomem;
                state = FIELD_START;
            } else if (c == '\n' || c == '\r') {
                r->line++;
                r->swallow_lf = c == '\r';
                if (end_field(r) != 0) goto nomem;
                publish_row(r, row, first_line, 0, 0);
                return 1;
            } else { /* text after a closing quote: kept, as Python's csv does */
                if (put_char(r, c) != 0) goto nomem;
                state = UNQUOTED;
            }
            break;
        }
    }
    if (!in_record || blank_tail(r, state)) return 0;
    /* a quote left open at the end: the file may still end with a line end, inside it */
    int ended = state == QUOTED && r->text_len > 0 && (r->text[r->text_len - 1] == '\n' || r->text[r->text_len - 1] == '\r');
    if (end_field(r) != 0) goto nomem;
    publish_row(r, row, first_line, state == QUOTED, !ended);
    return 1;

nomem:
    if (r->too_long)
        snprintf(r->error, sizeof r->error, "line %ld: a record longer than %d MiB (not a CSV file of records?)",
                 first_line, CC_CSV_MOST_RECORD >> 20);
    else
        snprintf(r->error, sizeof r->error, "out of memory reading a record at line %ld", first_line);
    return -1;
}
