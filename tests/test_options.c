/* host/options.h: the one parser every command's table goes through. A small table of
 * every kind of row, read from argv vectors; the values, the defaults, the errors (with
 * their exit status and message) and the usage are checked against what is written here
 * by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/options.h"

typedef struct sample {
    int flag;
    const char *text, *choice, *date;
    int count;
    double real, open_real;
    const char *list[3];
    int list_count;
    cc_optional_int custom, some;
    const char *operands[2];
    int operand_count;
    struct {
        int inner;
    } group;
} sample;

static int parse_even(const char *text, void *field, char *why, size_t why_len) {
    cc_optional_int *v = field;
    char *end;
    long n = strtol(text, &end, 10);
    if (*end || end == text || n % 2) {
        snprintf(why, why_len, "--even wants an even number (got '%s')", text);
        return -1;
    }
    v->value = (int)n, v->given = 1;
    return 0;
}

static const cc_option ROWS[] = {
    {CC_OPTION_FLAG("flag", sample, flag, "a flag")},
    {CC_OPTION_TEXT("text", sample, text, "T", NULL, "a text"), .required = 1},
    {CC_OPTION_CHOICE("choice", sample, choice, "red|green|blue", "green", "a colour")},
    {CC_OPTION_DATE("date", sample, date, NULL, "a day")},
    {CC_OPTION_INT("count", sample, count, "N", "3", 1, 10, "a count")},
    {CC_OPTION_REAL("real", sample, real, "X", "0.5", 0, "a non-negative number")},
    {CC_OPTION_REAL("real-open", sample, open_real, "X", NULL, 0, "a positive number"), .open_min = 1, .max = 1},
    {CC_OPTION_LIST("item", sample, list, list_count, 3, "I", "an item")},
    {CC_OPTION_CUSTOM("even", sample, custom, "E", NULL, parse_even, "an even number")},
    {CC_OPTION_SOME_INT("lag", sample, some, "BINS", 1, 52, "a lag, if given")},
};

typedef struct inner_group {
    int inner;
} inner_group;

static const cc_option INNER[] = {{CC_OPTION_INT("inner", inner_group, inner, "N", "7", 0, 100, "in a group")}};

static const cc_option OPERANDS = {
    CC_OPTION_LIST("", sample, operands, operand_count, 2, "FILE...", "files"), .required = 1};

static int no_blue_with_flag(void *request, char *why, size_t why_len) {
    const sample *s = request;
    if (!(s->flag && !strcmp(s->choice, "blue"))) return 0;
    snprintf(why, why_len, "--flag does not go with blue");
    return -1;
}

static const cc_option_group GROUPS[] = {
    {"options", CC_OPTION_ROWS(ROWS), 0},
    {"more", INNER, 1, offsetof(sample, group)},
};

static const cc_command_spec SPEC = {
    .name = "sample",
    .synopsis = "--text T [options] FILE...",
    .description = "A sample command.\n",
    .request_size = sizeof(sample),
    .groups = GROUPS,
    .group_count = 2,
    .operands = &OPERANDS,
    .check = no_blue_with_flag,
};

/* cc_options_read with stderr captured into `message`. */
static int read_captured(const cc_command_spec *spec, int argc, char **argv, void *request, char *message,
                         size_t len) {
    fflush(stderr);
    FILE *saved = stderr, *capture = tmpfile();
    stderr = capture;
    int status = cc_options_read(spec, argc, argv, request);
    stderr = saved;
    rewind(capture);
    size_t n = fread(message, 1, len - 1, capture);
    message[n] = 0;
    fclose(capture);
    return status;
}

/* Parses the NULL-terminated arguments with stderr captured into `message`. */
static int parse(sample *s, char *message, size_t len, ...) {
    char *argv[32] = {"sample"};
    int argc = 1;
    va_list ap;
    va_start(ap, len);
    for (char *a; (a = va_arg(ap, char *)) != NULL;) argv[argc++] = a;
    va_end(ap);
    return read_captured(&SPEC, argc, argv, s, message, len);
}

