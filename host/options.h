/* Declarative command lines. Each command describes its options once, in a table of
 * rows (name, kind, the field it fills, its value's name, its default, its bounds, one
 * line of help), and one parser reads argv against the table. The same table
 *   - applies the defaults (so code that builds a request without a command line, such
 *     as `demo` and `tune`, gets exactly the defaults the command line has),
 *   - validates values and reports every usage error the same way (exit 2),
 *   - prints the usage for --help, defaults included, and
 *   - sets options by name (a training configuration file holds train's options).
 *
 * Rows come in groups, each filling a struct at an offset inside the command's request,
 * so options that several commands share (the device, the forecast span) are one group
 * written once. Long options only: --name VALUE or --name=VALUE, any unambiguous prefix
 * of a name, -h or --help; arguments that are not options are the command's operands,
 * wherever they stand, and everything after "--" is an operand. */
#ifndef CRIMECAST_HOST_OPTIONS_H
#define CRIMECAST_HOST_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum { CC_EXIT_OK = 0, CC_EXIT_FAILURE = 1, CC_EXIT_USAGE = 2 };

typedef enum {
    CC_OPT_FLAG,    /* --name: int field set to 1 */
    CC_OPT_TEXT,    /* --name VALUE: const char * field (the argv string) */
    CC_OPT_CHOICE,  /* --name VALUE, one of `choices` ("a|b|c"): const char * field */
    CC_OPT_INT,     /* --name N, a whole number in [min, max]: int field */
    CC_OPT_SOME_INT, /* the same into a cc_optional_int (given set): no default, the command decides */
    CC_OPT_REAL,    /* --name X, a number >= min (> min with open_min; <= max when max > min): double field */
    CC_OPT_DATE,    /* --name YYYY-MM-DD, a valid date: const char * field */
    CC_OPT_LIST,    /* --name VALUE, repeatable: const char *field[max_count], int count at count_offset */
    CC_OPT_CUSTOM,  /* --name VALUE: `parse` checks the text and stores it in the field */
} cc_option_kind;

/* What a TEXT or LIST row's paths are to the command: files it reads, or files (or a
 * directory) it writes. The parser refuses a written path that is a read one (the same
 * file by device and inode: also through a link), before anything is read or written:
 * `predict --model m.h5 --out m.h5` would replace the model with its forecast. Two
 * written paths that name one file (existing, by device and inode; new, by directory and
 * name) are refused too: `synth --db s.db --oracle s.db` wrote the forecast over the store. */
typedef enum { CC_FILE_NONE = 0, CC_FILE_READ, CC_FILE_WRITTEN } cc_file_role;

typedef struct cc_option {
    const char *name;           /* without the leading "--" */
    cc_option_kind kind;
    size_t offset;              /* of the field, inside the group's struct */
    const char *value_name;     /* shown in the usage: FILE, N, ... (a choice shows its choices) */
    const char *fallback;       /* the default, as text, set through the same parsing; NULL: none */
    const char *help;           /* one line */
    double min, max;            /* INT and REAL bounds */
    int open_min;               /* REAL: the value must exceed min */
    const char *choices;        /* CHOICE: "auto|cpu|cuda" */
    int required;               /* the command needs it (TEXT, DATE, CHOICE, LIST only) */
    size_t count_offset;        /* LIST: the int count of values */
    int max_count;              /* LIST: room in the field's array */
    /* CUSTOM: 0, or -1 with `why` (the whole message, e.g. "--hidden takes ..."). */
    int (*parse)(const char *text, void *field, char *why, size_t why_len);
    cc_file_role file;          /* TEXT, LIST: a path read or written (see cc_file_role) */
    const char *same_as;        /* another name of this row's option (synth's --out of --db): the
                                   two written paths may be one */
    const char *const *suffixes; /* TEXT written: the value is a PREFIX, and the paths written are
                                   it with each suffix (NULL-ended): baseline --export-features x
                                   writes x_train.csv and x_test.csv, checked as cc_file_role says */
} cc_option;

/* Rows of a table, filling the struct at `offset` in the command's request. */
typedef struct cc_option_group {
    const char *title;          /* heading in the usage, e.g. "options", "device" */
    const cc_option *options;
    int count;
    size_t offset;
} cc_option_group;

