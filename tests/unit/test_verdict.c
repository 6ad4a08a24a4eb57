/*
 * verdict: what one iteration proved, computed on recorded event streams:
 * the async-dio hit, a clean synchronous run, an open never released, an fh
 * reused by a later open, other pids' opens, failed opens, interrupts, and
 * how the child's first parked IO ended; and the class of an iteration from
 * cause (late release) and symptom (EBUSY): the four combinations, a
 * release lagfs never saw, and what --expect counts under mitigations.
 */
#include <stdio.h>
#include <string.h>

#include "lag_event.h"
#include "tap.h"
#include "verdict.h"

#define MS 1000000ull

#define CHILD 4121
#define WORKER 4125 /* an io-wq worker of the child: its tid, not its pid */
#define OTHER 777

/* One hand-made event: t (ns), kind, pid, fh, result, op, how. */
static struct ev_rec E(uint64_t t, const char *ev, int64_t pid, uint64_t fh,
		       int64_t result, const char *op, const char *how)
{
	struct ev_rec r;
	int kind = lag_ev_kind_of(ev);

	memset(&r, 0, sizeof(r));
	r.t_ns = t;
	/* an op's name: the answer to a parked request of that op */
	r.kind = kind < 0 ? LAG_EV_ANSWER : (enum lag_ev_kind)kind;
	snprintf(r.op, sizeof(r.op), "%s", kind < 0 ? ev : op ? op : "");
	snprintf(r.how, sizeof(r.how), "%s", how ? how : "");
	r.pid = pid;
	r.fh = fh;
	r.result = result;
	return r;
}

#define OPEN(t, pid, fh) E(t, "open", pid, fh, 0, NULL, NULL)
#define CREATE(t, pid, fh) E(t, "create", pid, fh, 0, NULL, NULL)
#define FLUSH(t, pid, fh) E(t, "flush", pid, fh, 0, NULL, NULL)
#define RELEASE(t, fh) E(t, "release", 0, fh, 0, NULL, NULL)
#define PARK(t, pid, fh, op) E(t, "park", pid, fh, 0, op, NULL)
#define DONE(t, pid, fh, op, how, res) E(t, op, pid, fh, res, NULL, how)
#define INTR(t, pid, fh, op) E(t, "interrupt", pid, fh, 0, op, NULL)

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct verdict run(const struct ev_rec *ev, size_t n, pid_t child,
			  uint64_t t_reap)
{
	struct verdict_in in = { .child = child, .t_reap = t_reap, .ev = ev,
				 .n = n };
	struct verdict v;

	memset(&v, 0xa5, sizeof(v)); /* verdict_compute must set everything */
	verdict_compute(&in, &v);
	return v;
}

/*
 * The async-dio hit, as lagfs logs it (JSON lines, through lag_event_parse
 * and ev_rec_from): the child opens fh A, its O_DIRECT io_uring read parks
 * on A, lagrace kills the child and reaps it at 1020 ms; the hold is let go
 * at 1030 ms and the release of A comes at 1045 ms, after the reap.
 */
static const char *const hit_lines[] = {
	"{\"t_ns\":900000000,\"ev\":\"start\",\"unique\":0,\"pid\":4000,\"uid\":0,\"ino\":0,\"fh\":0,\"path\":\"/\",\"flags\":0,\"result\":0,\"delay_ns\":0,\"detail\":\"lagfs 0.1\"}",
	"{\"t_ns\":1000000000,\"ev\":\"open\",\"unique\":6,\"pid\":4121,\"uid\":0,\"ino\":94812,\"fh\":94633,\"path\":\"/lag-0.lag\",\"flags\":49152,\"result\":0,\"delay_ns\":0}",
	"{\"t_ns\":1010000000,\"ev\":\"park\",\"unique\":38,\"pid\":4121,\"uid\":0,\"ino\":94812,\"fh\":94633,\"path\":\"/lag-0.lag\",\"flags\":0,\"result\":0,\"delay_ns\":10000000000,\"op\":\"read\",\"hold\":1}",
	"{\"t_ns\":1016000000,\"ev\":\"flush\",\"unique\":40,\"pid\":4121,\"uid\":0,\"ino\":94812,\"fh\":94633,\"path\":\"/lag-0.lag\",\"flags\":0,\"result\":0,\"delay_ns\":0}",
	"{\"t_ns\":1030000000,\"ev\":\"read\",\"unique\":38,\"pid\":4121,\"uid\":0,\"ino\":94812,\"fh\":94633,\"path\":\"/lag-0.lag\",\"flags\":0,\"result\":0,\"delay_ns\":20000000,\"how\":\"release\"}",
	"{\"t_ns\":1045000000,\"ev\":\"release\",\"unique\":42,\"pid\":0,\"uid\":0,\"ino\":94812,\"fh\":94633,\"path\":\"/lag-0.lag\",\"flags\":0,\"result\":0,\"delay_ns\":0}",
	"{\"t_ns\":1050000000,\"ev\":\"exit\",\"unique\":0,\"pid\":4000,\"uid\":0,\"ino\":0,\"fh\":0,\"path\":\"\",\"flags\":0,\"result\":0,\"delay_ns\":0,\"detail\":\"requests=5\"}",
};