static void test_defaults(void **unused) {
    (void)unused;
    sample s;
    memset(&s, 0xAB, sizeof s); /* every field is set, not left as it was */
    cc_options_defaults(&SPEC, &s);
    assert_int_equal(s.flag, 0);
    assert_null(s.text);
    assert_string_equal(s.choice, "green");
    assert_int_equal(s.count, 3);
    assert_true(s.real == 0.5);
    assert_true(s.open_real == 0);
    assert_int_equal(s.list_count, 0);
    assert_int_equal(s.custom.given, 0);
    assert_int_equal(s.some.given, 0);
    assert_int_equal(s.group.inner, 7);
}

static void test_values_of_every_kind(void **unused) {
    (void)unused;
    sample s;
    char message[512];
    assert_int_equal(parse(&s, message, sizeof message, "a.csv", "--text", "hello", "--flag", "--choice=red", "--date",
                           "2020-02-29", "--count", "10", "--real", "2.25", "--real-open", "1", "--item", "x", "--item",
                           "y", "--even", "4", "--lag", "52", "--inner", "0", "b.csv", NULL),
                     CC_OPTIONS_OK);
    assert_string_equal(message, "");
    assert_int_equal(s.flag, 1);
    assert_string_equal(s.text, "hello");
    assert_string_equal(s.choice, "red");
    assert_string_equal(s.date, "2020-02-29");
    assert_int_equal(s.count, 10);
    assert_true(s.real == 2.25 && s.open_real == 1);
    assert_int_equal(s.list_count, 2);
    assert_string_equal(s.list[1], "y");
    assert_true(s.custom.given && s.custom.value == 4);
    assert_true(s.some.given && s.some.value == 52);
    assert_int_equal(s.group.inner, 0);
    assert_int_equal(s.operand_count, 2);
    assert_string_equal(s.operands[0], "a.csv");
    assert_string_equal(s.operands[1], "b.csv");
}

static void test_prefixes_and_double_dash(void **unused) {
    (void)unused;
    sample s;
    char message[512];
    /* --te is only --text; --cou only --count; after "--" a dash is an operand */
    assert_int_equal(parse(&s, message, sizeof message, "--te", "x", "--cou", "5", "--", "--flag", NULL), CC_OPTIONS_OK);
    assert_string_equal(s.text, "x");
    assert_int_equal(s.count, 5);
    assert_int_equal(s.flag, 0);
    assert_string_equal(s.operands[0], "--flag");
    /* --re is --real and --real-open: ambiguous; --real itself is exact */
    assert_int_equal(parse(&s, message, sizeof message, "--text", "x", "--re", "1", "f", NULL), CC_EXIT_USAGE);
    assert_non_null(strstr(message, "option '--re' is ambiguous: it starts --real and --real-open"));
    assert_int_equal(parse(&s, message, sizeof message, "--text", "x", "--real", "1", "f", NULL), CC_OPTIONS_OK);
}