typedef struct cc_command_spec {
    const char *name;           /* "train" */
    const char *synopsis;       /* what follows "usage: crimecast NAME " (lines may follow) */
    const char *description;    /* paragraphs after the synopsis */
    size_t request_size;        /* cc_options_defaults zeroes this many bytes first */
    const cc_option_group *groups;
    int group_count;
    const cc_option *operands;  /* a LIST row (offset inside the request) for operands, or NULL */
    /* Rules between options that the rows cannot state, after parsing: 0, or -1 with the
     * message in why (a usage error). NULL: none. */
    int (*check)(void *request, char *why, size_t why_len);
} cc_command_spec;

/* Fields of options with no fixed default: their default depends on the data, and the
 * command needs to know whether one was given (a SOME_INT row, or a CUSTOM row's parse). */
typedef struct cc_optional_int {
    int value, given;
} cc_optional_int;
typedef struct cc_optional_real {
    double value;
    int given;
} cc_optional_real;

enum { CC_OPTIONS_OK = 0, CC_OPTIONS_HELP = -1 };

/* Zeroes the request and applies every default of the table. */
void cc_options_defaults(const cc_command_spec *spec, void *request);

/* Parses argv[1..argc) (argv[0] is the command's name) on top of what `request` holds -
 * call cc_options_defaults first, or use cc_options_read - then checks the required
 * options, the operands, that no written path is a read one (cc_file_role) and
 * spec->check. Returns CC_OPTIONS_OK; CC_OPTIONS_HELP after
 * printing the usage to stdout (-h, --help); or CC_EXIT_USAGE after printing the error
 * to stderr with a hint to use --help. */
int cc_options_parse(const cc_command_spec *spec, int argc, char **argv, void *request);

/* cc_options_parse of a line parsed before, over a request holding other options (train's
 * over its --config file's): the same, without saying again which options were given
 * twice; a rule between options that the two break together (the spec's check, required
 * options) is said with `over` named (e.g. "the options of --config tuned.json"), as the
 * broken value may be the file's. */
int cc_options_parse_again(const cc_command_spec *spec, int argc, char **argv, void *request, const char *over);

/* cc_options_defaults, then cc_options_parse. */
int cc_options_read(const cc_command_spec *spec, int argc, char **argv, void *request);

/* What a command's entry returns for cc_options_read's result: the exit status, or -1
 * to go on and run (CC_OPTIONS_OK). */
int cc_options_exit_status(int parsed);

/* Sets option `name` (exact, without "--") to `value` as the command line would. 0, or
 * -1 with the message in why (no such option, a bad value). */
int cc_options_set(const cc_command_spec *spec, void *request, const char *name, const char *value, char *why,
                   size_t why_len);

/* The rows that the command line argv[1..argc) gives (each once, in the order first
 * given), at most `most` of them into rows; returns how many. For a command line that
 * cc_options_parse accepted: what was asked for as against what the defaults and a
 * configuration file set (train --resume names those it does not use). */
int cc_options_given(const cc_command_spec *spec, int argc, char **argv, const cc_option **rows, int most);

/* Warns on stderr of the options the command line gave that this run ignores (`used`
 * says 0 for them: a method-specific option given for another method):
 *   crimecast COMMAND: warning: --a, --b given here are not used by CONTEXT
 * Returns how many were named. */
typedef int (*cc_option_used)(const cc_option *row, const void *request);
/* The names of those options ("--a, --b", as many as names_len holds) and their count. */
int cc_options_unused(const cc_command_spec *spec, int argc, char **argv, cc_option_used used, const void *request,
                      char *names, size_t names_len);
int cc_options_warn_unused(const cc_command_spec *spec, int argc, char **argv, cc_option_used used,
                           const void *request, const char *context);

/* The options of `group` whose values in `base` (the group's struct) differ from their
 * defaults, as command-line text (" --threads 1 --device cpu") into out: what a command
 * printed for the user to run again must repeat. FLAG, CHOICE, TEXT and INT rows only. */
void cc_options_changed(const cc_option_group *group, const void *base, char *out, size_t len);

/* The row called `name` (exact), or NULL. */
const cc_option *cc_options_find(const cc_command_spec *spec, const char *name);

/* The usage: synopsis, description and every option with its default. */
void cc_options_usage(const cc_command_spec *spec, FILE *out);

/* A command's exit status from its pipeline function's result (0 or -1 with err):
 * CC_EXIT_OK, or CC_EXIT_FAILURE after printing "crimecast NAME: ERR". */
