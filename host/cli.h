/* Command-line entry and subcommand dispatch.
 *
 * Conventions shared by every subcommand:
 *   crimecast <command> [options], crimecast <command> --help, crimecast --version.
 *   Exit status: CC_EXIT_OK on success, CC_EXIT_FAILURE on a data or runtime error,
 *   CC_EXIT_USAGE on a usage error. Errors go to stderr and name the file and line
 *   or field they concern. */
#ifndef CRIMECAST_HOST_CLI_H
#define CRIMECAST_HOST_CLI_H

enum { CC_EXIT_OK = 0, CC_EXIT_FAILURE = 1, CC_EXIT_USAGE = 2 };

#define CC_DEFAULT_DB "crimecast.db"

/* Runs the crimecast command line; returns the process exit status. */
int cc_main(int argc, char **argv);

/* Subcommands. argv[0] is the command's name. Each returns an exit status. */
int cc_cmd_info(int argc, char **argv);
int cc_cmd_bench(int argc, char **argv);
int cc_cmd_import(int argc, char **argv);
int cc_cmd_raster(int argc, char **argv);
int cc_cmd_crawl(int argc, char **argv);
int cc_cmd_train(int argc, char **argv);
int cc_cmd_predict(int argc, char **argv);
int cc_cmd_baseline(int argc, char **argv);
int cc_cmd_eval(int argc, char **argv);
int cc_cmd_png(int argc, char **argv);
int cc_cmd_synth(int argc, char **argv);
int cc_cmd_demo(int argc, char **argv);
int cc_cmd_tune(int argc, char **argv);

/* Runs subcommand `cmd` in-process with its standard output sent to the file `path`
 * (appended, or truncated first when `append` is 0); standard error is left alone.
 * Returns the command's exit status, or CC_EXIT_FAILURE (with a message) when the file
 * cannot be opened. Used by the commands made of other commands (demo, tune). */
int cc_run_captured(int (*cmd)(int, char **), int argc, char **argv, const char *path, int append);

/* Prints "crimecast COMMAND: MESSAGE" and a hint to use --help; returns CC_EXIT_USAGE. */
int cc_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
