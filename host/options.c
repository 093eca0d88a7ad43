/* host/options.h: one parser, one usage printer and one error format for every command. */
#include "host/options.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crawler/datetime.h"
#include "crawler/same_file.h"
#include "crawler/whole_file.h"

int cc_command_result(const char *name, int status, const char *err) {
    if (status == 0) return CC_EXIT_OK;
    fprintf(stderr, "crimecast %s: %s\n", name, err);
    return CC_EXIT_FAILURE;
}

int cc_usage_error(const char *command, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "crimecast %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'crimecast %s --help'.\n", command);
    return CC_EXIT_USAGE;
}

/* ------------------------------------------------------------------ values */

static void *field_of(void *base, size_t offset) { return (char *)base + offset; }

/* "a|b|c" as "a, b or c". */
static void describe_choices(const char *choices, char *out, size_t len) {
    size_t n = 0;
    out[0] = 0;
    const char *p = choices;
    while (*p && n + 1 < len) {
        const char *bar = strchr(p, '|');
        size_t word = bar ? (size_t)(bar - p) : strlen(p);
        const char *sep = p == choices ? "" : strchr(p, '|') ? ", " : " or ";
        n += (size_t)snprintf(out + n, len - n, "%s%.*s", sep, (int)word, p);
        p = bar ? bar + 1 : p + word;
    }
}

static int is_choice(const char *choices, const char *text) {
    size_t len = strlen(text);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t word = bar ? (size_t)(bar - p) : strlen(p);
        if (word == len && !strncmp(p, text, len)) return 1;
        p = bar ? bar + 1 : p + word;
    }
    return 0;
}

static int set_int(const cc_option *o, const char *text, int *field, char *why, size_t why_len) {
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end || v < (long long)o->min || v > (long long)o->max) {
        snprintf(why, why_len, "--%s must be a whole number %.0f-%.0f (got '%s')", o->name, o->min, o->max, text);
        return -1;
    }
    *field = (int)v;
    return 0;
}

double cc_decimal_strtod(const char *text, char **end) {
    double v = strtod(text, end);
    for (const char *c = text; c < *end; c++)
        if (*c == 'x' || *c == 'X') *end = (char *)text;
    return v;
}

static int set_real(const cc_option *o, const char *text, double *field, char *why, size_t why_len) {
    char *end;
    double v = cc_decimal_strtod(text, &end);
    int below = o->open_min ? !(v > o->min) : !(v >= o->min);
    int above = o->max > o->min && !(v <= o->max);
    if (end == text || *end || below || above || !isfinite(v)) { /* "inf" and "nan" parse, and mean nothing here */
        if (o->max > o->min)
            snprintf(why, why_len, "--%s must be a number in %s%g, %g] (got '%s')", o->name, o->open_min ? "(" : "[",
                     o->min, o->max, text);
        else
            snprintf(why, why_len, "--%s must be a number %s %g (got '%s')", o->name, o->open_min ? ">" : ">=",
                     o->min, text);
        return -1;
    }
    *field = v;
    return 0;
}

static int append(const cc_option *o, void *base, const char *text, char *why, size_t why_len) {
    const char **list = field_of(base, o->offset);
    int *count = field_of(base, o->count_offset);
    if (*count >= o->max_count) {
        if (o->name[0]) snprintf(why, why_len, "--%s can be given at most %d times", o->name, o->max_count);
        else snprintf(why, why_len, "at most %d %s", o->max_count, o->value_name);
        return -1;
    }
    list[(*count)++] = text;
    return 0;
}

/* Whether v names the same value as one of values[0..n) (as %g prints them). */
static int listed_before(const double *values, int n, double v) {
    char mine[32], theirs[32];
    snprintf(mine, sizeof mine, "%g", v);
    for (int i = 0; i < n; i++) {
        snprintf(theirs, sizeof theirs, "%g", values[i]);
        if (!strcmp(mine, theirs)) return 1;
    }
    return 0;
}

static int within(const cc_number_list_rule *rule, double v) {
    int above_min = rule->open_min ? v > rule->min : v >= rule->min;
    int below_max = rule->open_max ? v < rule->max : v <= rule->max;
    return above_min && below_max && (!rule->whole || v == floor(v));
}

