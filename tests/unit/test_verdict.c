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

#include "base.h"
#include "harness.h"
#include "lag_event.h"
#include "verdict.h"

#define MS 1000000ull

#define CHILD 4121
#define WORKER 4125 /* an io-wq worker of the child: its tid, not its pid */
#define OTHER 777

/* One hand-made event: t (ns), kind, pid, fh, result, op, how. */
#define E(t, k, who, fh_, res, op_, how_) { .t_ns = (t), .kind = (k), \
	.pid = (who), .fh = (fh_), .result = (res), .op = op_, .how = how_ }

#define OPEN(t, pid, fh) E(t, LAG_EV_OPEN, pid, fh, 0, "", "")
#define CREATE(t, pid, fh) E(t, LAG_EV_CREATE, pid, fh, 0, "", "")
#define FLUSH(t, pid, fh) E(t, LAG_EV_FLUSH, pid, fh, 0, "", "")
#define RELEASE(t, fh) E(t, LAG_EV_RELEASE, 0, fh, 0, "", "")
#define UNRELEASED(t, fh) E(t, LAG_EV_UNRELEASED, 0, fh, 0, "", "")
#define PARK(t, pid, fh, op) E(t, LAG_EV_PARK, pid, fh, 0, op, "")
/* the answer to a parked request of op */
#define DONE(t, pid, fh, op, how, res)				\
	E(t, LAG_EV_ANSWER, pid, fh, res, op, how)
#define INTR(t, pid, fh, op) E(t, LAG_EV_INTERRUPT, pid, fh, 0, op, "")

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

/* The child's opens, and how many of them were released before the reap,
 * after it, and never. */
#define EXPECT_COUNTS(v, opens, before, after, never) do {		\
	EXPECT_EQ(opens, (v).child_opens);				\
	EXPECT_EQ(before, (v).released_before);				\
	EXPECT_EQ(after, (v).released_after);				\
	EXPECT_EQ(never, (v).never_released);				\
} while (0)

/* Whether a release was late, and by how much (0 when not). */
#define EXPECT_LATE(v, late, by) do {					\
	EXPECT_EQ(late, (v).late_release);				\
	EXPECT_EQ(by, (v).lateness_ns);					\
} while (0)

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

#define HIT_FH 94633

static struct ev_rec hit[ARRAY_SIZE(hit_lines)];

static void parse_hit(struct __test_metadata *_metadata)
{
	struct lag_event e;
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(hit_lines); i++) {
		ASSERT_EQ(0, lag_event_parse(hit_lines[i], strlen(hit_lines[i]),
					     &e, err, sizeof(err)))
			TH_LOG("line %zu: %s", i, err);
		ev_rec_from(&hit[i], &e);
	}
}

TEST(ev_rec_from_keeps_what_the_verdict_needs)
{
	parse_hit(_metadata);
	EXPECT_EQ(1010000000, hit[2].t_ns);
	EXPECT_EQ(LAG_EV_PARK, hit[2].kind);
	EXPECT_STREQ("read", hit[2].op);
	EXPECT_EQ(CHILD, hit[2].pid);
	EXPECT_EQ(HIT_FH, hit[2].fh);
	EXPECT_EQ(0, hit[2].result);
	EXPECT_STREQ("", hit[2].how);
	EXPECT_STREQ("release", hit[4].how);
	EXPECT_EQ(LAG_EV_ANSWER, hit[4].kind);
	EXPECT_STREQ("read", hit[4].op);
}

TEST(async_dio_hit)
{
	struct verdict v;

	parse_hit(_metadata);
	v = run(hit, ARRAY_SIZE(hit), CHILD, 1020 * MS);
	EXPECT_COUNTS(v, 1, 0, 1, 0);
	/* late: release - reap = 25 ms */
	EXPECT_LATE(v, true, 25 * MS);
	EXPECT_EQ(1000 * MS, v.t_first_open);
	EXPECT_EQ(1010 * MS, v.t_first_io);	/* the park */
	EXPECT_EQ(1045 * MS, v.t_last_release);
	EXPECT_EQ(0, v.interrupts);
	/* the held read ended by the release */
	EXPECT_STREQ("release", v.io_how);
}

