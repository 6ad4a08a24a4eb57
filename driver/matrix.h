/*
 * matrix: `lagrace matrix` runs every engine and cache/punt combination (each
 * row an ordinary lagrace command, printed so it can be rerun) and prints the
 * hit-rate table the README shows, so readers can regenerate it on their own
 * kernel and compare kernels.
 */
#ifndef MATRIX_H
#define MATRIX_H

/* argv[0] is "matrix". Returns the exit status. */
int matrix_main(int argc, char **argv);

#endif
