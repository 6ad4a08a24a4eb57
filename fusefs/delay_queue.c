/*
 * delay_queue: a binary min-heap of parked items ordered by (deadline, seq),
 * one timer thread that sleeps until the earliest deadline and moves due
 * items to a FIFO run list, and a few workers that pop the run list and call
 * fire without the lock held.
 *
 * Locking: one mutex guards everything. fire always runs unlocked, so it may
 * call back into the queue. Once an item is handed to fire the queue never
 * looks at it again: fire may free or re-park it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "delay_queue.h"
#include "duration.h"

#define DQ_HEAP_MIN 64

struct delay_queue {
	pthread_mutex_t lock;
	pthread_cond_t timer_cv;	/* CLOCK_MONOTONIC; earlier item parked */
	pthread_cond_t work_cv;		/* run list got items, or stopping */

	struct dq_item **heap;
	size_t n, cap;
	uint64_t next_seq;

	struct dq_item *run_head, *run_tail;	/* due, FIFO */
	unsigned idle;				/* workers waiting on work_cv */
	unsigned waking;			/* of those, signalled */

	bool stopping;
	bool timer_started;
	pthread_t timer;
	pthread_t *workers;
	unsigned nworkers;			/* started successfully */
};

/* A pthread call on our own objects failing means memory corruption or a
 * bug; carrying on would lose or double-fire items, so stop loudly. */
static void dq_check(int rc, const char *what)
{
	if (rc == 0)
		return;
	fprintf(stderr, "delay_queue: %s: %s\n", what, strerror(rc));
	abort();
}

static void dq_lock(struct delay_queue *q)
{
	dq_check(pthread_mutex_lock(&q->lock), "mutex_lock");
}

static void dq_unlock(struct delay_queue *q)
{
	dq_check(pthread_mutex_unlock(&q->lock), "mutex_unlock");
}

static uint64_t dq_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		dq_check(errno, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- heap ---------------------------------------------------------------- */

static bool dq_before(const struct dq_item *a, const struct dq_item *b)
{
	if (a->deadline_ns != b->deadline_ns)
		return a->deadline_ns < b->deadline_ns;
	return a->seq < b->seq;
}

static void heap_set(struct delay_queue *q, size_t i, struct dq_item *it)
{
	q->heap[i] = it;
	it->heap_idx = i;
}

static void heap_up(struct delay_queue *q, size_t i)
{
	struct dq_item *it = q->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!dq_before(it, q->heap[parent]))
			break;
		heap_set(q, i, q->heap[parent]);
		i = parent;
	}
	heap_set(q, i, it);
}

static void heap_down(struct delay_queue *q, size_t i)
{
	struct dq_item *it = q->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && dq_before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!dq_before(q->heap[c], it))
			break;
		heap_set(q, i, q->heap[c]);
		i = c;
	}
	heap_set(q, i, it);
}

static int heap_reserve(struct delay_queue *q)
{
	struct dq_item **h;
	size_t cap;

	if (q->n < q->cap)
		return 0;
	cap = q->cap ? q->cap * 2 : DQ_HEAP_MIN;
	h = realloc(q->heap, cap * sizeof(*h));
	if (!h)
		return -1;
	q->heap = h;
	q->cap = cap;
	return 0;
}

/* Take the item at heap index i out of the heap. */
static void heap_remove(struct delay_queue *q, size_t i)
{
	struct dq_item *it = q->heap[i];

	q->n--;
	if (i != q->n) {
		heap_set(q, i, q->heap[q->n]);
		/* The moved item may belong above or below i. */
		if (i > 0 && dq_before(q->heap[i], q->heap[(i - 1) / 2]))
			heap_up(q, i);
		else
			heap_down(q, i);
	}
	it->heap_idx = SIZE_MAX;
}

static void heap_rebuild(struct delay_queue *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		q->heap[i]->heap_idx = i;
	for (i = q->n / 2; i-- > 0;)
		heap_down(q, i);
}

/* ---- run list ------------------------------------------------------------ */

static void run_push(struct delay_queue *q, struct dq_item *it,
		     enum dq_reason why)
{
	it->why = why;
	it->next = NULL;
	if (q->run_tail)
		q->run_tail->next = it;
	else
		q->run_head = it;
	q->run_tail = it;
}

static struct dq_item *run_pop(struct delay_queue *q)
{
	struct dq_item *it = q->run_head;

	if (!it)
		return NULL;
	q->run_head = it->next;
	if (!q->run_head)
		q->run_tail = NULL;
	it->next = NULL;
	return it;
}

/*
 * Wake one idle worker per new item, not all of them: a herd of workers
 * woken for two items competes for the CPUs with the timer thread, whose
 * punctuality everything depends on. waking counts signals not yet taken
 * by a worker, so a burst of moves does not re-signal the same sleepers.
 */
static void wake_workers(struct delay_queue *q, size_t n)
{
	while (n-- > 0 && q->waking < q->idle) {
		q->waking++;
		dq_check(pthread_cond_signal(&q->work_cv), "cond_signal");
	}
}