static void test_async_dio_hit(void)
{
	struct ev_rec ev[N(hit_lines)];
	struct lag_event e;
	struct verdict v;
	char err[256];
	int bad = 0;

	for (size_t i = 0; i < N(hit_lines); i++) {
		if (lag_event_parse(hit_lines[i], strlen(hit_lines[i]), &e, err,
				    sizeof(err)) < 0) {
			printf("# line %zu: %s\n", i, err);
			bad++;
			continue;
		}
		ev_rec_from(&ev[i], &e);
	}
	ok(bad == 0, "hit: the recorded lines parse");
	ok(ev[2].t_ns == 1010000000 && ev[2].kind == LAG_EV_PARK &&
	   !strcmp(ev[2].op, "read") && ev[2].pid == CHILD &&
	   ev[2].fh == 94633 && ev[2].result == 0 && ev[2].how[0] == 0,
	   "hit: ev_rec_from keeps t_ns, ev, op, pid, fh, result");
	ok(!strcmp(ev[4].how, "release") && ev[4].kind == LAG_EV_ANSWER &&
	   !strcmp(ev[4].op, "read"),
	   "hit: ev_rec_from keeps how");

	v = run(ev, N(ev), CHILD, 1020 * MS);
	ok(v.child_opens == 1, "hit: one child open (got %u)", v.child_opens);
	ok(v.released_after == 1 && v.released_before == 0 &&
	   v.never_released == 0,
	   "hit: released after the reap (before %u, after %u, never %u)",
	   v.released_before, v.released_after, v.never_released);
	ok(v.late_release, "hit: late release");
	ok(v.lateness_ns == 25 * MS,
	   "hit: lateness is release - reap = 25 ms (got %llu ns)",
	   (unsigned long long)v.lateness_ns);
	ok(v.t_first_open == 1000 * MS, "hit: t_first_open is the open's t_ns");
	ok(v.t_first_io == 1010 * MS, "hit: t_first_io is the park's t_ns");
	ok(v.t_last_release == 1045 * MS,
	   "hit: t_last_release is the release's t_ns");
	ok(v.interrupts == 0, "hit: no interrupts (got %u)", v.interrupts);
	ok(!strcmp(v.io_how, "release"),
	   "hit: the held read ended by the release (got '%s')", v.io_how);

	ok(verdict_fh_is_childs(ev, N(ev), CHILD, 94633),
	   "fh_is_childs: the child's fh");
	ok(!verdict_fh_is_childs(ev, N(ev), CHILD, 94634),
	   "fh_is_childs: another fh is not");
	ok(!verdict_fh_is_childs(ev, N(ev), OTHER, 94633),
	   "fh_is_childs: not for another pid");
	ok(!verdict_fh_is_childs(ev, 1, CHILD, 94633),
	   "fh_is_childs: not before the open is seen");
	ok(!verdict_fh_is_childs(ev, N(ev), CHILD, 0),
	   "fh_is_childs: fh 0 (start/exit events) is not the child's");

	/* The same stream with the reap after the release: not late. */
	v = run(ev, N(ev), CHILD, 1046 * MS);
	ok(!v.late_release && v.released_before == 1 && v.released_after == 0 &&
	   v.lateness_ns == 0,
	   "hit stream, reaped after the release: not late");
	/* A release exactly at the reap is not after it. */
	v = run(ev, N(ev), CHILD, 1045 * MS);
	ok(!v.late_release && v.released_before == 1,
	   "a release at the very ns of the reap is not late");
}

/* sync direct IO: the reap waits for the held read, the release comes
 * before the reap. */
