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

#include "clock.h"
#include "delay_queue.h"
#include "duration.h"
#include "harness.h"
#include "mono_cond.h"
#include "xpthread.h"

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
	bool unfired;		/* the test expects no fire */
};

/* A queue, n items for it and the record of their fires. */
FIXTURE(dq) {
	struct rec r;
	struct delay_queue *q;	/* NULL once the test destroyed it */
	struct titem *t;
	int n;
};

static bool is_even(struct dq_item *item, void *arg)
{
	(void)arg;
	return ((struct titem *)item)->id % 2 == 0;
}

static bool is_11th(struct dq_item *item, void *arg)
{
	(void)arg;
	return ((struct titem *)item)->id % 11 == 0;
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

	t->fired_ns = lag_now_ns();
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
		t->park_rc = dq_park(t->q, &t->item, lag_now_ns());
		t->park_errno = errno;
	}
	atomic_fetch_add(&t->fires, 1);
	if (t->repark > 0 && why == DQ_DEADLINE) {
		t->repark--;
		t->deadline = lag_now_ns() + 1 * MS;
		if (dq_park(t->q, &t->item, t->deadline) == 0)
			return;
	}
	xmutex_lock(&r->lock);
	if (r->count < r->cap)
		r->order[r->count] = t->id;
	r->count++;
	xcond_broadcast(&r->cv);
	xmutex_unlock(&r->lock);
}

FIXTURE_SETUP(dq)
{
	ASSERT_EQ(0, mono_lock_init(&self->r.lock, &self->r.cv));
}

FIXTURE_TEARDOWN(dq)
{
	dq_destroy(self->q);
	free(self->t);
	free(self->r.order);
	mono_lock_destroy(&self->r.lock, &self->r.cv);
}

/* A queue of workers workers, and n items numbered 0 .. n - 1. */
static void start(struct __test_metadata *_metadata, FIXTURE_DATA(dq) *self,
		  unsigned workers, int n)
{
	self->q = dq_create(workers);
	ASSERT_NE(NULL, self->q);
	self->r.order = calloc((size_t)n, sizeof(int));
	self->t = calloc((size_t)n, sizeof(*self->t));
	ASSERT_NE(NULL, self->r.order);
	ASSERT_NE(NULL, self->t);
	self->r.cap = self->n = n;
	for (int i = 0; i < n; i++) {
		self->t[i].item.fire = tfire;
		self->t[i].item.heap_idx = SIZE_MAX;
		self->t[i].rec = &self->r;
		self->t[i].q = self->q;
		self->t[i].id = i;
	}
}

static int park(FIXTURE_DATA(dq) *self, int i, uint64_t deadline)
{
	self->t[i].deadline = deadline;
	return dq_park(self->q, &self->t[i].item, deadline);
}

/* Wait until at least n fires were recorded; false on timeout. */
static bool fired(FIXTURE_DATA(dq) *self, int n)
{
	uint64_t end = lag_now_ns() + WAIT_MS * MS;
	bool done;

	xmutex_lock(&self->r.lock);
	while (self->r.count < n &&
	       mono_cond_wait_until(&self->r.cv, &self->r.lock, end) == 0)
		;
	done = self->r.count >= n;
	xmutex_unlock(&self->r.lock);
	return done;
}

static int fire_count(FIXTURE_DATA(dq) *self)
{
	int n;

	xmutex_lock(&self->r.lock);
	n = self->r.count;
	xmutex_unlock(&self->r.lock);
	return n;
}

/* The id of the item recorded i-th. */
static int nth(FIXTURE_DATA(dq) *self, int i)
{
	return self->r.order[i];
}

/* Where the first n recorded fires of DQ_DEADLINE leave the order of
 * (deadline, park): the position of the first one out of it, or -1. */
static int out_of_order(FIXTURE_DATA(dq) *self, int n)
{
	const struct titem *prev = NULL;

	for (int i = 0; i < n; i++) {
		const struct titem *b = &self->t[nth(self, i)];

		if (b->why != DQ_DEADLINE)
			continue;
		if (prev && (prev->deadline > b->deadline ||
			     (prev->deadline == b->deadline &&
			      prev->id > b->id)))
			return i;
		prev = b;
	}
	return -1;
}

/* How many of the items from .. to - 1 did not fire as they should: once
 * with the reason want gives (never, for the unfired), and, for
 * DQ_DEADLINE, not before the deadline. The first is logged. */
static int fired_wrong(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dq) *self, int from, int to,
		       enum dq_reason (*want)(int i))
{
	int wrong = 0;