int cc_parse_number_list(const char *text, const cc_number_list_rule *rule, double *values, int *count, char *why,
                         size_t why_len) {
    int n = 0;
    const char *p = text;
    size_t unit_len = rule->unit ? strlen(rule->unit) : 0;
    for (;;) {
        char *end;
        double v = cc_decimal_strtod(p, &end);
        if (end != p && unit_len && !strncmp(end, rule->unit, unit_len)) end += unit_len;
        /* end == p: an empty item or not a number; nan and inf fail `within` */
        if (end == p || (*end && *end != ',') || !within(rule, v) || n == rule->most) break;
        if (rule->distinct && listed_before(values, n, v)) {
            snprintf(why, why_len, "--%s names %g%s twice (a column each would repeat)", rule->option, v,
                     rule->shown_unit ? rule->shown_unit : "");
            return -1;
        }
        values[n++] = v;
        if (!*end) {
            *count = n;
            return 0;
        }
        p = end + 1; /* past the comma: an item must follow */
    }
    if (n == rule->most) snprintf(why, why_len, "--%s takes at most %d values (got '%s')", rule->option, rule->most, text);
    else snprintf(why, why_len, "--%s takes %s (got '%s')", rule->option, rule->takes, text);
    return -1;
}

/* A switch: on from the command line (no text); from a configuration file, its text
 * says which - on/true/yes/1 or off/false/no/0 (anything else, "false" taken as on
 * among them, would turn it on unasked). */
static int set_switch(const cc_option *o, const char *text, int *field, char *why, size_t why_len) {
    static const char *const ON[] = {"on", "true", "yes", "1"}, *const OFF[] = {"off", "false", "no", "0"};
    if (!text) return *field = 1, 0;
    for (int k = 0; k < 4; k++) {
        if (!strcmp(text, ON[k])) return *field = 1, 0;
        if (!strcmp(text, OFF[k])) return *field = 0, 0;
    }
    snprintf(why, why_len, "--%s is a switch: on or off (got '%s')", o->name, text);
    return -1;
}

/* Stores `text` as the value of row o in the struct at `base`. 0, or -1 with why. */
static int set_value(const cc_option *o, void *base, const char *text, char *why, size_t why_len) {
    void *field = field_of(base, o->offset);
    int64_t day;
    char words[256];
    switch (o->kind) {
    case CC_OPT_FLAG: return set_switch(o, text, field, why, why_len);
    case CC_OPT_TEXT: *(const char **)field = text; return 0;
    case CC_OPT_CHOICE:
        if (!is_choice(o->choices, text)) {
            describe_choices(o->choices, words, sizeof words);
            snprintf(why, why_len, "--%s must be %.200s (got '%s')", o->name, words, text);
            return -1;
        }
        *(const char **)field = text;
        return 0;
    case CC_OPT_INT: return set_int(o, text, field, why, why_len);
    case CC_OPT_SOME_INT: {
        cc_optional_int *some = field;
        if (set_int(o, text, &some->value, why, why_len) != 0) return -1;
        some->given = 1;
        return 0;
    }
    case CC_OPT_REAL: return set_real(o, text, field, why, why_len);
    case CC_OPT_DATE:
        if (cc_parse_iso_date(text, &day) != 0) {
            snprintf(why, why_len, "--%s '%s' is not a date (YYYY-MM-DD, years 1800 to 2200)", o->name, text);
            return -1;
        }
        *(const char **)field = text;
        return 0;
    case CC_OPT_LIST: return append(o, base, text, why, why_len);
    case CC_OPT_CUSTOM: return o->parse(text, field, why, why_len);
    }
    return -1;
}

/* Whether a required row is still unset: a text field still NULL, a list still empty.
 * (Only those kinds may be required: a number or a flag always has a value.) */
static int unset(const cc_option *o, void *base) {
    if (o->kind == CC_OPT_LIST) return *(int *)field_of(base, o->count_offset) == 0;
    return *(const char **)field_of(base, o->offset) == NULL;
}

static int requirable(const cc_option *o) {
    return o->kind == CC_OPT_TEXT || o->kind == CC_OPT_CHOICE || o->kind == CC_OPT_DATE || o->kind == CC_OPT_LIST;
}

/* ------------------------------------------------------------------ rows */

typedef struct found {
    const cc_option *row;
    void *base; /* the group's struct inside the request */
} found;

