/*
 * xpthread: pthread calls on our own locks and condition variables that
 * cannot fail unless memory is corrupt or the code is wrong. Carrying on
 * would lose or double-fire parked requests or log lines, so a failure
 * stops the program loudly (abort) with what failed.
 */
#ifndef XPTHREAD_H
#define XPTHREAD_H

#include <pthread.h>
#include <time.h>

/* rc is a pthread call's return value: 0, or abort naming what. */
void pthread_check(int rc, const char *what);

static inline void xmutex_lock(pthread_mutex_t *m)
{
	pthread_check(pthread_mutex_lock(m), "pthread_mutex_lock");
}

static inline void xmutex_unlock(pthread_mutex_t *m)
{
	pthread_check(pthread_mutex_unlock(m), "pthread_mutex_unlock");
}

static inline void xcond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	pthread_check(pthread_cond_wait(c, m), "pthread_cond_wait");
}

static inline void xcond_signal(pthread_cond_t *c)
{
	pthread_check(pthread_cond_signal(c), "pthread_cond_signal");
}

static inline void xcond_broadcast(pthread_cond_t *c)
{
	pthread_check(pthread_cond_broadcast(c), "pthread_cond_broadcast");
}

static inline void xmutex_destroy(pthread_mutex_t *m)
{
	pthread_check(pthread_mutex_destroy(m), "pthread_mutex_destroy");
}

static inline void xcond_destroy(pthread_cond_t *c)
{
	pthread_check(pthread_cond_destroy(c), "pthread_cond_destroy");
}

static inline void xrwlock_rdlock(pthread_rwlock_t *l)
{
	pthread_check(pthread_rwlock_rdlock(l), "pthread_rwlock_rdlock");
}

static inline void xrwlock_wrlock(pthread_rwlock_t *l)
{
	pthread_check(pthread_rwlock_wrlock(l), "pthread_rwlock_wrlock");
}

static inline void xrwlock_unlock(pthread_rwlock_t *l)
{
	pthread_check(pthread_rwlock_unlock(l), "pthread_rwlock_unlock");
}

#endif