TEST(hit_reaped_after_the_release_is_not_late)
{
	struct verdict v;

	parse_hit(_metadata);
	v = run(hit, ARRAY_SIZE(hit), CHILD, 1046 * MS);
	EXPECT_COUNTS(v, 1, 1, 0, 0);
	EXPECT_LATE(v, false, 0);
	/* a release at the very ns of the reap is not after it */
	v = run(hit, ARRAY_SIZE(hit), CHILD, 1045 * MS);
	EXPECT_FALSE(v.late_release);
	EXPECT_EQ(1, v.released_before);
}

TEST(fh_is_childs)
{
	parse_hit(_metadata);
	EXPECT_TRUE(verdict_fh_is_childs(hit, ARRAY_SIZE(hit), CHILD, HIT_FH));
	EXPECT_FALSE(verdict_fh_is_childs(hit, ARRAY_SIZE(hit), CHILD,
					  HIT_FH + 1));
	EXPECT_FALSE(verdict_fh_is_childs(hit, ARRAY_SIZE(hit), OTHER, HIT_FH));
	/* not before the open is seen */
	EXPECT_FALSE(verdict_fh_is_childs(hit, 1, CHILD, HIT_FH));
	/* fh 0 (start and exit events) is not the child's */
	EXPECT_FALSE(verdict_fh_is_childs(hit, ARRAY_SIZE(hit), CHILD, 0));
}

/* sync direct IO: the reap waits for the held read, the release comes
 * before the reap at 205 ms. */
static const struct ev_rec sync_dio[] = {
	OPEN(100 * MS, CHILD, 7),
	PARK(101 * MS, CHILD, 7, "read"),
	DONE(201 * MS, CHILD, 7, "read", "release", 0),
	FLUSH(202 * MS, CHILD, 7),
	RELEASE(203 * MS, 7),
};

TEST(clean_sync)
{
	struct verdict v = run(sync_dio, ARRAY_SIZE(sync_dio), CHILD,
			       205 * MS);

	EXPECT_COUNTS(v, 1, 1, 0, 0);
	EXPECT_LATE(v, false, 0);
	EXPECT_EQ(203 * MS, v.t_last_release);
	EXPECT_EQ(100 * MS, v.t_first_open);
	EXPECT_EQ(101 * MS, v.t_first_io);
	EXPECT_STREQ("release", v.io_how);
}

/* An open whose release never came (torn down by the unmount). */
TEST(never_released)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 7),
		PARK(101 * MS, CHILD, 7, "read"),
		DONE(150 * MS, CHILD, 7, "read", "shutdown", -4),
		UNRELEASED(160 * MS, 7),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 120 * MS);

	EXPECT_COUNTS(v, 1, 0, 0, 1);
	EXPECT_LATE(v, false, 0);
	EXPECT_EQ(0, v.t_last_release);
	EXPECT_STREQ("shutdown", v.io_how);
}

/* An fh is reused: each open pairs with the next release of its fh. */
TEST(fh_reused)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 5),
		RELEASE(110 * MS, 5),          /* first open: before reap */
		OPEN(120 * MS, CHILD, 5),      /* same fh again */
		PARK(121 * MS, CHILD, 5, "read"),
		DONE(140 * MS, CHILD, 5, "read", "release", 0),
		RELEASE(150 * MS, 5),          /* second open: after reap */
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 130 * MS);

	EXPECT_COUNTS(v, 2, 1, 1, 0);
	/* late by 150 - 130 = 20 ms */
	EXPECT_LATE(v, true, 20 * MS);
	EXPECT_EQ(100 * MS, v.t_first_open);
	EXPECT_EQ(150 * MS, v.t_last_release);
	EXPECT_EQ(121 * MS, v.t_first_io) TH_LOG("the park on the second open");
	/* reaped at 105 ms: both late, lateness from the last release */
	v = run(ev, ARRAY_SIZE(ev), CHILD, 105 * MS);
	EXPECT_COUNTS(v, 2, 0, 2, 0);
	EXPECT_EQ(45 * MS, v.lateness_ns);
}

