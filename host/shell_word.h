/* Paths written into a command line the user is told to run (a resume command):
 * quoted so that a shell reads each as one word, whatever characters it holds. */
#ifndef CRIMECAST_HOST_SHELL_WORD_H
#define CRIMECAST_HOST_SHELL_WORD_H

#include <stddef.h>

/* The most bytes a quoted path of a PATH_MAX (4096-byte) path can take, every
 * character a quote, with its terminating 0. */
enum { CC_SHELL_WORD_MAX = 4 * 4096 + 8 };

/* `text` as one shell word in out (len bytes): as it is when it holds only characters
 * no shell treats specially (letters, digits, _ . / - + = : ,), else in single quotes
 * with each ' written '\''. Returns out, or NULL when out cannot hold it whole (a
 * command cut short would run something else). */
const char *cc_shell_word(const char *text, char *out, size_t len);

/* A command line as a file records who wrote it: "crimecast VERSION" and argv[0..argc)
 * (a command's own argv: its name, then its arguments), each a shell word as above,
 * separated by spaces: "crimecast" and the words after the version, pasted into a
 * shell, run the same command.
 * Malloc'd (the caller frees it); NULL when out of memory. */
char *cc_command_line(int argc, char *const *argv);

#endif
