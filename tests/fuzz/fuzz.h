/*
 * fuzz.h: what the libFuzzer targets in tests/fuzz/ share. A target
 * defines FUZZ_NAME (its name, for the messages) before including it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* A failed check abort()s, so libFuzzer reports a crash with the input;
 * scripts/fuzz shows the "check failed" line. */
#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, FUZZ_NAME ": check failed: %s (%s:%d)\n", \
				#cond, __FILE__, __LINE__);                \
			abort();                                           \
		}                                                          \
	} while (0)

#endif