/* Reused without a release: the first open is never released, the
 * release belongs to the second. */
TEST(fh_reused_without_a_release)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 5),
		OPEN(120 * MS, CHILD, 5),
		RELEASE(150 * MS, 5),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 130 * MS);

	EXPECT_COUNTS(v, 2, 0, 1, 1);
}

/* Someone else had fh 5 before the child, and has it again after: only
 * the child's open counts, with its own release. */
TEST(fh_reused_by_another_pid)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, OTHER, 5),
		RELEASE(110 * MS, 5),
		OPEN(120 * MS, CHILD, 5),
		RELEASE(150 * MS, 5),
		OPEN(160 * MS, OTHER, 5),
		RELEASE(170 * MS, 5),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 130 * MS);

	EXPECT_COUNTS(v, 1, 0, 1, 0);
	/* the other pid's later release is not the child's */
	EXPECT_EQ(20 * MS, v.lateness_ns);
	EXPECT_EQ(150 * MS, v.t_last_release);
}

/* Opens by another pid do not count, even released late. */
TEST(other_pid)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, OTHER, 9),
		PARK(101 * MS, OTHER, 9, "read"),
		DONE(190 * MS, OTHER, 9, "read", "release", 0),
		RELEASE(200 * MS, 9),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 150 * MS);

	EXPECT_COUNTS(v, 0, 0, 0, 0);
	EXPECT_LATE(v, false, 0);
	EXPECT_EQ(0, v.t_first_open);
	EXPECT_EQ(0, v.t_first_io);
	EXPECT_EQ(0, v.t_last_release);
	EXPECT_STREQ("", v.io_how);
	EXPECT_EQ(0, v.interrupts);
	EXPECT_FALSE(verdict_fh_is_childs(ev, ARRAY_SIZE(ev), CHILD, 9));
}

/* Another pid's file beside the child's, and another open after the reap
 * (at 150 ms). */
static const struct ev_rec beside[] = {
	OPEN(100 * MS, OTHER, 9),
	PARK(101 * MS, OTHER, 9, "read"),
	OPEN(110 * MS, CHILD, 3),
	RELEASE(120 * MS, 3),
	OPEN(160 * MS, OTHER, 4),
	RELEASE(170 * MS, 4),
	DONE(190 * MS, OTHER, 9, "read", "release", 0),
	RELEASE(200 * MS, 9),
};

TEST(other_pid_beside_a_child_open)
{
	struct verdict v = run(beside, ARRAY_SIZE(beside), CHILD, 150 * MS);

	/* only the child's counts */
	EXPECT_COUNTS(v, 1, 1, 0, 0);
	EXPECT_FALSE(v.late_release);
	EXPECT_EQ(120 * MS, v.t_last_release);
	EXPECT_EQ(110 * MS, v.t_first_open);
	/* the other pid's park is not the child's IO */
	EXPECT_EQ(0, v.t_first_io);
	EXPECT_STREQ("", v.io_how);
}

/* child 0 (a mount only the workload used): every open before the reap
 * counts, whoever made it; an open after the reap (the harness looking)
 * does not. */
TEST(every_opener)
{
	struct verdict v = run(beside, ARRAY_SIZE(beside), 0, 150 * MS);

	EXPECT_COUNTS(v, 2, 1, 1, 0);
	EXPECT_LATE(v, true, 50 * MS);
	EXPECT_EQ(100 * MS, v.t_first_open);
	EXPECT_EQ(101 * MS, v.t_first_io);
	EXPECT_EQ(OTHER, v.io_pid);
	EXPECT_STREQ("release", v.io_how);
	EXPECT_TRUE(verdict_fh_is_childs(beside, ARRAY_SIZE(beside), 0, 9));
	/* before the reap is known (t_reap 0), every open counts */
	v = run(beside, ARRAY_SIZE(beside), 0, 0);
	EXPECT_EQ(3, v.child_opens);
}

