/* The subcommands' entry points, one per host/cmd_<name>.c, which host/cli.c dispatches
 * to. Each reads its option table (host/options.h) into a request and runs the pipeline
 * function of host/run_<name>.h, which `demo` and `tune` call directly too: no command
 * runs another through an argv. */
#ifndef CRIMECAST_HOST_COMMANDS_H
#define CRIMECAST_HOST_COMMANDS_H

/* Subcommands. argv[0] is the command's name. Each returns an exit status. */
int cc_cmd_info(int argc, char **argv);
int cc_cmd_bench(int argc, char **argv);
int cc_cmd_import(int argc, char **argv);
int cc_cmd_raster(int argc, char **argv);
int cc_cmd_crawl(int argc, char **argv);
int cc_cmd_train(int argc, char **argv);
int cc_cmd_predict(int argc, char **argv);
int cc_cmd_inspect(int argc, char **argv);
int cc_cmd_baseline(int argc, char **argv);
int cc_cmd_eval(int argc, char **argv);
int cc_cmd_png(int argc, char **argv);
int cc_cmd_export(int argc, char **argv);
int cc_cmd_covariates(int argc, char **argv);
int cc_cmd_report(int argc, char **argv);
int cc_cmd_synth(int argc, char **argv);
int cc_cmd_demo(int argc, char **argv);
int cc_cmd_tune(int argc, char **argv);

#endif
