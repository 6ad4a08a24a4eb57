/*
 * clock: CLOCK_MONOTONIC nanoseconds, the one time base of lagfs's events
 * and lagrace's measurements (system-wide, so the two can be compared).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t lag_now_ns(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC; if it did, every time we hand
	 * out would be wrong, so stop. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		abort();
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