/* The row called exactly `name`, or the only one it is a prefix of; ambiguous counts
 * the rows a prefix matched when it matched several. */
static found lookup(const cc_command_spec *spec, void *request, const char *name, size_t len, int *ambiguous) {
    found exact = {NULL, NULL}, prefix = {NULL, NULL};
    int prefixes = 0;
    for (int g = 0; g < spec->group_count; g++) {
        const cc_option_group *group = &spec->groups[g];
        for (int i = 0; i < group->count; i++) {
            const cc_option *o = &group->options[i];
            if (strncmp(o->name, name, len) != 0) continue;
            found here = {o, request ? field_of(request, group->offset) : NULL};
            if (strlen(o->name) == len) exact = here;
            else prefix = here, prefixes++;
        }
    }
    *ambiguous = 0;
    if (exact.row) return exact;
    if (prefixes == 1) return prefix;
    *ambiguous = prefixes;
    return (found){NULL, NULL};
}

const cc_option *cc_options_find(const cc_command_spec *spec, const char *name) {
    int ambiguous;
    found f = lookup(spec, NULL, name, strlen(name), &ambiguous);
    return f.row && !strcmp(f.row->name, name) ? f.row : NULL;
}

void cc_options_defaults(const cc_command_spec *spec, void *request) {
    memset(request, 0, spec->request_size);
    for (int g = 0; g < spec->group_count; g++) {
        const cc_option_group *group = &spec->groups[g];
        for (int i = 0; i < group->count; i++) {
            const cc_option *o = &group->options[i];
            char why[256];
            if (o->required && !requirable(o)) {
                fprintf(stderr, "crimecast %s: --%s is required but always has a value\n", spec->name, o->name);
                abort(); /* a table that contradicts itself: a programming error */
            }
            if (o->fallback && set_value(o, field_of(request, group->offset), o->fallback, why, sizeof why) != 0) {
                fprintf(stderr, "crimecast %s: the default of --%s is invalid: %s\n", spec->name, o->name, why);
                abort(); /* a table that contradicts itself: a programming error */
            }
        }
    }
}

int cc_options_set(const cc_command_spec *spec, void *request, const char *name, const char *value, char *why,
                   size_t why_len) {
    int ambiguous;
    found f = lookup(spec, request, name, strlen(name), &ambiguous);
    if (!f.row || strcmp(f.row->name, name) != 0) {
        snprintf(why, why_len, "'%s' is not an option of crimecast %s", name, spec->name);
        return -1;
    }
    return set_value(f.row, f.base, value, why, why_len);
}

/* ------------------------------------------------------------------ argv */

/* Appends " --a, --b and --c" (the options `name`'s first len bytes start) to why at `used`. */
static void list_prefixed(const cc_command_spec *spec, const char *name, size_t len, char *why, size_t why_len,
                          int used) {
    int total = 0, k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int g = 0; g < spec->group_count; g++)
            for (int i = 0; i < spec->groups[g].count; i++) {
                const char *option = spec->groups[g].options[i].name;
                if (strncmp(option, name, len) != 0) continue;
                if (pass == 0) {
                    total++;
                    continue;
                }
                k++;
                if (used >= 0 && (size_t)used < why_len)
                    used += snprintf(why + used, why_len - (size_t)used, "%s--%s", k == 1 ? " " : k == total ? " and " : ", ",
                                     option);
            }
}

/* The edit distance between a and b (insertions, deletions, substitutions and swaps of
 * two neighbours, each 1: Damerau's optimal string alignment), or `most` + 1 once it is
 * past `most`. Names are short (at most 63 bytes compared). */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb, int most) {
    enum { ROOM = 64 };
    if (la >= ROOM || lb >= ROOM) return most + 1;
    int d[ROOM][ROOM];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb] <= most ? d[la][lb] : most + 1;
}

/* The option a mistyped name most likely meant (--grd: --grid), as git suggests: the one
 * nearest within two edits (one for names of up to four letters), when no other is as
 * near; NULL when none is. */