int cc_command_result(const char *name, int status, const char *err);

/* Prints "crimecast COMMAND: MESSAGE" and a hint to use --help; returns CC_EXIT_USAGE. */
int cc_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The rule of an option that takes a comma list of numbers, e.g. --topk 1,5,10 or
 * --area 0.5km2,1km2 or --hidden 16,16: what each value may be, and the words of the
 * messages. */
typedef struct cc_number_list_rule {
    const char *option;         /* its name without "--", for the messages */
    const char *takes;          /* what it takes, e.g. "area percentages in (0, 100], e.g. 1,5,10" */
    double min, max;            /* each value in [min, max] */
    int open_min, open_max;     /* the bound itself excluded */
    int whole;                  /* whole numbers only */
    const char *unit;           /* a suffix each value may carry ("km2"), or NULL */
    const char *shown_unit;     /* after a value in the messages: "%", " km2" or "" */
    int most;                   /* values at most */
    int distinct;               /* each value once (as %g names it: a column each would repeat) */
} cc_number_list_rule;

/* Parses `text` as the rule says into values[0..*count). An empty list, an empty item
 * ("1,,5", "16,"), a value out of bounds or more than `most` are refused with why naming
 * the option and the whole text. 0, or -1 with why (values then undefined). */
int cc_parse_number_list(const char *text, const cc_number_list_rule *rule, double *values, int *count, char *why,
                         size_t why_len);

/* Row builders: the members of a table row, e.g.
 *     {CC_OPTION_INT("window", train_request, window, "N", "8", 1, 512, "input bins per sample")} */
#define CC_OPTION_FLAG(nm, type, field, text) \
    .name = (nm), .kind = CC_OPT_FLAG, .offset = offsetof(type, field), .help = (text)
#define CC_OPTION_TEXT(nm, type, field, value, def, text) \
    .name = (nm), .kind = CC_OPT_TEXT, .offset = offsetof(type, field), .value_name = (value), .fallback = (def), \
    .help = (text)
#define CC_OPTION_CHOICE(nm, type, field, options, def, text) \
    .name = (nm), .kind = CC_OPT_CHOICE, .offset = offsetof(type, field), .choices = (options), .fallback = (def), \
    .help = (text)
#define CC_OPTION_INT(nm, type, field, value, def, lo, hi, text) \
    .name = (nm), .kind = CC_OPT_INT, .offset = offsetof(type, field), .value_name = (value), .fallback = (def), \
    .min = (lo), .max = (hi), .help = (text)
#define CC_OPTION_SOME_INT(nm, type, field, value, lo, hi, text) \
    .name = (nm), .kind = CC_OPT_SOME_INT, .offset = offsetof(type, field), .value_name = (value), .min = (lo), \
    .max = (hi), .help = (text)
#define CC_OPTION_REAL(nm, type, field, value, def, lo, text) \
    .name = (nm), .kind = CC_OPT_REAL, .offset = offsetof(type, field), .value_name = (value), .fallback = (def), \
    .min = (lo), .help = (text)
#define CC_OPTION_DATE(nm, type, field, def, text) \
    .name = (nm), .kind = CC_OPT_DATE, .offset = offsetof(type, field), .value_name = "DATE", .fallback = (def), \
    .help = (text)
#define CC_OPTION_LIST(nm, type, field, count, most, value, text) \
    .name = (nm), .kind = CC_OPT_LIST, .offset = offsetof(type, field), .count_offset = offsetof(type, count), \
    .max_count = (most), .value_name = (value), .help = (text)
#define CC_OPTION_CUSTOM(nm, type, field, value, def, parser, text) \
    .name = (nm), .kind = CC_OPT_CUSTOM, .offset = offsetof(type, field), .value_name = (value), .fallback = (def), \
    .parse = (parser), .help = (text)

/* The rows of an array, for a cc_option_group. */
#define CC_OPTION_ROWS(rows) (rows), (int)(sizeof(rows) / sizeof((rows)[0]))

/* strtod, but decimal only: its hexadecimal ("0x10", "0x1p4") is no value a user means
 * (a cell of "0x10" metres was taken as 16). *end is left at text when it is hexadecimal,
 * so the caller's "not a number" check refuses it. For every option's number. */
double cc_decimal_strtod(const char *text, char **end);

#endif
