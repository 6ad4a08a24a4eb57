/*
 * xpthread: pthread calls on our own locks and condition variables that
 * cannot fail unless memory is corrupt or the code is wrong. Carrying on
 * would lose or double-fire parked requests or log lines, so a failure
 * stops the program loudly (abort) with what failed.
 */
#ifndef XPTHREAD_H
#define XPTHREAD_H

#include <pthread.h>

/* rc is a pthread call's return value: 0, or abort naming what. */
void pthread_check(int rc, const char *what);

/* x<name>(obj): pthread_<name>(obj), checked. */
#define XPTHREAD_1(name, type)						\
	static inline void x##name(type *obj)				\
	{								\
		pthread_check(pthread_##name(obj), "pthread_" #name);	\
	}

XPTHREAD_1(mutex_lock, pthread_mutex_t)
XPTHREAD_1(mutex_unlock, pthread_mutex_t)
XPTHREAD_1(mutex_destroy, pthread_mutex_t)
XPTHREAD_1(cond_signal, pthread_cond_t)
XPTHREAD_1(cond_broadcast, pthread_cond_t)
XPTHREAD_1(cond_destroy, pthread_cond_t)
XPTHREAD_1(rwlock_rdlock, pthread_rwlock_t)
XPTHREAD_1(rwlock_wrlock, pthread_rwlock_t)
XPTHREAD_1(rwlock_unlock, pthread_rwlock_t)

static inline void xcond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	pthread_check(pthread_cond_wait(c, m), "pthread_cond_wait");
}

#endif