static void test_clean_sync(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 7),
		PARK(101 * MS, CHILD, 7, "read"),
		DONE(201 * MS, CHILD, 7, "read", "release", 0),
		FLUSH(202 * MS, CHILD, 7),
		RELEASE(203 * MS, 7),
	};
	struct verdict v = run(ev, N(ev), CHILD, 205 * MS);

	ok(v.child_opens == 1 && v.released_before == 1 &&
	   v.released_after == 0 && v.never_released == 0,
	   "sync: released before the reap (before %u, after %u, never %u)",
	   v.released_before, v.released_after, v.never_released);
	ok(!v.late_release, "sync: not late");
	ok(v.lateness_ns == 0, "sync: lateness 0 (got %llu)",
	   (unsigned long long)v.lateness_ns);
	ok(v.t_last_release == 203 * MS, "sync: t_last_release is known");
	ok(v.t_first_open == 100 * MS && v.t_first_io == 101 * MS,
	   "sync: t_first_open and t_first_io");
	ok(!strcmp(v.io_how, "release"), "sync: io_how 'release' (got '%s')",
	   v.io_how);
}

/* An open whose release never came (torn down by the unmount). */
static void test_never_released(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 7),
		PARK(101 * MS, CHILD, 7, "read"),
		DONE(150 * MS, CHILD, 7, "read", "shutdown", -4),
		E(160 * MS, "unreleased", 0, 7, 0, NULL, NULL),
	};
	struct verdict v = run(ev, N(ev), CHILD, 120 * MS);

	ok(v.child_opens == 1 && v.never_released == 1 &&
	   v.released_before == 0 && v.released_after == 0,
	   "never released: counted as such (before %u, after %u, never %u)",
	   v.released_before, v.released_after, v.never_released);
	ok(!v.late_release && v.lateness_ns == 0,
	   "never released: not a late release");
	ok(v.t_last_release == 0, "never released: no t_last_release");
	ok(!strcmp(v.io_how, "shutdown"), "never released: io_how 'shutdown'");
}

/* An fh is reused: each open pairs with the next release of its fh. */
static void test_fh_reuse(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 5),
		RELEASE(110 * MS, 5),          /* first open: before reap */
		OPEN(120 * MS, CHILD, 5),      /* same fh again */
		PARK(121 * MS, CHILD, 5, "read"),
		DONE(140 * MS, CHILD, 5, "read", "release", 0),
		RELEASE(150 * MS, 5),          /* second open: after reap */
	};
	struct verdict v = run(ev, N(ev), CHILD, 130 * MS);
	const struct ev_rec ev2[] = {
		OPEN(100 * MS, CHILD, 5),
		OPEN(120 * MS, CHILD, 5),      /* reused: the first was lost */
		RELEASE(150 * MS, 5),
	};
	const struct ev_rec ev3[] = {
		OPEN(100 * MS, OTHER, 5),      /* someone else had fh 5 */
		RELEASE(110 * MS, 5),
		OPEN(120 * MS, CHILD, 5),
		RELEASE(150 * MS, 5),
		OPEN(160 * MS, OTHER, 5),      /* and has it again later */
		RELEASE(170 * MS, 5),
	};

	ok(v.child_opens == 2, "reuse: two child opens (got %u)", v.child_opens);
	ok(v.released_before == 1 && v.released_after == 1 &&
	   v.never_released == 0,
	   "reuse: one release before, one after (before %u, after %u, "
	   "never %u)", v.released_before, v.released_after, v.never_released);
	ok(v.late_release && v.lateness_ns == 20 * MS,
	   "reuse: late by 150 - 130 = 20 ms (got %llu ns)",
	   (unsigned long long)v.lateness_ns);
	ok(v.t_first_open == 100 * MS && v.t_last_release == 150 * MS,
	   "reuse: first open and last release");
	ok(v.t_first_io == 121 * MS, "reuse: the park on the second open");

	v = run(ev, N(ev), CHILD, 105 * MS);
	ok(v.released_before == 0 && v.released_after == 2 &&
	   v.lateness_ns == 45 * MS,
	   "reuse, reaped at 105 ms: both late, lateness from the last release");

	v = run(ev2, N(ev2), CHILD, 130 * MS);
	ok(v.child_opens == 2 && v.never_released == 1 &&
	   v.released_after == 1 && v.released_before == 0,
	   "reuse without a release: the first open is never released, the "
	   "release belongs to the second (before %u, after %u, never %u)",
	   v.released_before, v.released_after, v.never_released);

	v = run(ev3, N(ev3), CHILD, 130 * MS);
	ok(v.child_opens == 1 && v.released_after == 1 &&
	   v.released_before == 0 && v.never_released == 0,
	   "reuse by another pid: only the child's open, with its own release");
	ok(v.lateness_ns == 20 * MS && v.t_last_release == 150 * MS,
	   "reuse by another pid: the other pid's later release is not the "
	   "child's (lateness %llu ns)", (unsigned long long)v.lateness_ns);
}