/* Each bad command line, the exit status 2 and the words of its message. */
static void test_errors(void **unused) {
    (void)unused;
    struct {
        const char *args[6], *says;
    } cases[] = {
        {{"--text", "x", "--frob", "f"}, "unknown option '--frob'"},
        {{"--text", "x", "-q", "f"}, "unknown option '-q'"},
        {{"--text", "x", "f", "--count"}, "option '--count' needs a value (N)"},
        {{"--text", "x", "--flag=1", "f"}, "option '--flag' takes no value"},
        {{"--text", "x", "--choice", "pink", "f"}, "--choice must be red, green or blue (got 'pink')"},
        {{"--text", "x", "--count", "11", "f"}, "--count must be a whole number 1-10 (got '11')"},
        {{"--text", "x", "--count", "3x", "f"}, "--count must be a whole number 1-10 (got '3x')"},
        {{"--text", "x", "--real", "-1", "f"}, "--real must be a number >= 0 (got '-1')"},
        {{"--text", "x", "--real", "inf", "f"}, "--real must be a number >= 0 (got 'inf')"},
        {{"--text", "x", "--real", "nan", "f"}, "--real must be a number >= 0 (got 'nan')"},
        {{"--text", "x", "--real", "0x10", "f"}, "--real must be a number >= 0 (got '0x10')"}, /* not 16 */
        {{"--text", "x", "--real-open", "0", "f"}, "--real-open must be a number in (0, 1] (got '0')"},
        {{"--text", "x", "--date", "2021-02-29", "f"}, "--date '2021-02-29' is not a date (YYYY-MM-DD, years 1800 to 2200)"},
        {{"--text", "x", "--date", "1799-12-31", "f"}, "--date '1799-12-31' is not a date (YYYY-MM-DD, years 1800 to 2200)"},
        {{"--text", "x", "--even", "3", "f"}, "--even wants an even number (got '3')"},
        {{"--text", "x", "--inner", "101", "f"}, "--inner must be a whole number 0-100"},
        {{"--text", "x", "--lag", "0", "f"}, "--lag must be a whole number 1-52 (got '0')"},
        {{"f"}, "--text is required"},
        {{"--text", "x"}, "no FILE... given (files)"},
        {{"--text", "x", "--cuont", "3", "f"}, "unknown option '--cuont' (did you mean --count?)"}, /* two swapped */
        {{"--text", "x", "--choise", "red", "f"}, "unknown option '--choise' (did you mean --choice?)"},
        {{"--text", "x", "--innr", "3", "f"}, "unknown option '--innr' (did you mean --inner?)"}, /* in a group */
        {{"--text", "x", "--ral", "3", "f"}, "unknown option '--ral' (did you mean --real?)"},
        {{"--text", "x", "a", "b", "c"}, "at most 2 FILE..."},
        {{"--text", "x", "--flag", "--choice", "blue", "f"}, "--flag does not go with blue"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {"sample"};
        int argc = 1;
        for (int k = 0; k < 6 && cases[i].args[k]; k++) argv[argc++] = (char *)cases[i].args[k];
        sample s;
        char message[512];
        int status = read_captured(&SPEC, argc, argv, &s, message, sizeof message);
        if (status != CC_EXIT_USAGE || !strstr(message, cases[i].says) || !strstr(message, "crimecast sample: ") ||
            !strstr(message, "Try 'crimecast sample --help'."))
            fail_msg("case %zu: status %d, message '%s', wanted '%s'", i, status, message, cases[i].says);
    }
    /* no guess where none is near, or two are as near */
    /* --fag: --flag and --lag are as near */
    const char *unguessed[][3] = {{"--text", "x", "--frob"}, {"--text", "x", "--xy"}, {"--text", "x", "--fag"}};
    for (size_t i = 0; i < sizeof unguessed / sizeof unguessed[0]; i++) {
        char *argv[5] = {"sample", (char *)unguessed[i][0], (char *)unguessed[i][1], (char *)unguessed[i][2], "f"};
        sample s;
        char message[512];
        int status = read_captured(&SPEC, 5, argv, &s, message, sizeof message);
        if (status != CC_EXIT_USAGE || !strstr(message, "unknown option") || strstr(message, "did you mean"))
            fail_msg("'%s': status %d, message '%s', wanted no guess", unguessed[i][2], status, message);
    }
}

static void test_set_by_name(void **unused) {
    (void)unused;
    sample s;
    char why[256];
    cc_options_defaults(&SPEC, &s);
    assert_int_equal(cc_options_set(&SPEC, &s, "count", "7", why, sizeof why), 0);
    assert_int_equal(s.count, 7);
    assert_int_equal(cc_options_set(&SPEC, &s, "inner", "9", why, sizeof why), 0);
    assert_int_equal(s.group.inner, 9);
    /* names are exact here (a configuration file spells them out) */
    assert_int_equal(cc_options_set(&SPEC, &s, "cou", "7", why, sizeof why), -1);
    assert_non_null(strstr(why, "'cou' is not an option of crimecast sample"));
    assert_int_equal(cc_options_set(&SPEC, &s, "choice", "pink", why, sizeof why), -1);
    assert_non_null(strstr(why, "--choice must be red, green or blue"));
    assert_non_null(cc_options_find(&SPEC, "real-open"));
    assert_null(cc_options_find(&SPEC, "real-"));
}

static void test_help_prints_the_table(void **unused) {
    (void)unused;
    char *argv[] = {"sample", "--text", "x", "--help"};
    fflush(stdout);
    FILE *saved = stdout, *capture = tmpfile();
    stdout = capture;
    sample s;
    int status = cc_options_read(&SPEC, 4, argv, &s);
    stdout = saved;
    rewind(capture);
    char text[4096];
    text[fread(text, 1, sizeof text - 1, capture)] = 0;
    fclose(capture);
    assert_int_equal(status, CC_OPTIONS_HELP);
    assert_int_equal(cc_options_exit_status(status), CC_EXIT_OK);
    const char *head = "usage: crimecast sample --text T [options] FILE...\n\nA sample command.\n";
    assert_true(!strncmp(text, head, strlen(head)));
    const char *lines[] = {"\noptions:\n",
                           "  --flag                    a flag\n",
                           "  --text T                  a text (required)\n",
                           "  --choice red|green|blue   a colour (default: green)\n",
                           "  --count N                 a count (default: 3)\n",
                           "  --item I                  an item\n",
                           "  --lag BINS                a lag, if given\n",
                           "\nmore:\n  --inner N                 in a group (default: 7)\n",
                           "\noperands:\n  FILE...                   files\n",
                           "  -h, --help                print this help and exit\n"};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!strstr(text, lines[i])) fail_msg("the usage lacks '%s':\n%s", lines[i], text);
}

