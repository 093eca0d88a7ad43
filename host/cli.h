/* Command-line entry and subcommand dispatch.
 *
 * Conventions shared by every subcommand:
 *   crimecast <command> [options], crimecast <command> --help, crimecast --version.
 *   Exit status: CC_EXIT_OK on success, CC_EXIT_FAILURE on a data or runtime error,
 *   CC_EXIT_USAGE on a usage error. Errors go to stderr and name the file and line
 *   or field they concern.
 * The commands themselves: host/commands.h. */
#ifndef CRIMECAST_HOST_CLI_H
#define CRIMECAST_HOST_CLI_H

/* Runs the crimecast command line; returns the process exit status. */
int cc_main(int argc, char **argv);

/* Whether the command line's command runs a network on the CPU (train, predict, inspect,
 * tune, demo, bench) or reports the GEMM chosen (info): those choose and check
 * OpenBLAS's kernels first (kernels/cpu/gemm_choice.h); the rest never call it. */
int cc_command_uses_cpu_gemm(int argc, char **argv);

#endif