/* Opens by another pid do not count, even released late. */
static void test_other_pid(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, OTHER, 9),
		PARK(101 * MS, OTHER, 9, "read"),
		DONE(190 * MS, OTHER, 9, "read", "release", 0),
		RELEASE(200 * MS, 9),
	};
	const struct ev_rec mixed[] = {
		OPEN(100 * MS, OTHER, 9),
		PARK(101 * MS, OTHER, 9, "read"),
		OPEN(110 * MS, CHILD, 3),
		RELEASE(120 * MS, 3),
		DONE(190 * MS, OTHER, 9, "read", "release", 0),
		RELEASE(200 * MS, 9),
	};
	struct verdict v = run(ev, N(ev), CHILD, 150 * MS);

	ok(v.child_opens == 0 && v.released_before == 0 &&
	   v.released_after == 0 && v.never_released == 0,
	   "other pid: nothing counted (opens %u)", v.child_opens);
	ok(!v.late_release && v.lateness_ns == 0, "other pid: not late");
	ok(v.t_first_open == 0 && v.t_first_io == 0 && v.t_last_release == 0,
	   "other pid: no times");
	ok(v.io_how[0] == 0 && v.interrupts == 0,
	   "other pid: no io_how ('%s'), no interrupts", v.io_how);
	ok(!verdict_fh_is_childs(ev, N(ev), CHILD, 9),
	   "other pid: its fh is not the child's");

	v = run(mixed, N(mixed), CHILD, 150 * MS);
	ok(v.child_opens == 1 && v.released_before == 1 &&
	   v.released_after == 0 && !v.late_release &&
	   v.t_last_release == 120 * MS && v.t_first_open == 110 * MS,
	   "other pid with a child open: only the child's counts");
	ok(v.t_first_io == 0 && v.io_how[0] == 0,
	   "other pid with a child open: the other pid's park is not the "
	   "child's IO");
}

/* A failed open is no open. */
static void test_failed_open(void)
{
	const struct ev_rec ev[] = {
		E(100 * MS, "open", CHILD, 0, -13, NULL, NULL),
		E(101 * MS, "create", CHILD, 0, -28, NULL, NULL),
		RELEASE(200 * MS, 0),
	};
	const struct ev_rec ev2[] = {
		E(100 * MS, "open", CHILD, 8, -2, NULL, NULL),
		CREATE(110 * MS, CHILD, 9),
		RELEASE(200 * MS, 8),
		RELEASE(210 * MS, 9),
	};
	struct verdict v = run(ev, N(ev), CHILD, 150 * MS);

	ok(v.child_opens == 0 && v.never_released == 0 &&
	   v.released_after == 0 && !v.late_release,
	   "failed open: ignored (opens %u, never %u, after %u)", v.child_opens,
	   v.never_released, v.released_after);
	ok(v.t_first_open == 0, "failed open: no t_first_open");
	ok(!verdict_fh_is_childs(ev, N(ev), CHILD, 0),
	   "failed open: its fh is not the child's");

	v = run(ev2, N(ev2), CHILD, 150 * MS);
	ok(v.child_opens == 1 && v.released_after == 1 &&
	   v.never_released == 0,
	   "failed open then a create: the create counts (opens %u)",
	   v.child_opens);
	ok(v.t_first_open == 110 * MS,
	   "failed open then a create: t_first_open is the create's");
	ok(v.late_release && v.lateness_ns == 60 * MS,
	   "failed open then a create: late by 210 - 150 = 60 ms (got %llu)",
	   (unsigned long long)v.lateness_ns);
}

/*
 * exit-punt: the read parks with the io-wq worker's tid, the kill brings
 * an interrupt and lagfs answers EINTR; the release comes after the reap.
 */
