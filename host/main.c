/* The crimecast binary: everything lives in libcrimecast; main only dispatches. */
#include "host/cli.h"

int main(int argc, char **argv) { return cc_main(argc, argv); }
