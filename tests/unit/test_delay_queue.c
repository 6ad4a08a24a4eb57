/*
 * delay_queue unit tests. Fires are waited for with a condvar and a timeout,
 * never with a bare sleep; "never fires" is proven by a sentinel item with a
 * later deadline firing first on a single worker (one FIFO run list).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delay_queue.h"
#include "duration.h"
#include "mono_cond.h"
#include "tap.h"

#define MS 1000000ull
#define WAIT_MS 10000

struct rec {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int *order;		/* ids in fire order */
	int cap, count;
};

struct titem {
	struct dq_item item;	/* first */
	struct rec *rec;
	int id;
	uint64_t deadline;
	atomic_int fires;
	enum dq_reason why;
	uint64_t fired_ns;
	pthread_t fired_by;
	/* optional behaviour of fire */
	struct delay_queue *q;
	int repark;		/* re-park this many more times */
	struct titem *cancel;	/* cancel this one from fire */
	bool cancel_ok;
	size_t released;	/* dq_release_if(is_even) from fire */
	bool do_release;
	atomic_bool started;
	uint64_t busy_ns;	/* simulate a slow fire */
	bool park_on_shutdown;	/* try dq_park from a DQ_SHUTDOWN fire */
	int park_rc, park_errno;
	bool cancelled;		/* bookkeeping of test_cancel_many */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void rec_init(struct rec *r, int cap)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	mono_cond_init(&r->cv);
	r->order = calloc((size_t)cap, sizeof(int));
	r->cap = cap;
}

static void rec_fini(struct rec *r)
{
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->lock);
	free(r->order);
}

/* Wait until at least n fires were recorded; false on timeout. */
static bool rec_wait(struct rec *r, int n)
{
	uint64_t end = now_ns() + WAIT_MS * MS;
	bool done;

	pthread_mutex_lock(&r->lock);
	while (r->count < n && mono_cond_wait_until(&r->cv, &r->lock, end) == 0)
		;
	done = r->count >= n;
	pthread_mutex_unlock(&r->lock);
	return done;
}

static int rec_count(struct rec *r)
{
	int n;

	pthread_mutex_lock(&r->lock);
	n = r->count;
	pthread_mutex_unlock(&r->lock);
	return n;
}

static bool is_even(struct dq_item *item, void *arg)
{
	(void)arg;
	return ((struct titem *)item)->id % 2 == 0;
}

static bool is_any(struct dq_item *item, void *arg)
{
	(void)item;
	(void)arg;
	return true;
}

static void busy(uint64_t ns)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void tfire(struct dq_item *item, enum dq_reason why)
{
	struct titem *t = (struct titem *)item;
	struct rec *r = t->rec;

	t->fired_ns = now_ns();
	t->fired_by = pthread_self();
	t->why = why;
	atomic_store(&t->started, true);
	if (t->busy_ns)
		busy(t->busy_ns);
	if (t->cancel)
		t->cancel_ok = dq_cancel(t->q, &t->cancel->item);
	if (t->do_release)
		t->released = dq_release_if(t->q, is_even, NULL);
	if (t->park_on_shutdown && why == DQ_SHUTDOWN) {
		t->park_rc = dq_park(t->q, &t->item, now_ns());
		t->park_errno = errno;
	}
	atomic_fetch_add(&t->fires, 1);
	if (t->repark > 0 && why == DQ_DEADLINE) {
		t->repark--;
		t->deadline = now_ns() + 1 * MS;
		if (dq_park(t->q, &t->item, t->deadline) == 0)
			return;
	}
	pthread_mutex_lock(&r->lock);
	if (r->count < r->cap)
		r->order[r->count] = t->id;
	r->count++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->lock);
}

static struct titem *items_new(struct rec *r, struct delay_queue *q, int n)
{
	struct titem *t = calloc((size_t)n, sizeof(*t));
	int i;

	for (i = 0; i < n; i++) {
		t[i].item.fire = tfire;
		t[i].item.heap_idx = SIZE_MAX;
		t[i].rec = r;
		t[i].q = q;
		t[i].id = i;
	}
	return t;
}

static int park(struct delay_queue *q, struct titem *t, uint64_t deadline)
{
	t->deadline = deadline;
	return dq_park(q, &t->item, deadline);
}

static void test_create(void)
{
	struct delay_queue *q;

	errno = 0;
	q = dq_create(0);
	ok(q == NULL && errno == EINVAL, "dq_create(0) fails with EINVAL");
	q = dq_create(3);
	ok(q != NULL && dq_parked(q) == 0, "dq_create(3): empty queue");
	dq_destroy(q);
	dq_destroy(NULL);
	ok(1, "dq_destroy of an empty queue and of NULL return");
}

