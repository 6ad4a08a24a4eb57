#include "quiet_thread.h"

#include <signal.h>

#include "xpthread.h"

int quiet_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	/* a new thread inherits its creator's mask */
	sigfillset(&all);
	rc = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc)
		return rc;
	rc = pthread_create(t, NULL, fn, arg);
	pthread_check(pthread_sigmask(SIG_SETMASK, &old, NULL), "pthread_sigmask");
	return rc;
}