	for (int i = from; i < to; i++) {
		const struct titem *t = &self->t[i];
		int f = atomic_load(&t->fires);
		enum dq_reason why = want(i);

		if (f == (t->unfired ? 0 : 1) &&
		    (!f || (t->why == why && (why != DQ_DEADLINE ||
					      t->fired_ns >= t->deadline))))
			continue;
		if (!wrong++)
			TH_LOG("item %d: %d fires, reason %d (want %d), fired "
			       "%lld ns after its deadline", i, f, t->why, why,
			       (long long)(t->fired_ns - t->deadline));
	}
	return wrong;
}

static enum dq_reason by_deadline(int i)
{
	(void)i;
	return DQ_DEADLINE;
}

static enum dq_reason released_if_even(int i)
{
	return i % 2 ? DQ_DEADLINE : DQ_RELEASED;
}

static enum dq_reason released_if_11th(int i)
{
	return i % 11 ? DQ_DEADLINE : DQ_RELEASED;
}

static enum dq_reason at_shutdown(int i)
{
	(void)i;
	return DQ_SHUTDOWN;
}

/* Cancel the items choose(i) picks, which are then never to fire. Returns
 * how many stay parked; *refused counts the cancels that failed. */
static int cancel_some(FIXTURE_DATA(dq) *self, bool (*choose)(int i, int n),
		       int *refused)
{
	int kept = 0;

	for (int i = 0; i < self->n; i++) {
		self->t[i].unfired = choose(i, self->n);
		if (self->t[i].unfired)
			*refused += !dq_cancel(self->q, &self->t[i].item);
		kept += !self->t[i].unfired;
	}
	return kept;
}

/* The end of an ordering test: the kept items fire, each as want says,
 * and, when they were all parked before the first deadline, in
 * (deadline, park) order. */
static void fire_in_order(struct __test_metadata *_metadata,
			  FIXTURE_DATA(dq) *self, int kept,
			  enum dq_reason (*want)(int i), bool in_time)
{
	ASSERT_TRUE(fired(self, kept)) TH_LOG("%d of %d fired",
					      fire_count(self), kept);
	EXPECT_EQ(0, fired_wrong(_metadata, self, 0, self->n, want));
	if (!in_time)
		SKIP(return, "parking took longer than the first deadline: "
		     "the order cannot be checked");
	EXPECT_EQ(-1, out_of_order(self, kept));
}

static bool at_random(int i, int n)
{
	(void)i;
	(void)n;
	return rand() % 2;
}

/* Every third from the middle, and both ends. */
static bool thirds_and_ends(int i, int n)
{
	return i % 3 == 1 || i == 0 || i == n - 1;
}

TEST(create_and_destroy)
{
	struct delay_queue *q;

	errno = 0;
	EXPECT_NULL(dq_create(0));
	EXPECT_EQ(EINVAL, errno);
	q = dq_create(3);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(0, dq_parked(q));
	/* of an empty queue and of NULL: they return */
	dq_destroy(q);
	dq_destroy(NULL);
}

/* Random deadlines with many ties; one worker, so fire order is the
 * dispatch order: sorted by deadline, ties in park order. */
TEST_F(dq, order)
{
	enum { N = 3000, SLOTS = 25 };
	uint64_t base;
	int fails = 0;
	bool in_time;

	start(_metadata, self, 1, N);
	srand(12345);
	base = lag_now_ns() + 150 * MS;
	for (int i = 0; i < N; i++)
		fails += park(self, i, base + (uint64_t)(rand() % SLOTS) * MS)
			 != 0;
	in_time = lag_now_ns() < base;
	EXPECT_EQ(0, fails);
	EXPECT_GE(N, dq_parked(self->q));
	/* each once, DQ_DEADLINE, never before its deadline, in order */
	fire_in_order(_metadata, self, N, by_deadline, in_time);
	EXPECT_EQ(0, dq_parked(self->q));
}

/* Cancel a random half out of the middle of the heap: the rest must still
 * fire in order, the cancelled never. Exercises removal at any index. */
TEST_F(dq, cancel_many)
{
	enum { N = 2000 };
	uint64_t base;
	int kept, refused = 0;
	bool in_time;

	start(_metadata, self, 1, N);
	srand(777);
	base = lag_now_ns() + 150 * MS;
	for (int i = 0; i < N; i++)
		park(self, i, base + (uint64_t)(rand() % 40) * MS);
	kept = cancel_some(self, at_random, &refused);
	in_time = lag_now_ns() < base;
	EXPECT_EQ(0, refused);
	EXPECT_EQ(kept, dq_parked(self->q));
	fire_in_order(_metadata, self, kept, by_deadline, in_time);
}