/* The rows a command line gives: prefixes resolved, values skipped (a value that looks
 * like an option is still a value), each row once, nothing after "--". */
static void test_given_rows(void **unused) {
    (void)unused;
    char *argv[] = {"sample", "a.csv", "--te", "--flag", "--flag", "--count=4", "--inner", "9", "--text", "y",
                    "--", "--real", "1"};
    const cc_option *rows[8];
    int n = cc_options_given(&SPEC, 13, argv, rows, 8);
    assert_int_equal(n, 4);
    assert_string_equal(rows[0]->name, "text"); /* the first "--flag" is --te's value, the second a flag */
    assert_string_equal(rows[1]->name, "flag");
    assert_string_equal(rows[2]->name, "count");
    assert_string_equal(rows[3]->name, "inner"); /* --text once, although given twice */
    assert_int_equal(cc_options_given(&SPEC, 13, argv, rows, 2), 2); /* at most `most` */
    char *flags[] = {"sample", "--flag", "--te", "x"};
    n = cc_options_given(&SPEC, 4, flags, rows, 8);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0]->name, "flag"); /* a flag takes no value: --te is the next row */
    assert_string_equal(rows[1]->name, "text");
}

/* The options that differ from their defaults, as command-line text. */
static void test_changed_options(void **unused) {
    (void)unused;
    sample s;
    char text[512], message[512];
    cc_options_defaults(&SPEC, &s);
    cc_options_changed(&GROUPS[0], &s, text, sizeof text);
    assert_string_equal(text, "");
    assert_int_equal(parse(&s, message, sizeof message, "--text", "x", "--flag", "--count", "3", "--choice", "red",
                           "f", NULL), CC_OPTIONS_OK);
    cc_options_changed(&GROUPS[0], &s, text, sizeof text); /* --count 3 is the default: left out */
    assert_string_equal(text, " --flag --text x --choice red");
    assert_int_equal(parse(&s, message, sizeof message, "--text", "x", "--inner", "8", "f", NULL), CC_OPTIONS_OK);
    cc_options_changed(&GROUPS[1], &s.group, text, sizeof text);
    assert_string_equal(text, " --inner 8");
}