static const char *nearest_option(const cc_command_spec *spec, const char *name, size_t len) {
    int most = len <= 4 ? 1 : 2, best = most + 1, ties = 0;
    const char *nearest = NULL;
    for (int g = 0; g < spec->group_count; g++)
        for (int i = 0; i < spec->groups[g].count; i++) {
            const char *option = spec->groups[g].options[i].name;
            if (!option[0]) continue; /* the operands' row */
            int d = edit_distance(name, len, option, strlen(option), most);
            if (d < best) best = d, nearest = option, ties = 0;
            else if (d == best && d <= most) ties++;
        }
    return best <= most && !ties ? nearest : NULL;
}

/* One "--name[=value]" argument (and its value from argv[*i + 1] when it takes one). */
static int parse_option(const cc_command_spec *spec, int argc, char **argv, int *i, void *request, char *why,
                        size_t why_len) {
    const char *arg = argv[*i] + 2, *equals = strchr(arg, '=');
    size_t len = equals ? (size_t)(equals - arg) : strlen(arg);
    int ambiguous;
    found f = len ? lookup(spec, request, arg, len, &ambiguous) : (found){0}; /* "--=x" names none, not all */
    if (!len) ambiguous = 0;
    if (!f.row) {
        if (ambiguous) {
            int used = snprintf(why, why_len, "option '--%.*s' is ambiguous: it starts", (int)len, arg);
            list_prefixed(spec, arg, len, why, why_len, used);
        } else if (!len) snprintf(why, why_len, "unknown option '%s' (no name before its '=')", argv[*i]);
        else if (nearest_option(spec, arg, len))
            snprintf(why, why_len, "unknown option '--%.*s' (did you mean --%s?)", (int)len, arg,
                     nearest_option(spec, arg, len));
        else snprintf(why, why_len, "unknown option '--%.*s'", (int)len, arg);
        return -1;
    }
    if (f.row->kind == CC_OPT_FLAG) {
        if (equals) {
            snprintf(why, why_len, "option '--%s' takes no value", f.row->name);
            return -1;
        }
        return set_value(f.row, f.base, NULL, why, why_len);
    }
    const char *value = equals ? equals + 1 : NULL;
    if (!value && *i + 1 < argc) value = argv[++*i];
    if (!value) {
        snprintf(why, why_len, "option '--%s' needs a value (%s)", f.row->name,
                 f.row->value_name ? f.row->value_name : f.row->choices);
        return -1;
    }
    return set_value(f.row, f.base, value, why, why_len);
}