/* ---- threads ------------------------------------------------------------- */

static void deadline_ts(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* Move every due item to the run list; returns how many. Locked. */
static size_t move_due(struct delay_queue *q, uint64_t now)
{
	size_t moved = 0;

	while (q->n > 0 && q->heap[0]->deadline_ns <= now) {
		struct dq_item *it = q->heap[0];

		heap_remove(q, 0);
		run_push(q, it, DQ_DEADLINE);
		moved++;
	}
	return moved;
}

static void *timer_main(void *arg)
{
	struct delay_queue *q = arg;

	/*
	 * The default 50 us slack lets the kernel coalesce our wake-up with
	 * others; the whole point of this thread is to wake on time. Failure
	 * only costs precision, so it is not an error.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	dq_lock(q);
	while (!q->stopping) {
		struct timespec ts;
		uint64_t next;
		int rc;

		wake_workers(q, move_due(q, dq_now()));
		next = q->n ? q->heap[0]->deadline_ns : DURATION_INF;
		if (next == DURATION_INF) {
			dq_check(pthread_cond_wait(&q->timer_cv, &q->lock),
				 "cond_wait");
			continue;
		}
		deadline_ts(next, &ts);
		rc = pthread_cond_timedwait(&q->timer_cv, &q->lock, &ts);
		if (rc != ETIMEDOUT)
			dq_check(rc, "cond_timedwait");
	}
	dq_unlock(q);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct delay_queue *q = arg;

	dq_lock(q);
	for (;;) {
		struct dq_item *it;
		enum dq_reason why;

		/* On stop, leftovers go to dq_destroy, which fires them with
		 * DQ_SHUTDOWN. */
		while (!q->stopping && !q->run_head) {
			q->idle++;
			dq_check(pthread_cond_wait(&q->work_cv, &q->lock),
				 "cond_wait");
			q->idle--;
			/* A spurious wake-up may take another's signal: then
			 * waking is low and a later move signals once more. */
			if (q->waking > 0)
				q->waking--;
		}
		if (q->stopping)
			break;
		it = run_pop(q);
		why = it->why;
		dq_unlock(q);
		it->fire(it, why);
		dq_lock(q);
	}
	dq_unlock(q);
	return NULL;
}

/* ---- setup and teardown -------------------------------------------------- */

static int dq_init_sync(struct delay_queue *q)
{
	pthread_condattr_t ca;
	int rc;

	rc = pthread_mutex_init(&q->lock, NULL);
	if (rc)
		return rc;
	rc = pthread_condattr_init(&ca);
	if (rc)
		goto err_mutex;
	/* Deadlines are CLOCK_MONOTONIC; a realtime clock step must not
	 * make items fire early or hang. */
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&q->timer_cv, &ca);
	dq_check(pthread_condattr_destroy(&ca), "condattr_destroy");
	if (rc)
		goto err_mutex;
	rc = pthread_cond_init(&q->work_cv, NULL);
	if (rc)
		goto err_timer_cv;
	return 0;

err_timer_cv:
	dq_check(pthread_cond_destroy(&q->timer_cv), "cond_destroy");
err_mutex:
	dq_check(pthread_mutex_destroy(&q->lock), "mutex_destroy");
	return rc;
}

static void dq_fini_sync(struct delay_queue *q)
{
	dq_check(pthread_cond_destroy(&q->work_cv), "cond_destroy");
	dq_check(pthread_cond_destroy(&q->timer_cv), "cond_destroy");
	dq_check(pthread_mutex_destroy(&q->lock), "mutex_destroy");
}

/*
 * Our threads run with every signal blocked: process signals (SIGINT,
 * SIGTERM for unmounting) must reach the threads that expect them, not a
 * timer sleeping in a condvar. They inherit the mask from the creator.
 */
static int dq_start_threads(struct delay_queue *q, unsigned nworkers)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	rc = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (rc)
		return rc;
	rc = pthread_create(&q->timer, NULL, timer_main, q);
	q->timer_started = rc == 0;
	while (rc == 0 && q->nworkers < nworkers) {
		rc = pthread_create(&q->workers[q->nworkers], NULL,
				    worker_main, q);
		if (rc == 0)
			q->nworkers++;
	}
	dq_check(pthread_sigmask(SIG_SETMASK, &old, NULL), "sigmask");
	return rc;
}

static void dq_stop_threads(struct delay_queue *q)
{
	unsigned i;

	dq_lock(q);
	q->stopping = true;
	dq_check(pthread_cond_broadcast(&q->timer_cv), "cond_broadcast");
	dq_check(pthread_cond_broadcast(&q->work_cv), "cond_broadcast");
	dq_unlock(q);
	if (q->timer_started)
		dq_check(pthread_join(q->timer, NULL), "join");
	for (i = 0; i < q->nworkers; i++)
		dq_check(pthread_join(q->workers[i], NULL), "join");
}