static void test_interrupts(void)
{
	const struct ev_rec ev[] = {
		OPEN(90 * MS, OTHER, 12),
		PARK(91 * MS, OTHER, 12, "read"),
		OPEN(100 * MS, CHILD, 11),
		PARK(101 * MS, WORKER, 11, "read"),
		INTR(110 * MS, WORKER, 11, "read"),
		DONE(110 * MS + 5000, WORKER, 11, "read", "interrupt", -4),
		FLUSH(111 * MS, CHILD, 11),
		INTR(112 * MS, OTHER, 12, "read"),   /* not the child's */
		DONE(112 * MS, OTHER, 12, "read", "interrupt", -4),
		RELEASE(113 * MS, 12),
		RELEASE(119 * MS, 11),
	};
	const struct ev_rec two[] = {
		OPEN(100 * MS, CHILD, 11),
		PARK(101 * MS, WORKER, 11, "read"),
		PARK(102 * MS, WORKER + 1, 11, "read"),
		INTR(110 * MS, WORKER, 11, "read"),
		INTR(110 * MS + 10, WORKER + 1, 11, "read"),
		DONE(110 * MS + 20, WORKER, 11, "read", "interrupt", -4),
		DONE(110 * MS + 30, WORKER + 1, 11, "read", "interrupt", -4),
		RELEASE(119 * MS, 11),
	};
	struct verdict v = run(ev, N(ev), CHILD, 115 * MS);

	ok(v.interrupts == 1, "interrupts: the child's one (got %u)",
	   v.interrupts);
	ok(!strcmp(v.io_how, "interrupt"),
	   "interrupts: io_how 'interrupt' (got '%s')", v.io_how);
	ok(v.t_first_io == 101 * MS,
	   "interrupts: a park by the io-wq worker on the child's fh is the "
	   "child's IO");
	ok(v.child_opens == 1 && v.late_release && v.lateness_ns == 4 * MS,
	   "interrupts: late by 119 - 115 = 4 ms (got %llu)",
	   (unsigned long long)v.lateness_ns);
	ok(verdict_fh_is_childs(ev, N(ev), CHILD, 11) &&
	   !verdict_fh_is_childs(ev, N(ev), CHILD, 12),
	   "interrupts: fh 11 is the child's, 12 is not");

	v = run(two, N(two), CHILD, 115 * MS);
	ok(v.interrupts == 2, "two parked reads interrupted: 2 (got %u)",
	   v.interrupts);
}

/* io_how comes from the completion of the first park, not a later one. */
static void test_io_how_first_park(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 21),
		OPEN(101 * MS, CHILD, 22),
		PARK(102 * MS, CHILD, 21, "read"),
		PARK(103 * MS, CHILD, 22, "write"),
		INTR(104 * MS, CHILD, 22, "write"),
		DONE(104 * MS + 100, CHILD, 22, "write", "interrupt", -4),
		DONE(130 * MS, CHILD, 21, "read", "release", 0),
		RELEASE(131 * MS, 22),
		RELEASE(140 * MS, 21),
	};
	/* the first park's completion is a different op on the same fh */
	const struct ev_rec ev2[] = {
		OPEN(100 * MS, CHILD, 31),
		PARK(102 * MS, CHILD, 31, "write"),
		PARK(103 * MS, CHILD, 31, "read"),
		DONE(104 * MS, CHILD, 31, "read", "max", 0),
		DONE(105 * MS, CHILD, 31, "write", "interrupt", -4),
		RELEASE(140 * MS, 31),
	};
	/* no park at all: no io_how */
	const struct ev_rec ev3[] = {
		OPEN(100 * MS, CHILD, 41),
		RELEASE(140 * MS, 41),
	};
	struct verdict v = run(ev, N(ev), CHILD, 120 * MS);

	ok(!strcmp(v.io_how, "release"),
	   "io_how: from the first park (read, ended by release), not the "
	   "interrupted write (got '%s')", v.io_how);
	ok(v.t_first_io == 102 * MS, "io_how: t_first_io is the first park");
	ok(v.interrupts == 1, "io_how: the write's interrupt counted (got %u)",
	   v.interrupts);
	ok(v.child_opens == 2 && v.released_after == 2 &&
	   v.lateness_ns == 20 * MS && v.t_last_release == 140 * MS,
	   "two files late: lateness from the last release (got %llu)",
	   (unsigned long long)v.lateness_ns);

	v = run(ev2, N(ev2), CHILD, 120 * MS);
	ok(!strcmp(v.io_how, "interrupt"),
	   "io_how: the completion of the first park's op (write), not the "
	   "read's (got '%s')", v.io_how);

	v = run(ev3, N(ev3), CHILD, 120 * MS);
	ok(v.io_how[0] == 0 && v.t_first_io == 0,
	   "no park: empty io_how, no t_first_io");
}