/* The options the command requires that are still unset. */
static int check_required(const cc_command_spec *spec, void *request, char *why, size_t why_len) {
    for (int g = 0; g < spec->group_count; g++) {
        const cc_option_group *group = &spec->groups[g];
        for (int i = 0; i < group->count; i++) {
            const cc_option *o = &group->options[i];
            if (o->required && unset(o, field_of(request, group->offset))) {
                snprintf(why, why_len, "--%s is required", o->name);
                return -1;
            }
        }
    }
    if (spec->operands && spec->operands->required && unset(spec->operands, request)) {
        snprintf(why, why_len, "no %s given (%s)", spec->operands->value_name, spec->operands->help);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ files */

enum { PATH_ROOM = 4400 };

/* The i-th path of a file row (NULL past the last): a LIST's i-th value, a TEXT's value, or
 * a PREFIX row's value with its i-th suffix (into buf, PATH_ROOM bytes). */
static const char *path_of(const cc_option *o, void *base, int i, char *buf) {
    if (o->kind == CC_OPT_LIST)
        return i < *(int *)field_of(base, o->count_offset) ? ((const char **)field_of(base, o->offset))[i] : NULL;
    const char *value = o->kind == CC_OPT_TEXT ? *(const char **)field_of(base, o->offset) : NULL;
    if (!value || !o->suffixes) return i == 0 ? value : NULL;
    for (int k = 0; k < i; k++)
        if (!o->suffixes[k]) return NULL;
    if (!o->suffixes[i]) return NULL;
    snprintf(buf, PATH_ROOM, "%s%s", value, o->suffixes[i]);
    return buf;
}

typedef struct file_row {
    const cc_option *row;
    void *base; /* the group's struct inside the request */
} file_row;

enum { MOST_FILE_ROWS = 64 }; /* rows of one role in a command's table: a handful */

/* The rows of one role, operands included; their paths are read through path_of. */
static int rows_with_role(const cc_command_spec *spec, void *request, cc_file_role role, file_row *rows) {
    int n = 0;
    for (int g = 0; g < spec->group_count; g++)
        for (int i = 0; i < spec->groups[g].count && n < MOST_FILE_ROWS; i++)
            if (spec->groups[g].options[i].file == role)
                rows[n++] = (file_row){&spec->groups[g].options[i], field_of(request, spec->groups[g].offset)};
    if (spec->operands && spec->operands->file == role && n < MOST_FILE_ROWS)
        rows[n++] = (file_row){spec->operands, request};
    return n;
}

static void describe_path(const cc_option *row, const char *path, char *out, size_t len) {
    if (row->suffixes) snprintf(out, len, "%.300s (written for --%s)", path, row->name);
    else if (row->name[0]) snprintf(out, len, "--%s %.300s", row->name, path);
    else snprintf(out, len, "%.300s (among the %s)", path, row->value_name);
}

/* The refusal of two paths that are one file: -1 with why naming both. */
static int refuse_one_file(const cc_option *row_a, const char *a, const cc_option *row_b, const char *b,
                           const char *because, char *why, size_t why_len) {
    char named_a[400], named_b[400];
    describe_path(row_a, a, named_a, sizeof named_a);
    describe_path(row_b, b, named_b, sizeof named_b);
    snprintf(why, why_len, "%s and %s are the same file: %s (name another output)", named_a, named_b, because);
    return -1;
}

static int aliases(const cc_option *a, const cc_option *b) {
    return (a->same_as && !strcmp(a->same_as, b->name)) || (b->same_as && !strcmp(b->same_as, a->name));
}

/* Two written paths that are one file: the second write would replace the first. -1
 * with why. */
static int check_written_twice(const file_row *written, int writes, char *why, size_t why_len) {
    char one_room[PATH_ROOM], other_room[PATH_ROOM];
    for (int w = 0; w < writes; w++)
        for (int i = 0; path_of(written[w].row, written[w].base, i, one_room); i++)
            for (int v = w; v < writes; v++)
                for (int k = v == w ? i + 1 : 0; path_of(written[v].row, written[v].base, k, other_room); k++) {
                    const char *one = path_of(written[w].row, written[w].base, i, one_room);
                    const char *other = path_of(written[v].row, written[v].base, k, other_room);
                    if (aliases(written[w].row, written[v].row) || !cc_paths_one_file(one, other)) continue;
                    return refuse_one_file(written[w].row, one, written[v].row, other,
                                           "the one written last would replace the other", why, why_len);
                }
    return 0;
}

/* Whether a written row's file is of another kind than HDF5: its value name (FILE.png,
 * REPORT.html, CONFIG.json) names no .h5 file. */
static int writes_other_than_hdf5(const cc_option *row) {
    return row->name[0] && row->value_name && !strstr(row->value_name, ".h5");
}

/* A PNG, page, CSV or JSON file named over an HDF5 file (a tensor, model or forecast) would
 * replace it: png --out t.h5 did, exit 0 (a probe). After the command's own checks, whose
 * words are closer (tune's --out naming a file of its search). -1 with why. */
static int check_no_hdf5_overwritten(const cc_command_spec *spec, void *request, char *why, size_t why_len) {
    file_row written[MOST_FILE_ROWS];
    int writes = rows_with_role(spec, request, CC_FILE_WRITTEN, written);
    char room[PATH_ROOM], what[160];
    for (int w = 0; w < writes; w++)
        for (int i = 0; writes_other_than_hdf5(written[w].row) && path_of(written[w].row, written[w].base, i, room); i++) {
            snprintf(what, sizeof what, "the --%s file (%s)", written[w].row->name, written[w].row->value_name);
            if (cc_whole_file_refuse_hdf5(path_of(written[w].row, written[w].base, i, room), what, why, why_len) != 0)
                return -1;
        }
    return 0;
}

/* A path written that is a file read (same device and inode), or another path written:
 * -1 with why. Paths that do not exist yet are new files, none of the inputs. Every path
 * of every row is compared (import takes thousands of files). */
static int check_written_apart(const cc_command_spec *spec, void *request, char *why, size_t why_len) {
    file_row read[MOST_FILE_ROWS], written[MOST_FILE_ROWS];
    int reads = rows_with_role(spec, request, CC_FILE_READ, read);
    int writes = rows_with_role(spec, request, CC_FILE_WRITTEN, written);
    if (check_written_twice(written, writes, why, why_len) != 0) return -1;
    char out_room[PATH_ROOM], in_room[PATH_ROOM];
    for (int w = 0; w < writes; w++)
        for (int i = 0; path_of(written[w].row, written[w].base, i, out_room); i++) {
            const char *out_path = path_of(written[w].row, written[w].base, i, out_room);
            struct stat out;
            if (stat(out_path, &out) != 0) continue;
            for (int r = 0; r < reads; r++)
                for (int k = 0; path_of(read[r].row, read[r].base, k, in_room); k++) {
                    const char *in_path = path_of(read[r].row, read[r].base, k, in_room);
                    struct stat in;
                    if (stat(in_path, &in) != 0 || in.st_dev != out.st_dev || in.st_ino != out.st_ino) continue;
                    return refuse_one_file(written[w].row, out_path, read[r].row, in_path,
                                           "writing the one would destroy the other", why, why_len);
                }
        }
    return 0;
}

/* An option of one value given again with another: the last is taken, as in most tools,
 * but said (`raster --city chicago ... --city london` rastered London without a word). */
static void warn_repeated(const cc_command_spec *spec, int argc, char **argv) {
    const cc_option *rows[128];
    const char *first[128];
    int n = 0, warned[128] = {0};
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue;
        const char *name = argv[i] + 2, *equals = strchr(name, '=');
        int ambiguous, k = 0;
        found f = lookup(spec, NULL, name, equals ? (size_t)(equals - name) : strlen(name), &ambiguous);
        if (!f.row || f.row->kind == CC_OPT_FLAG || f.row->kind == CC_OPT_LIST) continue;
        const char *value = equals ? equals + 1 : i + 1 < argc ? argv[++i] : "";
        while (k < n && rows[k] != f.row) k++;
        if (k == n && n < 128) rows[n] = f.row, first[n++] = value;
        else if (k < n && strcmp(first[k], value) != 0 && !warned[k]) {
            fprintf(stderr, "crimecast %s: warning: --%s given twice ('%s', then '%s'): the last is taken\n", spec->name,
                    f.row->name, first[k], value);
            warned[k] = 1;
        }
    }
}

/* cc_options_parse; `warn`: say an option given twice (a second parse of the same line
 * has said it); `over`: what the request held before the line, named in a broken rule. */
static int parse_line(const cc_command_spec *spec, int argc, char **argv, void *request, int warn,
                      const char *over) {
    char why[1024] = "";
    int only_operands = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int status = 0;
        if (!only_operands && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
            cc_options_usage(spec, stdout);
            return CC_OPTIONS_HELP;
        } else if (!only_operands && !strcmp(arg, "--")) {
            only_operands = 1;
        } else if (!only_operands && !strncmp(arg, "--", 2)) {
            status = parse_option(spec, argc, argv, &i, request, why, sizeof why);
        } else if (!only_operands && arg[0] == '-' && arg[1]) {
            snprintf(why, sizeof why, "unknown option '%s'", arg);
            status = -1;
        } else if (spec->operands) {
            status = append(spec->operands, request, arg, why, sizeof why);
        } else {
            snprintf(why, sizeof why, "unexpected argument '%s'", arg);
            status = -1;
        }
        if (status != 0) return cc_usage_error(spec->name, "%s", why);
    }
    if (check_required(spec, request, why, sizeof why) != 0 ||
        check_written_apart(spec, request, why, sizeof why) != 0 ||
        (spec->check && spec->check(request, why, sizeof why) != 0) ||
        check_no_hdf5_overwritten(spec, request, why, sizeof why) != 0)
        return over ? cc_usage_error(spec->name, "%s (the command line's options over %s)", why, over)
                    : cc_usage_error(spec->name, "%s", why);
    if (warn) warn_repeated(spec, argc, argv);
    return CC_OPTIONS_OK;
}