/*
 * Deadlines mostly in park order, as one rule's delay gives them (those go
 * on the queue's FIFO), some earlier than the last (those go on its heap),
 * ties, cancels from the middle and both ends, and a release that takes
 * from both: what is left must still fire in (deadline, park) order.
 */
TEST_F(dq, fifo_and_heap)
{
	enum { N = 3000 };
	uint64_t base, d;
	int kept, failed = 0;
	size_t released;
	bool in_time;

	start(_metadata, self, 1, N);
	base = lag_now_ns() + 200 * MS;
	for (int i = 0; i < N; i++) {
		d = base + (uint64_t)i * 20000;		/* 20 us apart */
		if (i % 7 == 3)
			d -= 5 * MS;			/* out of order */
		else if (i % 5 == 0 && i > 0)
			d = self->t[i - 1].deadline;	/* a tie */
		failed += park(self, i, d) != 0;
	}
	kept = cancel_some(self, thirds_and_ends, &failed);
	released = dq_release_if(self->q, is_11th, NULL);
	in_time = lag_now_ns() < base - 5 * MS;
	EXPECT_EQ(0, failed);
	EXPECT_EQ(kept - released, dq_parked(self->q));
	/* the cancelled never, the released with DQ_RELEASED, the rest with
	 * DQ_DEADLINE, in order, none early */
	fire_in_order(_metadata, self, kept, released_if_11th, in_time);
}

TEST_F(dq, cancel)
{
	struct titem never = { 0 };
	uint64_t now = lag_now_ns();

	start(_metadata, self, 1, 2);
	park(self, 0, now + 20 * MS);
	park(self, 1, now + 60 * MS);		/* sentinel */
	EXPECT_EQ(2, dq_parked(self->q));
	/* before the deadline: true, then false */
	EXPECT_TRUE(dq_cancel(self->q, &self->t[0].item));
	EXPECT_FALSE(dq_cancel(self->q, &self->t[0].item));
	EXPECT_EQ(1, dq_parked(self->q));
	ASSERT_TRUE(fired(self, 1));
	EXPECT_EQ(1, nth(self, 0)) TH_LOG("the sentinel fired first");
	EXPECT_EQ(0, atomic_load(&self->t[0].fires)) TH_LOG("the cancelled");
	/* after firing */
	EXPECT_FALSE(dq_cancel(self->q, &self->t[1].item));
	/* an item never parked (zeroed: heap_idx 0) */
	never.item.fire = tfire;
	EXPECT_FALSE(dq_cancel(self->q, &never.item));
	/* a cancelled item can be parked again, and fires */
	EXPECT_EQ(0, park(self, 0, lag_now_ns()));
	ASSERT_TRUE(fired(self, 2));
	EXPECT_EQ(1, atomic_load(&self->t[0].fires));
}

TEST_F(dq, release)
{
	enum { N = 10 };
	uint64_t far = lag_now_ns() + 10000 * MS;
	int refused = 0;

	start(_metadata, self, 2, N);
	for (int i = 0; i < N; i++)
		park(self, i, far + (uint64_t)(N - i) * MS);
	EXPECT_EQ(N / 2, dq_release_if(self->q, is_even, NULL));
	ASSERT_TRUE(fired(self, N / 2));
	/* only the matching items fired, with DQ_RELEASED, early */
	for (int i = 0; i < N; i++)
		self->t[i].unfired = i % 2;
	EXPECT_EQ(0, fired_wrong(_metadata, self, 0, N, released_if_even));
	for (int i = 0; i < N; i += 2)
		EXPECT_GT(self->t[i].deadline, self->t[i].fired_ns);
	/* the others stay parked */
	EXPECT_EQ(N / 2, dq_parked(self->q));
	EXPECT_EQ(0, dq_release_if(self->q, is_even, NULL));
	/* and cancel fine: the heap is intact */
	for (int i = 1; i < N; i += 2)
		refused += !dq_cancel(self->q, &self->t[i].item);
	EXPECT_EQ(0, refused);
	EXPECT_EQ(0, dq_parked(self->q));
}

TEST_F(dq, held_without_deadline)
{
	start(_metadata, self, 1, 4);
	for (int i = 0; i < 3; i++)
		park(self, i, DURATION_INF);
	park(self, 3, lag_now_ns() + 30 * MS);	/* sentinel */
	ASSERT_TRUE(fired(self, 1));
	EXPECT_EQ(3, nth(self, 0));
	/* the DURATION_INF items did not fire */
	EXPECT_EQ(1, fire_count(self));
	EXPECT_EQ(3, dq_parked(self->q));
	/* released, they fire, once, with DQ_RELEASED */
	EXPECT_EQ(3, dq_release_if(self->q, is_any, NULL));
	ASSERT_TRUE(fired(self, 4));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(1, atomic_load(&self->t[i].fires));
		EXPECT_EQ(DQ_RELEASED, self->t[i].why);
	}
	/* in park order (their deadlines are all equal) */
	for (int i = 1; i < 4; i++)
		EXPECT_EQ(i - 1, nth(self, i));
}