static void test_empty(void)
{
	struct verdict v = run(NULL, 0, CHILD, 100 * MS);

	ok(v.child_opens == 0 && v.released_before == 0 &&
	   v.released_after == 0 && v.never_released == 0 &&
	   v.t_first_open == 0 && v.t_first_io == 0 && v.t_last_release == 0 &&
	   !v.late_release && v.lateness_ns == 0 && v.interrupts == 0 &&
	   v.io_how[0] == 0,
	   "no events: an all-zero verdict");
	ok(!verdict_fh_is_childs(NULL, 0, CHILD, 1),
	   "no events: no fh is the child's");
}

/* --close-in-flight: the child's own FLUSH of each file it opened. */
static void test_child_closed(void)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 5),
		OPEN(101 * MS, CHILD, 6),
		PARK(102 * MS, WORKER, 5, "read"),
		FLUSH(103 * MS, CHILD, 5),
		FLUSH(104 * MS, OTHER, 6),     /* not the child's close */
		FLUSH(105 * MS, CHILD, 6),
	};
	const struct ev_rec reused[] = {
		OPEN(100 * MS, CHILD, 5),
		RELEASE(101 * MS, 5),
		OPEN(102 * MS, CHILD, 5),      /* the fh again */
		FLUSH(103 * MS, CHILD, 5),     /* closes only the second */
	};

	ok(verdict_child_closed(ev, N(ev), CHILD) == 105 * MS,
	   "closed: t of the child's last flush, one per open");
	ok(verdict_child_closed(ev, 5, CHILD) == 0,
	   "closed: not while a file lacks the child's flush");
	ok(verdict_child_closed(reused, N(reused), CHILD) == 0,
	   "closed: a flush after the fh was opened again closes only that open");
	ok(verdict_child_closed(ev, N(ev), OTHER) == 0,
	   "closed: nothing for a pid that opened nothing");
}


static enum verdict_class classify(const struct ev_rec *ev, size_t n,
				   uint64_t t_reap, bool busy_at_reap,
				   bool ebusy, bool *cause, char *err)
{
	struct verdict v = run(ev, n, CHILD, t_reap);
	struct verdict_obs o = { .busy_at_reap = busy_at_reap, .ebusy = ebusy };

	return verdict_classify(&v, &o, cause, err, 200);
}

/*
 * Cause and symptom, counted apart: an iteration reproduces only with
 * both. The streams are as lagfs logs them.
 */