/* Comma lists of numbers: each case's values or its message, written out by hand. */
static void test_number_lists(void **unused) {
    (void)unused;
    static const cc_number_list_rule percent = {.option = "topk", .takes = "percentages in (0, 100]", .min = 0,
                                                .open_min = 1, .max = 100, .shown_unit = "%", .most = 3,
                                                .distinct = 1};
    static const cc_number_list_rule area = {.option = "area", .takes = "areas", .min = 0, .open_min = 1,
                                             .max = 1e6, .open_max = 1, .unit = "km2", .shown_unit = " km2",
                                             .most = 3, .distinct = 1};
    static const cc_number_list_rule layers = {.option = "hidden", .takes = "channels", .min = 1, .max = 1024,
                                               .whole = 1, .most = 2};
    struct {
        const cc_number_list_rule *rule;
        const char *text;
        int count;
        double values[3];
        const char *says; /* NULL: accepted */
    } cases[] = {
        {&percent, "1,5,10", 3, {1, 5, 10}, NULL},
        {&percent, "100", 1, {100}, NULL},
        {&percent, "0.5,2.5", 2, {0.5, 2.5}, NULL},
        {&percent, "0", 0, {0}, "--topk takes percentages in (0, 100] (got '0')"},
        {&percent, "100.5", 0, {0}, "--topk takes percentages in (0, 100] (got '100.5')"},
        {&percent, "5,5", 0, {0}, "--topk names 5% twice (a column each would repeat)"},
        {&percent, "5,5.0", 0, {0}, "--topk names 5% twice"},
        {&percent, "1,2,3,4", 0, {0}, "--topk takes at most 3 values (got '1,2,3,4')"},
        {&percent, "", 0, {0}, "--topk takes percentages in (0, 100] (got '')"},
        {&percent, "5,", 0, {0}, "(got '5,')"},
        {&percent, ",5", 0, {0}, "(got ',5')"},
        {&percent, "1,,5", 0, {0}, "(got '1,,5')"},
        {&percent, "5x", 0, {0}, "(got '5x')"},
        {&percent, "nan", 0, {0}, "(got 'nan')"},
        {&area, "0.5km2,1,2km2", 3, {0.5, 1, 2}, NULL},
        {&area, "1km2,1", 0, {0}, "--area names 1 km2 twice"},
        {&area, "1e6", 0, {0}, "--area takes areas (got '1e6')"},
        {&area, "inf", 0, {0}, "(got 'inf')"},
        {&area, "0x1p1km2", 0, {0}, "(got '0x1p1km2')"}, /* hexadecimal: not 2 */
        {&area, "1km", 0, {0}, "(got '1km')"},
        {&layers, "16,16", 2, {16, 16}, NULL}, /* not distinct: layers may match */
        {&layers, "1024", 1, {1024}, NULL},
        {&layers, "16.5", 0, {0}, "--hidden takes channels (got '16.5')"},
        {&layers, "0", 0, {0}, "(got '0')"},
        {&layers, "16,16,16", 0, {0}, "--hidden takes at most 2 values"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double values[3] = {-1, -1, -1};
        int count = -1;
        char why[256] = "";
        int status = cc_parse_number_list(cases[i].text, cases[i].rule, values, &count, why, sizeof why);
        if (cases[i].says) {
            if (status != -1 || !strstr(why, cases[i].says))
                fail_msg("case %zu '%s': status %d, message '%s', wanted '%s'", i, cases[i].text, status, why,
                         cases[i].says);
            continue;
        }
        if (status != 0 || count != cases[i].count) fail_msg("case %zu '%s': status %d, count %d", i, cases[i].text, status, count);
        for (int k = 0; k < count; k++)
            if (values[k] != cases[i].values[k]) fail_msg("case %zu: value %d is %g", i, k, values[k]);
    }
}

/* A command that reads --in and its operands, writes --out, and names --log (no role). */
typedef struct files_request {
    const char *in, *out, *log;
    const char *operands[2];
    int operand_count;
} files_request;

static const cc_option FILE_ROWS[] = {
    {CC_OPTION_TEXT("in", files_request, in, "FILE", NULL, "read"), .file = CC_FILE_READ},
    {CC_OPTION_TEXT("out", files_request, out, "FILE", NULL, "written"), .file = CC_FILE_WRITTEN},
    {CC_OPTION_TEXT("log", files_request, log, "FILE", NULL, "neither")},
};
static const cc_option FILE_OPERANDS = {
    CC_OPTION_LIST("", files_request, operands, operand_count, 2, "FILE...", "read"), .file = CC_FILE_READ};
static const cc_option_group FILE_GROUPS[] = {{"options", CC_OPTION_ROWS(FILE_ROWS), 0}};
static const cc_command_spec FILES_SPEC = {
    .name = "files", .synopsis = "[options] FILE...", .description = "Files.\n",
    .request_size = sizeof(files_request), .groups = FILE_GROUPS, .group_count = 1, .operands = &FILE_OPERANDS,
};

static void test_written_files_are_not_read_ones(void **unused) {
    (void)unused;
    char dir[] = "/tmp/cc-options-XXXXXX", a[64], b[64], link[64], fresh[64];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a", dir), snprintf(b, sizeof b, "%s/b", dir);
    snprintf(link, sizeof link, "%s/link", dir), snprintf(fresh, sizeof fresh, "%s/new", dir);
    fclose(fopen(a, "w")), fclose(fopen(b, "w"));
    assert_int_equal(symlink(a, link), 0);
    char in_a[80], among_a[96];
    snprintf(in_a, sizeof in_a, "--in %s", a), snprintf(among_a, sizeof among_a, "%s (among the FILE...)", a);
    struct {
        const char *args[6], *out, *read; /* read NULL: accepted; else the message names out and read */
    } cases[] = {
        {{"--in", a, "--out", fresh}, NULL, NULL},  /* a new file: none of the inputs */
        {{"--in", a, "--out", b}, NULL, NULL},      /* another file, existing */
        {{"--log", a, "--out", a}, NULL, NULL},     /* a path with no role */
        {{"--in", a, "--out", a}, a, in_a},
        {{"--in", b, "--out", link, b, a}, link, among_a},
        {{"--in", a, "--out", link}, link, in_a},   /* through a link */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {"files"};
        int argc = 1;
        for (int k = 0; k < 6 && cases[i].args[k]; k++) argv[argc++] = (char *)cases[i].args[k];
        files_request r;
        char message[1024], wanted[512] = "";
        int status = read_captured(&FILES_SPEC, argc, argv, &r, message, sizeof message);
        if (cases[i].read) snprintf(wanted, sizeof wanted, "--out %s and %s are the same file", cases[i].out, cases[i].read);
        int ok = cases[i].read ? status == CC_EXIT_USAGE && strstr(message, wanted) : status == CC_OPTIONS_OK;
        if (!ok) fail_msg("case %zu: status %d, message '%s', wanted '%s'", i, status, message, wanted);
    }
    unlink(link), unlink(a), unlink(b), rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_files_are_not_read_ones),
        cmocka_unit_test(test_defaults),         cmocka_unit_test(test_values_of_every_kind),
        cmocka_unit_test(test_prefixes_and_double_dash), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_set_by_name),      cmocka_unit_test(test_help_prints_the_table),
        cmocka_unit_test(test_given_rows), cmocka_unit_test(test_number_lists),
        cmocka_unit_test(test_changed_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