/* Random deadlines with many ties; one worker, so fire order is the
 * dispatch order: sorted by deadline, ties in park order. */
static void test_order(void)
{
	enum { N = 3000, SLOTS = 25 };
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	uint64_t base;
	bool sorted = true, early = false, parked_in_time;
	int i, fails = 0;

	rec_init(&r, N);
	t = items_new(&r, q, N);
	srand(12345);
	base = now_ns() + 150 * MS;
	for (i = 0; i < N; i++)
		fails += park(q, &t[i], base + (uint64_t)(rand() % SLOTS) * MS)
			 != 0;
	parked_in_time = now_ns() < base;
	ok(fails == 0 && dq_parked(q) <= N, "parked %d items", N);
	ok(rec_wait(&r, N), "all %d fired", N);
	for (i = 1; i < N; i++) {
		struct titem *a = &t[r.order[i - 1]], *b = &t[r.order[i]];

		if (a->deadline > b->deadline ||
		    (a->deadline == b->deadline && a->id > b->id))
			sorted = false;
	}
	for (i = 0; i < N; i++)
		if (t[i].fired_ns < t[i].deadline ||
		    atomic_load(&t[i].fires) != 1 || t[i].why != DQ_DEADLINE)
			early = true;
	if (parked_in_time)
		ok(sorted, "fire order: by deadline, ties in park order");
	else
		skip("parking took longer than 150 ms: order not checkable");
	ok(!early, "each fired once, DQ_DEADLINE, never before its deadline");
	ok(dq_parked(q) == 0, "queue empty afterwards");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

/* Cancel a random half out of the middle of the heap: the rest must still
 * fire in order, the cancelled never. Exercises removal at any index. */
static void test_cancel_many(void)
{
	enum { N = 2000 };
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	uint64_t base;
	bool sorted = true, good = true, in_time;
	int i, kept = 0;

	rec_init(&r, N);
	t = items_new(&r, q, N);
	srand(777);
	base = now_ns() + 150 * MS;
	for (i = 0; i < N; i++)
		park(q, &t[i], base + (uint64_t)(rand() % 40) * MS);
	for (i = 0; i < N; i++) {
		bool c = rand() % 2;

		if (c && !dq_cancel(q, &t[i].item))
			good = false;
		kept += !c;
		t[i].cancelled = c;
	}
	in_time = now_ns() < base;
	ok(good && dq_parked(q) == (size_t)kept, "cancelled %d of %d",
	   N - kept, N);
	ok(rec_wait(&r, kept), "the other %d fired", kept);
	for (i = 1; i < kept; i++) {
		struct titem *a = &t[r.order[i - 1]], *b = &t[r.order[i]];

		if (a->deadline > b->deadline ||
		    (a->deadline == b->deadline && a->id > b->id))
			sorted = false;
	}
	for (i = 0; i < N; i++)
		if (atomic_load(&t[i].fires) != (t[i].cancelled ? 0 : 1))
			good = false;
	if (in_time)
		ok(sorted, "survivors fire in (deadline, park) order");
	else
		skip("parking took longer than 150 ms: order not checkable");
	ok(good, "cancelled never fired, the others once");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

static bool is_11th(struct dq_item *item, void *arg)
{
	(void)arg;
	return ((struct titem *)item)->id % 11 == 0;
}

/*
 * Deadlines mostly in park order, as one rule's delay gives them (those go
 * on the queue's FIFO), some earlier than the last (those go on its heap),
 * ties, cancels from the middle and both ends, and a release that takes
 * from both: what is left must still fire in (deadline, park) order.
 */
static void test_in_order(void)
{
	enum { N = 3000 };
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	uint64_t base, d;
	bool good = true, sorted = true, in_time;
	int i, kept = 0, prev = -1;
	size_t released;

	rec_init(&r, N);
	t = items_new(&r, q, N);
	base = now_ns() + 200 * MS;
	for (i = 0; i < N; i++) {
		d = base + (uint64_t)i * 20000;		/* 20 us apart */
		if (i % 7 == 3)
			d -= 5 * MS;			/* out of order */
		else if (i % 5 == 0 && i > 0)
			d = t[i - 1].deadline;		/* a tie */
		good = park(q, &t[i], d) == 0 && good;
	}
	for (i = 0; i < N; i++) {
		t[i].cancelled = i % 3 == 1 || i == 0 || i == N - 1;
		if (t[i].cancelled && !dq_cancel(q, &t[i].item))
			good = false;
	}
	released = dq_release_if(q, is_11th, NULL);
	in_time = now_ns() < base - 5 * MS;
	for (i = 0; i < N; i++)
		kept += !t[i].cancelled;
	ok(good && dq_parked(q) == (size_t)kept - released,
	   "parked %d, cancelled %d, released %zu", N, N - kept, released);
	ok(rec_wait(&r, kept), "the %d not cancelled fired", kept);
	for (i = 0; i < N; i++) {
		int f = atomic_load(&t[i].fires);
		bool rel = !t[i].cancelled && i % 11 == 0;

		if (f != (t[i].cancelled ? 0 : 1) ||
		    (f && t[i].why != (rel ? DQ_RELEASED : DQ_DEADLINE)))
			good = false;
	}
	ok(good, "cancelled never fired, released with DQ_RELEASED, "
	   "the rest with DQ_DEADLINE");
	for (i = 0; i < kept; i++) {
		struct titem *b = &t[r.order[i]];

		if (b->why != DQ_DEADLINE)
			continue;
		if (prev >= 0 && (t[prev].deadline > b->deadline ||
				  (t[prev].deadline == b->deadline &&
				   t[prev].id > b->id)))
			sorted = false;
		if (b->fired_ns < b->deadline)
			sorted = false;
		prev = b->id;
	}
	if (in_time)
		ok(sorted, "deadline fires in (deadline, park) order, none early");
	else
		skip("parking took longer than 195 ms: order not checkable");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

static void test_cancel(void)
{
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	uint64_t now = now_ns();
	struct titem never = { 0 };

	rec_init(&r, 8);
	t = items_new(&r, q, 4);
	park(q, &t[0], now + 20 * MS);
	park(q, &t[1], now + 60 * MS);		/* sentinel */
	ok(dq_parked(q) == 2, "two parked");
	ok(dq_cancel(q, &t[0].item), "cancel before the deadline: true");
	ok(!dq_cancel(q, &t[0].item), "cancel again: false");
	ok(dq_parked(q) == 1, "one parked after cancel");
	ok(rec_wait(&r, 1) && r.order[0] == 1, "sentinel fired");
	ok(atomic_load(&t[0].fires) == 0, "cancelled item never fired");
	ok(!dq_cancel(q, &t[1].item), "cancel after firing: false");
	never.item.fire = tfire;	/* zeroed: heap_idx 0, never parked */
	ok(!dq_cancel(q, &never.item), "cancel of a never-parked item: false");
	/* a cancelled item can be parked again */
	ok(park(q, &t[0], now_ns()) == 0 && rec_wait(&r, 2) &&
	   atomic_load(&t[0].fires) == 1, "cancelled item re-parked fires");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

static void test_release(void)
{
	enum { N = 10 };
	struct rec r;
	struct delay_queue *q = dq_create(2);
	struct titem *t;
	uint64_t far = now_ns() + 10000 * MS;
	bool good = true;
	size_t n;
	int i;

	rec_init(&r, N);
	t = items_new(&r, q, N);
	for (i = 0; i < N; i++)
		park(q, &t[i], far + (uint64_t)(N - i) * MS);
	n = dq_release_if(q, is_even, NULL);
	ok(n == N / 2, "release_if returned %zu (want %d)", n, N / 2);
	ok(rec_wait(&r, N / 2), "released items fired");
	for (i = 0; i < N; i++) {
		int f = atomic_load(&t[i].fires);

		if (i % 2 == 0 && (f != 1 || t[i].why != DQ_RELEASED ||
				   t[i].fired_ns >= t[i].deadline))
			good = false;
		if (i % 2 == 1 && f != 0)
			good = false;
	}
	ok(good, "only matching items fired, with DQ_RELEASED, early");
	ok(dq_parked(q) == N / 2, "the others stay parked");
	ok(dq_release_if(q, is_even, NULL) == 0, "release again: none match");
	for (i = 1; i < N; i += 2)
		good = dq_cancel(q, &t[i].item) && good;
	ok(good && dq_parked(q) == 0, "the rest cancel fine (heap intact)");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

static void test_inf(void)
{
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	int i;
	bool good = true;

	rec_init(&r, 8);
	t = items_new(&r, q, 4);
	for (i = 0; i < 3; i++)
		park(q, &t[i], DURATION_INF);
	park(q, &t[3], now_ns() + 30 * MS);	/* sentinel */
	ok(rec_wait(&r, 1) && r.order[0] == 3, "sentinel fired");
	ok(rec_count(&r) == 1 && dq_parked(q) == 3,
	   "DURATION_INF items did not fire");
	ok(dq_release_if(q, is_any, NULL) == 3 && rec_wait(&r, 4),
	   "released, they fire");
	for (i = 0; i < 3; i++)
		if (atomic_load(&t[i].fires) != 1 || t[i].why != DQ_RELEASED)
			good = false;
	ok(good, "each once with DQ_RELEASED");
	/* released in park order (deadlines all equal) */
	ok(r.order[1] == 0 && r.order[2] == 1 && r.order[3] == 2,
	   "released holds fire in park order");
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

static void test_destroy(void)
{
	enum { N = 50 };
	struct rec r;
	struct delay_queue *q = dq_create(2);
	struct titem *t, *slow;
	pthread_t self = pthread_self();
	bool good = true, waited;
	int i;

	rec_init(&r, N + 1);
	t = items_new(&r, q, N + 1);
	slow = &t[N];
	slow->busy_ns = 50 * MS;
	park(q, slow, now_ns());
	for (i = 0; i < N; i++)
		park(q, &t[i], i % 2 ? DURATION_INF : now_ns() + 10000 * MS);
	/* wait (bounded) for the slow fire to be running on a worker */
	for (i = 0; i < WAIT_MS && !atomic_load(&slow->started); i++)
		busy(MS);
	waited = atomic_load(&slow->started);
	dq_destroy(q);
	ok(waited && atomic_load(&slow->fires) == 1 &&
	   slow->why == DQ_DEADLINE, "a fire in progress finished first");
	for (i = 0; i < N; i++)
		if (atomic_load(&t[i].fires) != 1 ||
		    t[i].why != DQ_SHUTDOWN ||
		    !pthread_equal(t[i].fired_by, self))
			good = false;
	ok(good, "destroy fired each remaining item once, DQ_SHUTDOWN, "
	   "on the destroying thread");
	ok(rec_count(&r) == N + 1, "fire count %d == %d", rec_count(&r), N + 1);
	free(t);
	rec_fini(&r);
}

static void test_reentrant(void)
{
	struct rec r;
	struct delay_queue *q = dq_create(2);
	struct titem *t;
	uint64_t far = now_ns() + 10000 * MS;

	rec_init(&r, 16);
	t = items_new(&r, q, 6);
	t[0].repark = 4;
	park(q, &t[0], now_ns() + 1 * MS);
	ok(rec_wait(&r, 1) && atomic_load(&t[0].fires) == 5 &&
	   t[0].why == DQ_DEADLINE, "fire re-parked its item 4 times: 5 fires");

	/* t[1]'s fire cancels t[3] and releases the even ones (t[2], t[4]) */
	t[1].id = 1;
	t[1].cancel = &t[3];
	t[1].do_release = true;
	park(q, &t[2], far);
	park(q, &t[3], far);
	park(q, &t[4], far);
	park(q, &t[5], far);
	park(q, &t[1], now_ns());
	ok(rec_wait(&r, 4), "fire calling cancel and release_if: no deadlock");
	ok(t[1].cancel_ok && atomic_load(&t[3].fires) == 0,
	   "cancel from fire removed the item");
	ok(t[1].released == 2 && t[2].why == DQ_RELEASED &&
	   t[4].why == DQ_RELEASED, "release_if from fire released 2");
	ok(dq_parked(q) == 1, "one left parked");
	dq_destroy(q);
	ok(atomic_load(&t[5].fires) == 1 && t[5].why == DQ_SHUTDOWN,
	   "leftover fired at destroy");
	free(t);
	rec_fini(&r);
}

/* Once destroy has begun, parking is refused (ESHUTDOWN): a fire that
 * re-parks on DQ_SHUTDOWN keeps its item instead of looping. */
static void test_park_during_destroy(void)
{
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;

	rec_init(&r, 4);
	t = items_new(&r, q, 1);
	t[0].park_on_shutdown = true;
	park(q, &t[0], DURATION_INF);
	dq_destroy(q);
	ok(atomic_load(&t[0].fires) == 1 && t[0].why == DQ_SHUTDOWN,
	   "held item fired once at destroy");
	ok(t[0].park_rc == -1 && t[0].park_errno == ESHUTDOWN,
	   "dq_park from a DQ_SHUTDOWN fire: -1, ESHUTDOWN");
	free(t);
	rec_fini(&r);
}

/* An item parked with a deadline already past fires promptly. */
static void test_past(void)
{
	struct rec r;
	struct delay_queue *q = dq_create(1);
	struct titem *t;
	uint64_t now = now_ns();

	rec_init(&r, 4);
	t = items_new(&r, q, 2);
	park(q, &t[0], now - 5 * MS);
	park(q, &t[1], now + 10000 * MS);
	ok(rec_wait(&r, 1) && r.order[0] == 0, "past deadline fires at once");
	ok(t[0].fired_ns - now < 1000 * MS, "within a second (%.3f ms)",
	   (double)(t[0].fired_ns - now) / 1e6);
	dq_destroy(q);
	free(t);
	rec_fini(&r);
}

int main(void)
{
	test_create();
	test_order();
	test_cancel();
	test_cancel_many();
	test_in_order();
	test_release();
	test_inf();
	test_destroy();
	test_reentrant();
	test_park_during_destroy();
	test_past();
	return tap_done();
}
