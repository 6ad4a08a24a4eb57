/*
 * delay_queue: parked items ordered by (deadline, seq) in two places: a FIFO
 * of items parked in that order, and a binary min-heap of the rest. Most
 * items come in order (one rule's delay, requests arriving one after the
 * other), and for them parking, firing and cancelling are O(1); with 10,000
 * parked, the heap's sift-down alone was 11 % of the answering thread's
 * time. Then a FIFO run list of released items, and a few workers in a leader/follower
 * pattern: one idle worker (the leader) sleeps until the earliest deadline,
 * the others wait to be needed. A worker that finds an item due takes it
 * and fires it itself, without the lock; before that it passes the
 * leadership to an idle worker if more items are waiting.
 *
 * Why not a timer thread that hands due items to workers: on a VM every
 * wake-up is expensive (perf showed a third of lagfs's time in them with
 * 10,000 parked reads), and the hand-off costs one per item. Here a due
 * item is fired by the thread the deadline woke, and when replies fall
 * behind, workers go from one due item to the next without sleeping.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "delay_queue.h"
#include "clock.h"
#include "duration.h"
#include "mono_cond.h"
#include "quiet_thread.h"
#include "xpthread.h"

#define DQ_HEAP_MIN 64

struct delay_queue {
	pthread_mutex_t lock;
	pthread_cond_t timer_cv;	/* the leader: CLOCK_MONOTONIC; earlier
					 * item parked, released items, stop */
	pthread_cond_t work_cv;		/* followers: become the leader, or
					 * fire released items */

	struct dq_item **heap;
	size_t n, cap;
	uint64_t next_seq;

	struct dq_item *fifo_head, *fifo_tail;	/* parked in order */
	size_t nfifo;

	struct dq_item *run_head, *run_tail;	/* released, FIFO */
	bool leader;				/* a worker waits on timer_cv */
	unsigned idle;				/* workers waiting on work_cv */
	unsigned waking;			/* of those, signalled */

	bool stopping;
	pthread_t *workers;
	unsigned nworkers;			/* started successfully */
};

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

/* ---- the in-order FIFO -------------------------------------------------- */

/* Items without a deadline stay in the heap: at the FIFO's tail they would
 * send every later item to the heap. */
static bool fifo_takes(const struct delay_queue *q, const struct dq_item *it)
{
	return it->deadline_ns != DURATION_INF &&
	       (!q->fifo_tail || !dq_before(it, q->fifo_tail));
}

static void fifo_push(struct delay_queue *q, struct dq_item *it)
{
	it->heap_idx = SIZE_MAX;
	it->in_fifo = true;
	it->next = NULL;
	it->prev = q->fifo_tail;
	if (q->fifo_tail)
		q->fifo_tail->next = it;
	else
		q->fifo_head = it;
	q->fifo_tail = it;
	q->nfifo++;
}

static void fifo_unlink(struct delay_queue *q, struct dq_item *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		q->fifo_head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		q->fifo_tail = it->prev;
	it->next = it->prev = NULL;
	it->in_fifo = false;
	q->nfifo--;
}

/* The parked item that is due first, or NULL. */
static struct dq_item *earliest(const struct delay_queue *q)
{
	struct dq_item *h = q->n ? q->heap[0] : NULL, *f = q->fifo_head;

	if (!h || !f)
		return h ? h : f;
	return dq_before(f, h) ? f : h;
}

