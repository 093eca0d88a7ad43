#include "host/cli.h"

#include <stdio.h>
#include <string.h>

#include "host/commands.h"
#ifdef CRIMECAST_HAVE_IO
#include "heatmaps/hdf5_util.h"
#endif
#include "host/mpi_launch.h"
#include "host/options.h"

typedef struct cc_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
    int cpu_gemm; /* runs a network on the CPU (or says how it would): OpenBLAS is chosen first */
} cc_command;

static const cc_command COMMANDS[] = {
    {"info", "show the build's backends and the GPU, if any", cc_cmd_info, 1},
    {"bench", "time training steps (bench train)", cc_cmd_bench, 1},
#ifdef CRIMECAST_HAVE_IO
    {"import", "load a city's crime record files into the incident store", cc_cmd_import},
    {"crawl", "fetch a city's records from its open-data portal, resumably", cc_cmd_crawl},
    {"raster", "count incidents into a space-time tensor (HDF5)", cc_cmd_raster},
    {"covariates", "add covariate maps (deprivation, mobility) to a tensor file", cc_cmd_covariates},
    {"png", "draw heatmap PNGs from a tensor or forecast file", cc_cmd_png},
    {"export", "write a forecast or tensor as a GeoTIFF or hotspot polygons for GIS tools", cc_cmd_export},
    {"report", "score forecasts into one self-contained HTML report", cc_cmd_report},
    {"train", "train a ConvLSTM on a tensor file", cc_cmd_train, 1},
    {"predict", "forecast a span of a tensor with a trained model", cc_cmd_predict, 1},
    {"inspect", "look inside one forecast: states, gates, the log-rate's terms, saliency", cc_cmd_inspect, 1},
    {"baseline", "the baselines: persistence, histavg, seasonal, kde, random forest, etas", cc_cmd_baseline},
    {"eval", "score forecasts against the truth (counts, hotspots, PAI/PEI)", cc_cmd_eval},
    {"synth", "simulate a synthetic city (known process) and its oracle forecast", cc_cmd_synth},
    {"tune", "search the ConvLSTM's options on the validation span", cc_cmd_tune, 1},
    {"demo", "the whole job end to end: data, ConvLSTM, baselines, eval, pictures", cc_cmd_demo, 1},
#endif
};
enum { COMMAND_COUNT = sizeof COMMANDS / sizeof COMMANDS[0] };

int cc_command_uses_cpu_gemm(int argc, char **argv) {
    for (int i = 0; argc > 1 && i < COMMAND_COUNT; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].cpu_gemm;
    return 0;
}

static void print_usage(FILE *out) {
    fprintf(out,
            "usage: crimecast <command> [options]\n"
            "       crimecast <command> --help   (or: crimecast help <command>)\n"
            "       crimecast --version\n\n"
            "crimecast forecasts crime hotspots from open incident records.\n\n"
            "commands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
}

/* `crimecast help COMMAND`: the command's own --help. */
static int help_on(const char *name) {
    for (int i = 0; i < COMMAND_COUNT; i++)
        if (!strcmp(name, COMMANDS[i].name)) {
            char *argv[] = {(char *)name, "--help", NULL};
            return COMMANDS[i].run(2, argv);
        }
    fprintf(stderr, "crimecast help: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return CC_EXIT_USAGE;
}

int cc_main(int argc, char **argv) {
#ifdef CRIMECAST_HAVE_IO
    cc_hdf5_no_cleanup_at_exit(); /* before any other HDF5 call: see hdf5_util.h */
#endif
    if (argc < 2) {
        print_usage(stderr);
        return CC_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") && argc > 2) return help_on(argv[2]); /* git's `help <command>` */
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_usage(stdout);
        return CC_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("crimecast %s\n", CRIMECAST_VERSION);
        return CC_EXIT_OK;
    }
    for (int i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(name, COMMANDS[i].name) != 0) continue;
        /* N copies of any other command would each do the whole work, into the same files */
        if (cc_mpi_launched_size() > 1 && strcmp(name, "train") && strcmp(name, "tune")) {
            fprintf(stderr, "crimecast %s: started as %d processes by an MPI launcher: only train and tune run as jobs "
                    "of several processes; run %s once, without it\n", name, cc_mpi_launched_size(), name);
            return CC_EXIT_USAGE;
        }
        return COMMANDS[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "crimecast: unknown command '%s'\n\n", name);
    print_usage(stderr);
    return CC_EXIT_USAGE;
}