int cc_options_parse(const cc_command_spec *spec, int argc, char **argv, void *request) {
    return parse_line(spec, argc, argv, request, 1, NULL);
}

int cc_options_parse_again(const cc_command_spec *spec, int argc, char **argv, void *request, const char *over) {
    return parse_line(spec, argc, argv, request, 0, over);
}

int cc_options_given(const cc_command_spec *spec, int argc, char **argv, const cc_option **rows, int most) {
    int n = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strncmp(argv[i], "--", 2) != 0) continue; /* an operand (or a value, skipped below) */
        const char *name = argv[i] + 2, *equals = strchr(name, '=');
        int ambiguous, listed = 0;
        found f = lookup(spec, NULL, name, equals ? (size_t)(equals - name) : strlen(name), &ambiguous);
        if (!f.row) continue;
        if (f.row->kind != CC_OPT_FLAG && !equals) i++; /* its value follows */
        for (int k = 0; k < n; k++) listed |= rows[k] == f.row;
        if (!listed && n < most) rows[n++] = f.row;
    }
    return n;
}

int cc_options_unused(const cc_command_spec *spec, int argc, char **argv, cc_option_used used, const void *request,
                      char *names, size_t names_len) {
    const cc_option *given[128];
    int n = cc_options_given(spec, argc, argv, given, 128), unused = 0;
    size_t len = 0;
    if (names_len) names[0] = 0;
    for (int i = 0; i < n; i++) {
        if (used(given[i], request) || len + strlen(given[i]->name) + 8 >= names_len) continue;
        len += (size_t)snprintf(names + len, names_len - len, "%s--%s", unused++ ? ", " : "", given[i]->name);
    }
    return unused;
}