TEST_F(dq, destroy)
{
	enum { N = 50 };
	struct titem *slow;
	int other_thread = 0;

	start(_metadata, self, 2, N + 1);
	slow = &self->t[N];
	slow->busy_ns = 50 * MS;
	park(self, N, lag_now_ns());
	for (int i = 0; i < N; i++)
		park(self, i, i % 2 ? DURATION_INF : lag_now_ns() + 10000 * MS);
	/* wait (bounded) for the slow fire to be running on a worker */
	for (int i = 0; i < WAIT_MS && !atomic_load(&slow->started); i++)
		busy(MS);
	ASSERT_TRUE(atomic_load(&slow->started));
	dq_destroy(self->q);
	self->q = NULL;
	/* a fire in progress finished first */
	EXPECT_EQ(1, atomic_load(&slow->fires));
	EXPECT_EQ(DQ_DEADLINE, slow->why);
	/* each remaining item once, DQ_SHUTDOWN, on the destroying thread */
	EXPECT_EQ(0, fired_wrong(_metadata, self, 0, N, at_shutdown));
	for (int i = 0; i < N; i++)
		other_thread += !pthread_equal(self->t[i].fired_by,
					       pthread_self());
	EXPECT_EQ(0, other_thread);
	EXPECT_EQ(N + 1, fire_count(self));
}

TEST_F(dq, fire_reparks_itself)
{
	start(_metadata, self, 2, 1);
	self->t[0].repark = 4;
	park(self, 0, lag_now_ns() + 1 * MS);
	/* 4 times: 5 fires, the last recorded */
	ASSERT_TRUE(fired(self, 1));
	EXPECT_EQ(5, atomic_load(&self->t[0].fires));
	EXPECT_EQ(DQ_DEADLINE, self->t[0].why);
}

/* t[1]'s fire cancels t[3] and releases the even ones (t[2], t[4]). */
TEST_F(dq, fire_cancels_and_releases)
{
	uint64_t far = lag_now_ns() + 10000 * MS;

	start(_metadata, self, 2, 6);
	self->t[1].cancel = &self->t[3];
	self->t[1].do_release = true;
	for (int i = 2; i < 6; i++)
		park(self, i, far);
	park(self, 1, lag_now_ns());
	/* no deadlock */
	ASSERT_TRUE(fired(self, 3));
	/* cancel from fire removed the item */
	EXPECT_TRUE(self->t[1].cancel_ok);
	EXPECT_EQ(0, atomic_load(&self->t[3].fires));
	/* release_if from fire released 2 */
	EXPECT_EQ(2, self->t[1].released);
	EXPECT_EQ(DQ_RELEASED, self->t[2].why);
	EXPECT_EQ(DQ_RELEASED, self->t[4].why);
	EXPECT_EQ(1, dq_parked(self->q));
	dq_destroy(self->q);
	self->q = NULL;
	/* the one left fired at destroy */
	EXPECT_EQ(1, atomic_load(&self->t[5].fires));
	EXPECT_EQ(DQ_SHUTDOWN, self->t[5].why);
}

/* Once destroy has begun, parking is refused (ESHUTDOWN): a fire that
 * re-parks on DQ_SHUTDOWN keeps its item instead of looping. */
TEST_F(dq, no_park_during_destroy)
{
	start(_metadata, self, 1, 1);
	self->t[0].park_on_shutdown = true;
	park(self, 0, DURATION_INF);
	dq_destroy(self->q);
	self->q = NULL;
	EXPECT_EQ(1, atomic_load(&self->t[0].fires));
	EXPECT_EQ(DQ_SHUTDOWN, self->t[0].why);
	EXPECT_EQ(-1, self->t[0].park_rc);
	EXPECT_EQ(ESHUTDOWN, self->t[0].park_errno);
}

/* An item parked with a deadline already past fires promptly. */
TEST_F(dq, past_deadline)
{
	uint64_t now = lag_now_ns();

	start(_metadata, self, 1, 2);
	park(self, 0, now - 5 * MS);
	park(self, 1, now + 10000 * MS);
	ASSERT_TRUE(fired(self, 1));
	EXPECT_EQ(0, nth(self, 0));
	/* within a second */
	EXPECT_GT(1000 * MS, self->t[0].fired_ns - now);
}

TEST_HARNESS_MAIN