static void test_classify(void)
{
	/* async-dio: released 25 ms after the reap at 1020 ms */
	const struct ev_rec late[] = {
		OPEN(1000 * MS, CHILD, 7),
		PARK(1010 * MS, CHILD, 7, "read"),
		DONE(1030 * MS, CHILD, 7, "read", "release", 0),
		RELEASE(1045 * MS, 7),
	};
	/* Seen on 6.12: the probe found the mount busy at the reap
	 * (1020 ms), the release came 0.14 ms before the real unmount, and
	 * the unmount succeeded. */
	const struct ev_rec late_then_ok[] = {
		OPEN(1000 * MS, CHILD, 7),
		PARK(1010 * MS, WORKER, 7, "read"),
		FLUSH(1012 * MS, CHILD, 7),
		DONE(1015 * MS, WORKER, 7, "read", "release", 0),
		RELEASE(1020 * MS + 60000, 7),
	};
	/* sync: the release before the reap, yet the unmount said EBUSY
	 * (somebody else held the mount) */
	const struct ev_rec in_time[] = {
		OPEN(100 * MS, CHILD, 7),
		PARK(101 * MS, CHILD, 7, "read"),
		DONE(201 * MS, CHILD, 7, "read", "release", 0),
		FLUSH(202 * MS, CHILD, 7),
		RELEASE(203 * MS, 7),
	};
	/* page cache: the unmount tore the connection down first */
	const struct ev_rec lost[] = {
		OPEN(100 * MS, CHILD, 7),
		FLUSH(110 * MS, CHILD, 7),
		E(160 * MS, "unreleased", 0, 7, 0, NULL, NULL),
	};
	char err[200];
	bool cause;
	enum verdict_class c;

	c = classify(late, N(late), 1020 * MS, true, true, &cause, err);
	ok(c == VC_REPRODUCED && cause,
	   "late release and EBUSY: reproduced (class %d)", c);
	ok(!strcmp(verdict_key(c), "reproduced") &&
	   strstr(verdict_words(c, MIT_NONE), "REPRODUCED"),
	   "reproduced: its words ('%s')", verdict_words(c, MIT_NONE));

	c = classify(late_then_ok, N(late_then_ok), 1020 * MS, true, false,
		     &cause, err);
	ok(c == VC_LATE_ONLY && cause,
	   "late release, first unmount ok: late release only, not "
	   "reproduced (class %d)", c);
	ok(!strcmp(verdict_words(c, MIT_NONE),
		   "late release, but the unmount came after it"),
	   "late release only: named as such ('%s')",
	   verdict_words(c, MIT_NONE));

	c = classify(in_time, N(in_time), 205 * MS, false, true, &cause, err);
	ok(c == VC_EBUSY_ONLY && !cause,
	   "EBUSY, released before the reap: EBUSY only (class %d)", c);
	ok(!strcmp(verdict_words(c, MIT_NONE),
		   "EBUSY without a late release of the child's file"),
	   "EBUSY only: named as such ('%s')", verdict_words(c, MIT_NONE));

	c = classify(in_time, N(in_time), 205 * MS, false, false, &cause, err);
	ok(c == VC_CLEAN && !cause, "neither: clean (class %d)", c);

	/* the release after the reap, but the mount free at the reap: the
	 * child's own fput, its RELEASE sent asynchronously: not late */
	c = classify(late, N(late), 1020 * MS, false, false, &cause, err);
	ok(c == VC_CLEAN && !cause,
	   "RELEASE after the reap with the mount free at the reap: clean");
	c = classify(late, N(late), 1020 * MS, false, true, &cause, err);
	ok(c == VC_EBUSY_ONLY,
	   "the same with an EBUSY: EBUSY only, not reproduced");

	c = classify(lost, N(lost), 120 * MS, true, true, &cause, err);
	ok(c == VC_ERROR && strstr(err, "never saw the release"),
	   "a release lagfs never saw, mount busy at the reap: an error "
	   "('%s')", err);
	c = classify(lost, N(lost), 120 * MS, false, false, &cause, err);
	ok(c == VC_CLEAN && !err[0],
	   "a release lagfs never saw, mount free at the reap: no error, "
	   "not late (the probe proves the file was let go)");

	ok(verdict_hit(VC_REPRODUCED, MIT_NONE) &&
	   !verdict_hit(VC_LATE_ONLY, MIT_NONE) &&
	   !verdict_hit(VC_EBUSY_ONLY, MIT_NONE) &&
	   !verdict_hit(VC_CLEAN, MIT_NONE) && !verdict_hit(VC_ERROR, MIT_NONE),
	   "--expect race: only a reproduction counts");
	ok(verdict_hit(VC_LATE_ONLY, MIT_WAIT_RELEASE) &&
	   verdict_hit(VC_LATE_ONLY, MIT_LAZY) &&
	   !verdict_hit(VC_LATE_ONLY, MIT_RETRY) &&
	   !verdict_hit(VC_CLEAN, MIT_LAZY),
	   "--expect race with wait-release or lazy (no EBUSY by design): "
	   "the late release counts");
	ok(verdict_clean(VC_CLEAN) && !verdict_clean(VC_LATE_ONLY) &&
	   !verdict_clean(VC_EBUSY_ONLY) && !verdict_clean(VC_REPRODUCED) &&
	   !verdict_clean(VC_ERROR),
	   "--expect clean: neither cause nor symptom");
	for (int k = VC_ERROR; k <= VC_CLEAN; k++)
		ok(verdict_from_key(verdict_key(k)) == k,
		   "verdict key '%s' reads back", verdict_key(k));
	ok(verdict_from_key("bogus") == -1, "an unknown key is -1");
}

int main(void)
{
	test_async_dio_hit();
	test_clean_sync();
	test_never_released();
	test_fh_reuse();
	test_other_pid();
	test_failed_open();
	test_interrupts();
	test_io_how_first_park();
	test_empty();
	test_child_closed();
	test_classify();
	return tap_done();
}
