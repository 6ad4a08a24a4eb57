/*
 * delay_queue: park work items until a deadline, then run them on a small
 * fixed pool of worker threads. No thread per item: 10,000 parked items cost
 * 10,000 heap slots and the workers, one of which sleeps until the earliest
 * deadline.
 *
 * An item is parked with a deadline (DURATION_INF: until released or
 * cancelled). When it leaves the queue, exactly one of these happens:
 *   - its deadline passes: fire(item, DQ_DEADLINE) on a worker;
 *   - dq_release_if() picks it: fire(item, DQ_RELEASED) on a worker;
 *   - dq_cancel() removes it: the caller owns it, fire is not called;
 *   - dq_destroy(): fire(item, DQ_SHUTDOWN), on the destroying thread.
 * The queue never frees items; fire (or the canceller) does.
 *
 * Items with equal deadlines fire in the order they were parked.
 * Workers fire items as soon as they are due: while any worker is idle, one
 * of them watches the deadlines, so a slow fire delays other items only
 * when every worker is busy firing.
 */
#ifndef DELAY_QUEUE_H
#define DELAY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dq_reason { DQ_DEADLINE, DQ_RELEASED, DQ_SHUTDOWN };

struct dq_item {
	uint64_t deadline_ns;               /* CLOCK_MONOTONIC */
	void (*fire)(struct dq_item *item, enum dq_reason why);
	/* private to the queue */
	size_t heap_idx;                    /* SIZE_MAX when not in the heap */
	uint64_t seq;
	struct dq_item *next, *prev;        /* run list (next only), fifo */
	bool in_fifo;
	enum dq_reason why;                 /* on the run list: how it fires */
};

struct delay_queue;

/* Start nworkers workers (>= 1). NULL on failure with
 * errno set. */
struct delay_queue *dq_create(unsigned nworkers);

/* Fire every parked and due item with DQ_SHUTDOWN, stop the threads, free
 * the queue. Items being fired by workers finish first. Not from a fire. */
void dq_destroy(struct delay_queue *q);

/* Park item until deadline_ns (absolute CLOCK_MONOTONIC; DURATION_INF for
 * no deadline). item->fire must be set. Returns 0, or -1 (ENOMEM; or
 * ESHUTDOWN once dq_destroy has begun, e.g. from a fire): on -1 the caller
 * still owns the item. */
int dq_park(struct delay_queue *q, struct dq_item *item, uint64_t deadline_ns);

/* Remove item if it is still parked. true: removed, the caller owns it and
 * fire will not be called. false: it already left (it is firing or fired). */
bool dq_cancel(struct delay_queue *q, struct dq_item *item);

/* Fire (DQ_RELEASED) every parked item for which pred returns true; pred runs
 * under the queue's lock and must be quick. Returns how many. */
size_t dq_release_if(struct delay_queue *q,
		     bool (*pred)(struct dq_item *item, void *arg), void *arg);

/* Number of items parked now. */
size_t dq_parked(struct delay_queue *q);

#endif
