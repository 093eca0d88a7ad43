/* crimecast eval: the command line of host/run_eval.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/commands.h"
#include "host/run_eval.h"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

/* --csv and --json are flags writing to stdout: `eval ... --csv m.csv` read m.csv as a
 * forecast, "cannot open it" (a probe; report's --roc and --out take paths). A forecast
 * operand of that suffix that is no file is taken for the output meant. */
static const char *output_file_meant(const cc_eval_request *r) {
    for (int i = 0; i < r->forecast_count; i++)
        if (((r->csv && ends_with(r->forecasts[i], ".csv")) || (r->json && ends_with(r->forecasts[i], ".json"))) &&
            access(r->forecasts[i], F_OK) != 0)
            return r->forecasts[i];
    return NULL;
}

int cc_cmd_eval(int argc, char **argv) {
    cc_eval_request r;
    int parsed = cc_options_read(&CC_EVAL_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    const char *meant = output_file_meant(&r);
    if (meant)
        return cc_usage_error("eval", "%s is no forecast file: --%s takes no file and writes the records to stdout "
                              "(crimecast eval ... --%s > %s)", meant, r.csv ? "csv" : "json", r.csv ? "csv" : "json",
                              meant);
    char err[1024] = "";
    return cc_command_result("eval", cc_run_eval(&r, stdout, NULL, err, sizeof err), err);
}