/* A failed open is no open. */
TEST(failed_open)
{
	const struct ev_rec ev[] = {
		E(100 * MS, LAG_EV_OPEN, CHILD, 0, -13, "", ""),
		E(101 * MS, LAG_EV_CREATE, CHILD, 0, -28, "", ""),
		RELEASE(200 * MS, 0),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 150 * MS);

	EXPECT_COUNTS(v, 0, 0, 0, 0);
	EXPECT_FALSE(v.late_release);
	EXPECT_EQ(0, v.t_first_open);
	EXPECT_FALSE(verdict_fh_is_childs(ev, ARRAY_SIZE(ev), CHILD, 0));
}

TEST(failed_open_then_a_create)
{
	const struct ev_rec ev[] = {
		E(100 * MS, LAG_EV_OPEN, CHILD, 8, -2, "", ""),
		CREATE(110 * MS, CHILD, 9),
		RELEASE(200 * MS, 8),
		RELEASE(210 * MS, 9),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 150 * MS);

	/* the create counts */
	EXPECT_COUNTS(v, 1, 0, 1, 0);
	EXPECT_EQ(110 * MS, v.t_first_open);
	/* late by 210 - 150 = 60 ms */
	EXPECT_LATE(v, true, 60 * MS);
}

/*
 * exit-punt: the read parks with the io-wq worker's tid, the kill brings
 * an interrupt and lagfs answers EINTR; the release comes after the reap.
 */
TEST(interrupts)
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
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 115 * MS);

	EXPECT_EQ(1, v.interrupts) TH_LOG("the child's one");
	EXPECT_STREQ("interrupt", v.io_how);
	/* a park by the io-wq worker on the child's fh is the child's IO */
	EXPECT_EQ(101 * MS, v.t_first_io);
	EXPECT_EQ(1, v.child_opens);
	/* late by 119 - 115 = 4 ms */
	EXPECT_LATE(v, true, 4 * MS);
	EXPECT_TRUE(verdict_fh_is_childs(ev, ARRAY_SIZE(ev), CHILD, 11));
	EXPECT_FALSE(verdict_fh_is_childs(ev, ARRAY_SIZE(ev), CHILD, 12));
}

TEST(two_parked_reads_interrupted)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 11),
		PARK(101 * MS, WORKER, 11, "read"),
		PARK(102 * MS, WORKER + 1, 11, "read"),
		INTR(110 * MS, WORKER, 11, "read"),
		INTR(110 * MS + 10, WORKER + 1, 11, "read"),
		DONE(110 * MS + 20, WORKER, 11, "read", "interrupt", -4),
		DONE(110 * MS + 30, WORKER + 1, 11, "read", "interrupt", -4),
		RELEASE(119 * MS, 11),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 115 * MS);

	EXPECT_EQ(2, v.interrupts);
}

/* io_how comes from the completion of the first park, not a later one. */
TEST(io_how_of_the_first_park)
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
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 120 * MS);

	/* the read, ended by release, not the interrupted write */
	EXPECT_STREQ("release", v.io_how);
	EXPECT_EQ(102 * MS, v.t_first_io);
	EXPECT_EQ(1, v.interrupts) TH_LOG("the write's interrupt");
	/* two files late: lateness from the last release */
	EXPECT_COUNTS(v, 2, 0, 2, 0);
	EXPECT_EQ(20 * MS, v.lateness_ns);
	EXPECT_EQ(140 * MS, v.t_last_release);
}

/* The first park's completion is a different op on the same fh: the
 * completion of the first park's op (write), not the read's. */
TEST(io_how_of_the_first_parks_op)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 31),
		PARK(102 * MS, CHILD, 31, "write"),
		PARK(103 * MS, CHILD, 31, "read"),
		DONE(104 * MS, CHILD, 31, "read", "max", 0),
		DONE(105 * MS, CHILD, 31, "write", "interrupt", -4),
		RELEASE(140 * MS, 31),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 120 * MS);

	EXPECT_STREQ("interrupt", v.io_how);
}