static void take_out(struct delay_queue *q, struct dq_item *it)
{
	if (it->in_fifo)
		fifo_unlink(q, it);
	else
		heap_remove(q, it->heap_idx);
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
 * Wake one follower per item that needs a thread, not all of them: a herd
 * woken for two items competes for the CPUs with the workers already busy.
 * waking counts signals not yet taken, so a burst does not re-signal the
 * same sleepers.
 */
static void wake_followers(struct delay_queue *q, size_t n)
{
	while (n-- > 0 && q->waking < q->idle) {
		q->waking++;
		xcond_signal(&q->work_cv);
	}
}

/* Wake up to n workers for n items that need one: the leader first. */
static void wake_for(struct delay_queue *q, size_t n)
{
	if (n > 0 && q->leader) {
		xcond_signal(&q->timer_cv);
		n--;
	}
	wake_followers(q, n);
}

/* ---- workers ------------------------------------------------------------- */

/* A released item, else the earliest parked item if it is due. Locked. */
static struct dq_item *take_due(struct delay_queue *q)
{
	struct dq_item *it = run_pop(q);

	if (it)
		return it;
	it = earliest(q);
	if (!it || it->deadline_ns > lag_now_ns())
		return NULL;
	take_out(q, it);
	it->why = DQ_DEADLINE;
	return it;
}

/* Sleep as the leader until the earliest deadline or a signal. Locked. */
static void lead(struct delay_queue *q)
{
	struct dq_item *first = earliest(q);
	uint64_t next = first ? first->deadline_ns : DURATION_INF;
	int rc;

	q->leader = true;
	if (next == DURATION_INF) {
		xcond_wait(&q->timer_cv, &q->lock);
	} else {
		rc = mono_cond_wait_until(&q->timer_cv, &q->lock, next);
		if (rc != ETIMEDOUT)
			pthread_check(rc, "pthread_cond_timedwait");
	}
	q->leader = false;
}

static void follow(struct delay_queue *q)
{
	q->idle++;
	xcond_wait(&q->work_cv, &q->lock);
	q->idle--;
	/* A spurious wake-up may take another's signal: then waking is low
	 * and a later item signals once more. */
	if (q->waking > 0)
		q->waking--;
}

static void *worker_main(void *arg)
{
	struct delay_queue *q = arg;

	/*
	 * The default 50 us slack lets the kernel coalesce our wake-up with
	 * others; the leader's whole point is to wake on time. Failure only
	 * costs precision, so it is not an error.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	/* For top -H and perf; a name is a nicety, not worth an error. */
	(void)pthread_setname_np(pthread_self(), "lagfs-dq");

	xmutex_lock(&q->lock);
	/* On stop, leftovers go to dq_destroy, which fires them with
	 * DQ_SHUTDOWN. */
	while (!q->stopping) {
		struct dq_item *it = take_due(q);

		if (!it) {
			if (q->leader)
				follow(q);
			else
				lead(q);
			continue;
		}
		/* Someone must watch what is left while this fire runs. */
		if (!q->leader && (q->run_head || q->n || q->nfifo))
			wake_followers(q, 1);
		xmutex_unlock(&q->lock);
		it->fire(it, it->why);
		xmutex_lock(&q->lock);
	}
	xmutex_unlock(&q->lock);
	return NULL;
}

/* ---- setup and teardown -------------------------------------------------- */

static int dq_init_sync(struct delay_queue *q)
{
	int rc = mono_lock_init(&q->lock, &q->timer_cv);

	if (rc)
		return rc;
	rc = pthread_cond_init(&q->work_cv, NULL);
	if (rc)
		mono_lock_destroy(&q->lock, &q->timer_cv);
	return rc;
}

static void dq_fini_sync(struct delay_queue *q)
{
	xcond_destroy(&q->work_cv);
	mono_lock_destroy(&q->lock, &q->timer_cv);
}

static int dq_start_threads(struct delay_queue *q, unsigned nworkers)
{
	int rc = 0;

	while (rc == 0 && q->nworkers < nworkers) {
		rc = quiet_thread_start(&q->workers[q->nworkers], worker_main,
					q);
		if (rc == 0)
			q->nworkers++;
	}
	return rc;
}

static void dq_stop_threads(struct delay_queue *q)
{
	unsigned i;

	xmutex_lock(&q->lock);
	q->stopping = true;
	xcond_broadcast(&q->timer_cv);
	xcond_broadcast(&q->work_cv);
	xmutex_unlock(&q->lock);
	for (i = 0; i < q->nworkers; i++)
		pthread_check(pthread_join(q->workers[i], NULL), "pthread_join");
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
	rc = q->workers ? dq_init_sync(q) : ENOMEM;
	if (rc) {
		free(q->workers);
		free(q);
		errno = rc;
		return NULL;
	}
	rc = dq_start_threads(q, nworkers);
	if (rc) {
		/* stops the workers that did start; nothing is parked yet */
		dq_destroy(q);
		errno = rc;
		return NULL;
	}
	return q;
}

/* Next item for dq_destroy: due ones first, then by deadline. */
static struct dq_item *take_any(struct delay_queue *q)
{
	struct dq_item *it;

	xmutex_lock(&q->lock);
	it = run_pop(q);
	if (!it && (it = earliest(q)))
		take_out(q, it);
	xmutex_unlock(&q->lock);
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
	xmutex_lock(&q->lock);
	if (q->stopping) {
		/* dq_destroy has started: the caller keeps the item rather
		 * than have it fired again and again by a re-parking fire. */
		xmutex_unlock(&q->lock);
		errno = ESHUTDOWN;
		return -1;
	}
	item->deadline_ns = deadline_ns;
	item->seq = q->next_seq++;
	if (fifo_takes(q, item)) {
		fifo_push(q, item);
	} else if (heap_reserve(q) == 0) {
		item->next = item->prev = NULL;
		item->in_fifo = false;
		q->heap[q->n++] = item;
		heap_up(q, q->n - 1);
	} else {
		xmutex_unlock(&q->lock);
		errno = ENOMEM;
		return -1;
	}
	/*
	 * Only a new earliest deadline changes when the leader must wake. With
	 * no leader (the last one is firing), an idle worker must take over,
	 * or the item would wait for that fire to end.
	 */
	if (!q->leader)
		wake_followers(q, 1);
	else if (item == earliest(q) && deadline_ns != DURATION_INF)
		xcond_signal(&q->timer_cv);
	xmutex_unlock(&q->lock);
	return 0;
}

bool dq_cancel(struct delay_queue *q, struct dq_item *item)
{
	size_t i;
	bool parked;

	xmutex_lock(&q->lock);
	/* Also check the slot: a zeroed, never-parked item has heap_idx 0. */
	i = item->heap_idx;
	parked = item->in_fifo || (i < q->n && q->heap[i] == item);
	if (parked)
		take_out(q, item);
	xmutex_unlock(&q->lock);
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
	struct dq_item *list = NULL, **tail = &list, *it, *next;
	size_t i, kept = 0, k, from_fifo = 0;

	xmutex_lock(&q->lock);
	/* One pass that compacts the kept items, then an O(n) heapify: cheaper
	 * than k O(log n) removals when many match. */
	for (i = 0; i < q->n; i++) {
		it = q->heap[i];
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
	q->n = kept;
	if (k > 0)
		heap_rebuild(q);
	for (it = q->fifo_head; it; it = next) {
		next = it->next;
		if (!pred(it, arg))
			continue;
		fifo_unlink(q, it);
		*tail = it;
		tail = &it->next;
		from_fifo++;
	}
	k += from_fifo;
	if (k > 0) {
		list = list_sort(list, k);
		while (list) {
			next = list->next;
			run_push(q, list, DQ_RELEASED);
			list = next;
		}
		wake_for(q, k);
	}
	xmutex_unlock(&q->lock);
	return k;
}

size_t dq_parked(struct delay_queue *q)
{
	size_t n;

	xmutex_lock(&q->lock);
	n = q->n + q->nfifo;
	xmutex_unlock(&q->lock);
	return n;
}
