#include "mono_cond.h"

#include <time.h>

int mono_cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc, drc;

	rc = pthread_condattr_init(&ca);
	if (rc)
		return rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(cv, &ca);
	drc = pthread_condattr_destroy(&ca);
	return rc ? rc : drc;
}

int mono_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *lock,
			 uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};

	return pthread_cond_timedwait(cv, lock, &ts);
}