TEST(no_park_no_io)
{
	const struct ev_rec ev[] = {
		OPEN(100 * MS, CHILD, 41),
		RELEASE(140 * MS, 41),
	};
	struct verdict v = run(ev, ARRAY_SIZE(ev), CHILD, 120 * MS);

	EXPECT_STREQ("", v.io_how);
	EXPECT_EQ(0, v.t_first_io);
}

TEST(no_events)
{
	struct verdict v = run(NULL, 0, CHILD, 100 * MS);

	EXPECT_COUNTS(v, 0, 0, 0, 0);
	EXPECT_EQ(0, v.t_first_open);
	EXPECT_EQ(0, v.t_first_io);
	EXPECT_EQ(0, v.t_last_release);
	EXPECT_LATE(v, false, 0);
	EXPECT_EQ(0, v.interrupts);
	EXPECT_STREQ("", v.io_how);
	EXPECT_FALSE(verdict_fh_is_childs(NULL, 0, CHILD, 1));
}

/* --close-in-flight: the child's own FLUSH of each file it opened. */
TEST(child_closed)
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

	/* t of the child's last flush, one per open */
	EXPECT_EQ(105 * MS, verdict_child_closed(ev, ARRAY_SIZE(ev), CHILD));
	/* not while a file lacks the child's flush */
	EXPECT_EQ(0, verdict_child_closed(ev, 5, CHILD));
	/* a flush after the fh was opened again closes only that open */
	EXPECT_EQ(0, verdict_child_closed(reused, ARRAY_SIZE(reused), CHILD));
	/* nothing for a pid that opened nothing */
	EXPECT_EQ(0, verdict_child_closed(ev, ARRAY_SIZE(ev), OTHER));
}

/* ---- the class: cause and symptom, counted apart ----------------------- */

/* async-dio: released 25 ms after the reap at 1020 ms */
static const struct ev_rec late[] = {
	OPEN(1000 * MS, CHILD, 7),
	PARK(1010 * MS, CHILD, 7, "read"),
	DONE(1030 * MS, CHILD, 7, "read", "release", 0),
	RELEASE(1045 * MS, 7),
};

/* Seen on 6.12: the probe found the mount busy at the reap (1020 ms), the
 * release came 0.14 ms before the real unmount, and the unmount
 * succeeded. */
static const struct ev_rec late_then_ok[] = {
	OPEN(1000 * MS, CHILD, 7),
	PARK(1010 * MS, WORKER, 7, "read"),
	FLUSH(1012 * MS, CHILD, 7),
	DONE(1015 * MS, WORKER, 7, "read", "release", 0),
	RELEASE(1020 * MS + 60000, 7),
};

/* page cache: the unmount tore the connection down first */
static const struct ev_rec lost[] = {
	OPEN(100 * MS, CHILD, 7),
	FLUSH(110 * MS, CHILD, 7),
	UNRELEASED(160 * MS, 7),
};

/* A stream, what the kernel said, and the class it makes; "reason" in the
 * error of a VC_ERROR. */
static const struct classify_case {
	const char *name;
	const struct ev_rec *ev;
	size_t n;
	uint64_t t_reap;
	bool busy_at_reap, ebusy;
	enum verdict_class want;
	bool cause;
	const char *reason;
} classes[] = {
	{ "late release and EBUSY: reproduced", late, ARRAY_SIZE(late),
	  1020 * MS, true, true, VC_REPRODUCED, true, "" },
	{ "late release, first unmount ok: late release only",
	  late_then_ok, ARRAY_SIZE(late_then_ok), 1020 * MS, true, false,
	  VC_LATE_ONLY, true, "" },
	{ "EBUSY, released before the reap: EBUSY only", sync_dio,
	  ARRAY_SIZE(sync_dio), 205 * MS, false, true, VC_EBUSY_ONLY, false,
	  "" },
	{ "neither: clean", sync_dio, ARRAY_SIZE(sync_dio), 205 * MS, false,
	  false, VC_CLEAN, false, "" },
	/* the child's own fput, its RELEASE sent asynchronously: not late */
	{ "RELEASE after the reap, the mount free at the reap: clean", late,
	  ARRAY_SIZE(late), 1020 * MS, false, false, VC_CLEAN, false, "" },
	{ "the same with an EBUSY: EBUSY only, not reproduced", late,
	  ARRAY_SIZE(late), 1020 * MS, false, true, VC_EBUSY_ONLY, false, "" },
	{ "a release lagfs never saw, mount busy at the reap: an error", lost,
	  ARRAY_SIZE(lost), 120 * MS, true, true, VC_ERROR, false,
	  "never saw the release" },
	/* the probe proves the file was let go */
	{ "a release lagfs never saw, mount free at the reap: not late", lost,
	  ARRAY_SIZE(lost), 120 * MS, false, false, VC_CLEAN, false, "" },
};