struct delay_queue *dq_create(unsigned nworkers)
{
	struct delay_queue *q;
	int rc;

	if (nworkers == 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->workers = calloc(nworkers, sizeof(*q->workers));
	if (!q->workers) {
		rc = ENOMEM;
		goto err_free;
	}
	rc = dq_init_sync(q);
	if (rc)
		goto err_free;
	rc = dq_start_threads(q, nworkers);
	if (rc) {
		dq_stop_threads(q);
		dq_fini_sync(q);
		goto err_free;
	}
	return q;

err_free:
	free(q->workers);
	free(q);
	errno = rc;
	return NULL;
}

/* Next item for dq_destroy: due ones first, then by deadline. */
static struct dq_item *take_any(struct delay_queue *q)
{
	struct dq_item *it;

	dq_lock(q);
	it = run_pop(q);
	if (!it && q->n > 0) {
		it = q->heap[0];
		heap_remove(q, 0);
	}
	dq_unlock(q);
	return it;
}

void dq_destroy(struct delay_queue *q)
{
	struct dq_item *it;

	if (!q)
		return;
	/* Workers finish the fire they are in, then exit; what they leave on
	 * the run list is fired below like the parked items. */
	dq_stop_threads(q);
	/* One at a time, unlocked: fire may cancel or release other items. */
	while ((it = take_any(q)))
		it->fire(it, DQ_SHUTDOWN);
	dq_fini_sync(q);
	free(q->heap);
	free(q->workers);
	free(q);
}

/* ---- operations ---------------------------------------------------------- */

int dq_park(struct delay_queue *q, struct dq_item *item, uint64_t deadline_ns)
{
	dq_lock(q);
	if (q->stopping) {
		/* dq_destroy has started: the caller keeps the item rather
		 * than have it fired again and again by a re-parking fire. */
		dq_unlock(q);
		errno = ESHUTDOWN;
		return -1;
	}
	if (heap_reserve(q) != 0) {
		dq_unlock(q);
		errno = ENOMEM;
		return -1;
	}
	item->deadline_ns = deadline_ns;
	item->seq = q->next_seq++;
	item->next = NULL;
	q->heap[q->n++] = item;
	heap_up(q, q->n - 1);
	/* Only a new earliest deadline changes when the timer must wake. */
	if (item->heap_idx == 0 && deadline_ns != DURATION_INF)
		dq_check(pthread_cond_signal(&q->timer_cv), "cond_signal");
	dq_unlock(q);
	return 0;
}

bool dq_cancel(struct delay_queue *q, struct dq_item *item)
{
	size_t i;
	bool parked;

	dq_lock(q);
	/* Also check the slot: a zeroed, never-parked item has heap_idx 0. */
	i = item->heap_idx;
	parked = i < q->n && q->heap[i] == item;
	if (parked)
		heap_remove(q, i);
	dq_unlock(q);
	return parked;
}

static struct dq_item *list_merge(struct dq_item *a, struct dq_item *b)
{
	struct dq_item *head = NULL, **tail = &head;

	while (a && b) {
		struct dq_item **min = dq_before(b, a) ? &b : &a;

		*tail = *min;
		tail = &(*min)->next;
		*min = (*min)->next;
	}
	*tail = a ? a : b;
	return head;
}

/* Merge sort by (deadline, seq): released items fire in the order they
 * would have without the release (for holds: park order). */
static struct dq_item *list_sort(struct dq_item *l, size_t n)
{
	struct dq_item *mid, **cut = &l;
	size_t i;

	if (n < 2)
		return l;
	for (i = 0; i < n / 2; i++)
		cut = &(*cut)->next;
	mid = *cut;
	*cut = NULL;
	return list_merge(list_sort(l, n / 2), list_sort(mid, n - n / 2));
}

size_t dq_release_if(struct delay_queue *q,
		     bool (*pred)(struct dq_item *item, void *arg), void *arg)
{
	struct dq_item *list = NULL, **tail = &list;
	size_t i, kept = 0, k;

	dq_lock(q);
	/* One pass that compacts the kept items, then an O(n) heapify: cheaper
	 * than k O(log n) removals when many match. */
	for (i = 0; i < q->n; i++) {
		struct dq_item *it = q->heap[i];

		if (!pred(it, arg)) {
			q->heap[kept++] = it;
			continue;
		}
		it->heap_idx = SIZE_MAX;
		it->next = NULL;
		*tail = it;
		tail = &it->next;
	}
	k = q->n - kept;
	if (k > 0) {
		q->n = kept;
		heap_rebuild(q);
		list = list_sort(list, k);
		while (list) {
			struct dq_item *next = list->next;

			run_push(q, list, DQ_RELEASED);
			list = next;
		}
		wake_workers(q, k);
	}
	dq_unlock(q);
	return k;
}

size_t dq_parked(struct delay_queue *q)
{
	size_t n;

	dq_lock(q);
	n = q->n;
	dq_unlock(q);
	return n;
}
