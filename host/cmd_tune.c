/* crimecast tune: the command line of host/run_tune.h. */
#include <stdio.h>

#include "host/commands.h"
#include "host/ctrl_c.h"
#include "heatmaps/tensor_file.h"
#include "host/mpi_world.h"
#include "host/rank_agreement.h"
#include "host/run_tune.h"

/* Under mpirun every rank trains its share of the candidates from its own command line
 * and its own copy of the tensor: both must be rank 0's, or the scores compared are of
 * other runs. */
static int same_work_everywhere(cc_tune_request *r, int argc, char **argv, char *err, size_t err_len) {
    if (cc_ranks_same_command(r->collective, argc, argv, NULL, NULL, err, err_len) != 0) return -1;
    cc_tensor t;
    char why[1024];
    int read = cc_tensor_read(r->data, "counts", &t, why, sizeof why) == 0, one = 0;
    if (read && cc_tensor_read_recency(r->data, &t, 0, why, sizeof why) != 0) { /* its candidates read them */
        cc_tensor_free(&t);
        read = 0;
    }
    int failing = cc_ranks_failing(r->collective, !read, &one); /* every rank takes part, read or not */
    int status = failing == 0 ? cc_ranks_same_tensor(r->collective, r->data, &t, err, err_len) : -1;
    if (!read) snprintf(err, err_len, "%s", why);
    else if (failing < 0) snprintf(err, err_len, "%s: the ranks could not tell each other whether they read it", r->data);
    else if (failing == 1) snprintf(err, err_len, "%s: rank %d could not read it", r->data, one);
    else if (failing != 0) snprintf(err, err_len, "%s: %d ranks could not read it", r->data, failing);
    if (read) r->tensor_digest = cc_digest_tensor(&t), r->tensor_bins = t.T; /* without reading it again */
    if (read) cc_tensor_free(&t);
    return status;
}

/* cc_run_tune as Ctrl-C work (host/ctrl_c.h): the candidate in training stops before its
 * next step and the search ends, saying how far it got. */
typedef struct tune_work {
    cc_tune_request *request;
    FILE *out;
    char *err;
    size_t err_len;
} tune_work;

static int tune_until_stopped(void *context, volatile sig_atomic_t *stop) {
    tune_work *w = context;
    w->request->stop = stop;
    return cc_run_tune(w->request, w->out, w->err, w->err_len);
}

static int tune_caught(cc_tune_request *r, FILE *out, char *err, size_t err_len) {
    tune_work work = {r, out, err, err_len};
    return cc_with_ctrl_c(tune_until_stopped, &work, NULL);
}

int cc_cmd_tune(int argc, char **argv) {
    cc_tune_request r;
    int parsed = cc_options_read(&CC_TUNE_SPEC, argc, argv, &r);
    if (parsed != CC_OPTIONS_OK) return cc_options_exit_status(parsed);
    char err[4400] = "";
    cc_mpi_world world; /* under mpirun: the candidates spread over the ranks */
    if (cc_mpi_world_join(&world, err, sizeof err) != 0) {
        cc_mpi_world_leave(&world, 1); /* MPI may be up: finalised, or the job aborted */
        return cc_command_result("tune", -1, err);
    }
    r.collective = cc_mpi_world_collective(&world);
    FILE *out = r.collective && r.collective->rank != 0 ? fopen("/dev/null", "w") : stdout;
    int status = r.collective ? same_work_everywhere(&r, argc, argv, err, sizeof err) : 0;
    if (status == 0)
        status = r.collective ? cc_run_tune(&r, out ? out : stdout, err, sizeof err) /* ranks: mpirun's Ctrl-C */
                              : tune_caught(&r, out ? out : stdout, err, sizeof err);
    if (out && out != stdout) fclose(out);
    char ranked[4500]; /* which rank failed, as train says */
    cc_rank_named_message(r.collective, err, ranked, sizeof ranked);
    int code = cc_command_result("tune", status, ranked);
    cc_mpi_world_leave(&world, status != 0);
    return code;
}