TEST(classify)
{
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		const struct classify_case *c = &classes[i];
		struct verdict v = run(c->ev, c->n, CHILD, c->t_reap);
		struct verdict_obs o = { .busy_at_reap = c->busy_at_reap,
					 .ebusy = c->ebusy };
		char err[200] = "";
		bool cause = !c->cause;

		EXPECT_EQ(c->want, verdict_classify(&v, &o, &cause, err,
						    sizeof(err)))
			TH_LOG("%s", c->name);
		EXPECT_EQ(c->cause, cause) TH_LOG("%s", c->name);
		if (c->reason[0])
			EXPECT_IN(c->reason, err) TH_LOG("%s", c->name);
		else
			EXPECT_STREQ("", err) TH_LOG("%s", c->name);
	}
}

TEST(class_words)
{
	EXPECT_STREQ("reproduced", verdict_key(VC_REPRODUCED));
	EXPECT_IN("REPRODUCED", verdict_words(VC_REPRODUCED, MIT_NONE));
	EXPECT_STREQ("late release, but the unmount came after it",
		     verdict_words(VC_LATE_ONLY, MIT_NONE));
	EXPECT_STREQ("EBUSY without a late release of the child's file",
		     verdict_words(VC_EBUSY_ONLY, MIT_NONE));
	for (int k = VC_ERROR; k <= VC_CLEAN; k++)
		EXPECT_EQ(k, verdict_from_key(verdict_key(k)))
			TH_LOG("key '%s'", verdict_key(k));
	EXPECT_EQ(-1, verdict_from_key("bogus"));
}

/* What --expect race and --expect clean count. */
TEST(expect)
{
	/* race: only a reproduction counts */
	EXPECT_TRUE(verdict_hit(VC_REPRODUCED, MIT_NONE));
	EXPECT_FALSE(verdict_hit(VC_LATE_ONLY, MIT_NONE));
	EXPECT_FALSE(verdict_hit(VC_EBUSY_ONLY, MIT_NONE));
	EXPECT_FALSE(verdict_hit(VC_CLEAN, MIT_NONE));
	EXPECT_FALSE(verdict_hit(VC_ERROR, MIT_NONE));
	/* with wait-release or lazy (no EBUSY by design) the late release
	 * counts */
	EXPECT_TRUE(verdict_hit(VC_LATE_ONLY, MIT_WAIT_RELEASE));
	EXPECT_TRUE(verdict_hit(VC_LATE_ONLY, MIT_LAZY));
	EXPECT_FALSE(verdict_hit(VC_LATE_ONLY, MIT_RETRY));
	EXPECT_FALSE(verdict_hit(VC_CLEAN, MIT_LAZY));
	/* clean: neither cause nor symptom */
	EXPECT_TRUE(verdict_clean(VC_CLEAN));
	EXPECT_FALSE(verdict_clean(VC_LATE_ONLY));
	EXPECT_FALSE(verdict_clean(VC_EBUSY_ONLY));
	EXPECT_FALSE(verdict_clean(VC_REPRODUCED));
	EXPECT_FALSE(verdict_clean(VC_ERROR));
}

TEST_HARNESS_MAIN
