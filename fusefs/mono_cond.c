#include "mono_cond.h"

#include <time.h>

#include "xpthread.h"

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

int mono_lock_init(pthread_mutex_t *lock, pthread_cond_t *cv)
{
	int rc = pthread_mutex_init(lock, NULL);

	if (rc)
		return rc;
	rc = mono_cond_init(cv);
	if (rc)
		xmutex_destroy(lock);
	return rc;
}

void mono_lock_destroy(pthread_mutex_t *lock, pthread_cond_t *cv)
{
	xcond_destroy(cv);
	xmutex_destroy(lock);
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