int cc_options_warn_unused(const cc_command_spec *spec, int argc, char **argv, cc_option_used used,
                           const void *request, const char *context) {
    char names[1024];
    int unused = cc_options_unused(spec, argc, argv, used, request, names, sizeof names);
    if (unused)
        fprintf(stderr, "crimecast %s: warning: %s given here %s not used by %s\n", spec->name, names,
                unused > 1 ? "are" : "is", context);
    return unused;
}

/* Whether row o's value in base is other than its default (FLAG, CHOICE, TEXT, INT). */
static int changed(const cc_option *o, const void *base, char *value, size_t len) {
    const void *field = (const char *)base + o->offset;
    const char *text;
    switch (o->kind) {
    case CC_OPT_FLAG: return value[0] = 0, *(const int *)field != 0;
    case CC_OPT_CHOICE:
    case CC_OPT_TEXT:
        text = *(const char *const *)field;
        snprintf(value, len, "%s", text ? text : "");
        return text && (!o->fallback || strcmp(text, o->fallback) != 0);
    case CC_OPT_INT:
        snprintf(value, len, "%d", *(const int *)field);
        return !o->fallback || strcmp(value, o->fallback) != 0;
    default: return 0;
    }
}

void cc_options_changed(const cc_option_group *group, const void *base, char *out, size_t len) {
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < group->count && n < len; i++) {
        char value[256];
        const cc_option *o = &group->options[i];
        if (changed(o, base, value, sizeof value))
            n += (size_t)snprintf(out + n, len - n, " --%s%s%s", o->name, value[0] ? " " : "", value);
    }
}

int cc_options_read(const cc_command_spec *spec, int argc, char **argv, void *request) {
    cc_options_defaults(spec, request);
    return cc_options_parse(spec, argc, argv, request);
}

int cc_options_exit_status(int parsed) {
    return parsed == CC_OPTIONS_OK ? -1 : parsed == CC_OPTIONS_HELP ? CC_EXIT_OK : parsed;
}

/* ------------------------------------------------------------------ usage */

enum { USAGE_WIDTH = 92, HELP_COLUMN = 28 };

/* Prints `text` from column `column` (the cursor is there), wrapped at USAGE_WIDTH with
 * continuation lines indented to `column`. */
static void print_wrapped(FILE *out, const char *text, int column) {
    int at = column;
    for (const char *p = text; *p;) {
        while (*p == ' ') p++;
        size_t word = strcspn(p, " ");
        if (at > column && at + 1 + (int)word > USAGE_WIDTH) {
            fprintf(out, "\n%*s", column, "");
            at = column;
        } else if (at > column) {
            fputc(' ', out);
            at++;
        }
        fprintf(out, "%.*s", (int)word, p);
        at += (int)word;
        p += word;
    }
    fputc('\n', out);
}

static void print_row(FILE *out, const cc_option *o) {
    char head[160], text[1024];
    const char *value = o->kind == CC_OPT_FLAG ? NULL : o->kind == CC_OPT_CHOICE ? o->choices : o->value_name;
    int n = snprintf(head, sizeof head, "  --%s%s%s", o->name, value ? " " : "", value ? value : "");
    snprintf(text, sizeof text, "%s%s%s%s%s", o->help, o->required ? " (required)" : "",
             o->fallback ? " (default: " : "", o->fallback ? o->fallback : "", o->fallback ? ")" : "");
    if (n + 2 > HELP_COLUMN) fprintf(out, "%s\n%*s", head, HELP_COLUMN, "");
    else fprintf(out, "%-*s", HELP_COLUMN, head);
    print_wrapped(out, text, HELP_COLUMN);
}

/* The end of the synopsis's next word from p: a space outside brackets ends it, so that
 * "[--keep DIR [--resume]]" is not broken inside. */
static const char *synopsis_word_end(const char *p) {
    int depth = 0;
    for (; *p && *p != '\n' && (*p != ' ' || depth > 0); p++)
        depth += (*p == '[' || *p == '(') - (*p == ']' || *p == ')');
    return p;
}

/* One form of the synopsis (its lines joined, single spaces) from column `column` (the
 * cursor is there), wrapped at USAGE_WIDTH with continuation lines indented to `column`:
 * a usage line of 165 columns, and lines broken by hand that no longer lined up (a probe). */
static void print_synopsis_form(FILE *out, const char *form, int column) {
    int at = column;
    for (const char *p = form; *p;) {
        while (*p == ' ' || *p == '\n') p++;
        if (!*p) break;
        const char *end = synopsis_word_end(p);
        int word = (int)(end - p);
        if (at > column && at + 1 + word > USAGE_WIDTH) {
            fprintf(out, "\n%*s", column, "");
            at = column;
        } else if (at > column) {
            fputc(' ', out);
            at++;
        }
        fprintf(out, "%.*s", word, p);
        at += word;
        p = end;
    }
    fputc('\n', out);
}

/* The synopsis: its forms, each a line that starts "crimecast" (the first after "usage:
 * crimecast NAME") with the lines below it up to the next such line. */
static void print_synopsis(FILE *out, const cc_command_spec *spec) {
    char form[4096];
    const char *p = spec->synopsis;
    int first = 1;
    while (first || *p) {
        size_t n = 0;
        form[0] = 0;
        while (*p && n + 2 < sizeof form) {
            const char *line_end = strchr(p, '\n') ? strchr(p, '\n') : p + strlen(p);
            const char *text = p + strspn(p, " ");
            if (n > 0 && !strncmp(text, "crimecast ", 10)) break; /* the next form */
            if (!strncmp(text, "crimecast ", 10)) { /* "crimecast NAME ...": its NAME is printed below */
                text += 10;
                if (!strncmp(text, spec->name, strlen(spec->name))) text += strlen(spec->name);
                if (text > line_end) text = line_end;
            }
            n += (size_t)snprintf(form + n, sizeof form - n, "%s%.*s", n ? " " : "", (int)(line_end - text), text);
            p = *line_end ? line_end + 1 : line_end;
        }
        int column = fprintf(out, "%scrimecast %s%s", first ? "usage: " : "       ", spec->name, form[0] ? " " : "");
        print_synopsis_form(out, form, column);
        first = 0;
    }
}

void cc_options_usage(const cc_command_spec *spec, FILE *out) {
    print_synopsis(out, spec);
    if (spec->description) fprintf(out, "\n%s", spec->description);
    for (int g = 0; g < spec->group_count; g++) {
        const cc_option_group *group = &spec->groups[g];
        fprintf(out, "\n%s:\n", group->title);
        for (int i = 0; i < group->count; i++) print_row(out, &group->options[i]);
    }
    if (spec->operands) {
        char head[64];
        snprintf(head, sizeof head, "  %s", spec->operands->value_name);
        fprintf(out, "\noperands:\n%-*s", HELP_COLUMN, head);
        print_wrapped(out, spec->operands->help, HELP_COLUMN);
    }
    fprintf(out, "\n%-*s", HELP_COLUMN, "  -h, --help");
    print_wrapped(out, "print this help and exit", HELP_COLUMN);
}
