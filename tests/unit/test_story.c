/*
 * story: the story of recorded iterations (times as measured in real
 * runs): who holds the child's file follows the events (the exit-punt
 * file closed before the kill is held by the IO in flight; the sync
 * engine's and 6.1's releases before the reap are the child's own exit,
 * never io_uring's fallback or delayed_fput; "nobody" from the probe that
 * found the mount free, not from a RELEASE that came later), steps are in
 * time order, the narration fits in 80 columns, and the story survives
 * the JSON document unchanged (`lagrace explain --json`). Also runinfo:
 * HZ from a kernel config, the nearest HZ to a measurement, the command
 * line without directories.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "narrate.h"
#include "result_json.h"
#include "runinfo.h"
#include "story.h"
#include "story_check.h"

#define MS 1000000ull
#define KILL (1000 * MS)
#define CHILD 4121
#define WORKER 4125
#define T(us) (KILL + (int64_t)(us) * 1000)  /* us relative to the kill */

/* lagfs's events of the child's file, us relative to the kill. */
#define EV(us, k, who, o, h) { .t_ns = T(us), .kind = (k), .pid = (who), \
			       .hold = (k) == LAG_EV_PARK, .op = o, .how = h }
#define OPEN(us) EV(us, LAG_EV_OPEN, CHILD, "", "")
#define PARK(us, who) EV(us, LAG_EV_PARK, who, "read", "")
#define FLUSH(us) EV(us, LAG_EV_FLUSH, CHILD, "", "")
#define INTERRUPT(us, who) EV(us, LAG_EV_INTERRUPT, who, "read", "")
#define ANSWER(us, who) EV(us, LAG_EV_ANSWER, who, "read", "release")
#define RELEASE(us) EV(us, LAG_EV_RELEASE, 0, "", "")

/* An iteration of the child with one file, killed at KILL. */
#define ONE_FILE .child = CHILD, .t_kill = KILL, .n_files = 1,		\
	.files = { "/lag-0.lag" }

/* How a reproducing iteration ends: reaped while the mount is busy, the
 * first unmount fails with EBUSY, the probe finds the mount free, the
 * last unmount succeeds (us relative to the kill). */
#define REPRODUCED(reap, ebusy_, free_, done)				\
	.t_reap = T(reap), .t_probe_reap = T(reap), .busy_at_reap = true, \
	.t_umount1 = T(ebusy_), .umount1_errno = EBUSY, .ebusy = true,	\
	.t_free = T(free_), .t_umount_done = T(done), .umount_ok = true, \
	.vclass = VC_REPRODUCED

/* async-dio on 6.18, as measured: the dying child's FLUSH, the answer
 * after the reap, the RELEASE 13 ms later. */
static const struct iter_result async_dio = {
	ONE_FILE, REPRODUCED(306, 315, 13486, 14251), .late_release = true,
	.t_mounted = T(-1005), .t_fork = T(-1005),
	.t_hold_released = T(318), .hold_why = HOLD_AFTER_EBUSY,
	.n_ev = 5,
	.ev = { OPEN(-624), PARK(-100, CHILD), FLUSH(221), ANSWER(442, CHILD),
		RELEASE(13358) },
};

/* exit-punt on 6.18: the child closes its file before the kill; the
 * worker's read is answered after the kill, before the reap. */
static const struct iter_result exit_punt = {
	ONE_FILE, REPRODUCED(717, 725, 7587, 7946),
	.t_mounted = T(-994), .t_fork = T(-943), .t_cue = T(-242),
	.t_hold_released = T(289), .hold_why = HOLD_CHILD_EXITING,
	.n_ev = 6,
	.ev = { OPEN(-576), PARK(-301, WORKER), FLUSH(-189),
		INTERRUPT(73, WORKER), ANSWER(380, WORKER), RELEASE(7423) },
};

/* sync O_DIRECT: the kill does not interrupt the read; the reap waits
 * until lagrace lets the hold go after 100 ms. */
static const struct iter_result sync_dio = {
	ONE_FILE, .t_fork = T(-670), .vclass = VC_CLEAN,
	.t_hold_released = T(100073), .hold_why = HOLD_REAP_BLOCKED,
	.reap_blocked = true, .t_reap = T(100847), .t_probe_reap = T(100847),
	.t_umount1 = T(100858), .t_umount_done = T(100858), .umount_ok = true,
	.n_ev = 5,
	.ev = { OPEN(-317), PARK(-182, CHILD), ANSWER(100355, CHILD),
		FLUSH(100748), RELEASE(100819) },
};

/* The iteration under test, and its story. */
static struct iter_result R;
static struct story S;


/* The story's words, a line a step: what a failed check shows. */
static const char *words(const struct story *s)
{
	static char buf[STORY_MAX * 460];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"\n%+.3f ms %s (%s)",
					(double)s->step[i].t_ns / 1e6,
					s->step[i].text, s->step[i].why);
	return buf;
}

/* The index of the first step earlier than the one before it, or -1. */
static int out_of_order(const struct story *s)
{
	for (int i = 1; i < s->n; i++)
		if (s->step[i].t_ns < s->step[i - 1].t_ns)
			return i;
	return -1;
}

/* The index of the step whose text has word, or -1. */
static int step_of(const struct story *s, const char *word)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->step[i].text, word))
			return i;
	return -1;
}

/* The step whose text has word; there must be one. */
static const struct story_step *step(struct __test_metadata *_metadata,
				     const char *word)
{
	int i = step_of(&S, word);

	ASSERT_LE(0, i) TH_LOG("no step says '%s':%s", word, words(&S));
	return &S.step[i];
}

static void tell(const struct iter_result *rec)
{
	R = *rec;
	story_build(&R, MIT_NONE, &S);
}

TEST(async_dio)
{
	const struct story_step *st;

	tell(&async_dio);
	EXPECT_LE(12, S.n);
	EXPECT_EQ(-1, out_of_order(&S)) TH_LOG("%s", words(&S));
	EXPECT_STREQ("the child|the dying child|the IO in flight|"
		     "delayed_fput, in a kernel thread|nobody|", holders(&S));
	/* the IO came from the child: no io_uring fallback */
	EXPECT_NOT_IN("fallback", words(&S));
	/* delayed_fput, inferred from the answer after the reap */
	st = step(_metadata, "answered the held read");
	EXPECT_EQ(H_DELAYED, st->holder);
	EXPECT_TRUE(st->inferred);
	EXPECT_IN("after the reap", st->why);
	/* the fork comes before the open, at its own time; times are ns
	 * relative to the kill */
	EXPECT_EQ(1, step_of(&S, "forked the child")) TH_LOG("%s", words(&S));
	EXPECT_EQ(-1005000, S.step[0].t_ns);
	EXPECT_EQ(-1005000, S.step[1].t_ns);
	EXPECT_EQ(0, step(_metadata, "SIGKILL")->t_ns);
}

TEST(exit_punt)
{
	const struct story_step *st;

	tell(&exit_punt);
	EXPECT_EQ(-1, out_of_order(&S)) TH_LOG("%s", words(&S));
	EXPECT_STREQ("the child|the IO in flight|io_uring fallback, then "
		     "delayed_fput|nobody|", holders(&S));
	/* the file was closed before the kill: from then on the IO in
	 * flight holds it */
	st = step(_metadata, "FLUSH");
	EXPECT_GT(0, st->t_ns);
	EXPECT_EQ(H_IN_FLIGHT, st->holder);
	EXPECT_IN("closed its descriptor", st->text);
	/* the kill does not make the child the holder again */
	EXPECT_EQ(H_SAME, step(_metadata, "SIGKILL")->holder);
	/* io_uring fallback, inferred from the worker's read answered
	 * between kill and reap */
	st = step(_metadata, "answered");
	EXPECT_EQ(H_FALLBACK, st->holder);
	EXPECT_TRUE(st->inferred);
	EXPECT_IN("io-wq worker 4125", st->why);
	step(_metadata, "arrived from io-wq worker 4125");
}

/* exit-punt as 6.1 does it: the RELEASE comes before the reap. */
TEST(exit_punt_on_6_1)
{
	R = exit_punt;
	R.ev[5].t_ns = T(1530);	/* the RELEASE */
	R.t_reap = R.t_probe_reap = T(3100);
	R.busy_at_reap = false;
	R.t_umount1 = R.t_umount_done = T(3110);
	R.umount1_errno = 0;
	R.ebusy = false;
	R.t_free = 0;
	R.vclass = VC_CLEAN;
	story_build(&R, MIT_NONE, &S);
	EXPECT_STREQ("the child|the IO in flight|the child's own exit|nobody|",
		     holders(&S));
	EXPECT_NOT_IN("fallback", words(&S));
	EXPECT_NOT_IN("delayed_fput", words(&S));
	/* and it says that the RELEASE came before the reap */
	step(_metadata, "before the reap");
}

TEST(sync)
{
	tell(&sync_dio);
	EXPECT_STREQ("the child|the dying child|the child's own exit|nobody|",
		     holders(&S));
	EXPECT_NOT_IN("fallback", words(&S));
	EXPECT_NOT_IN("delayed_fput", words(&S));
	EXPECT_NOT_IN("INTERRUPT", words(&S));
	/* lagrace let the hold go as the reap waited */
	EXPECT_IN("100 ms after the kill", step(_metadata, "not reaped")->text);
}

/* The probe found the mount free 2.2 ms before lagfs logged the RELEASE:
 * nobody holds the file from the probe on. */
TEST(free_before_the_release)
{
	const struct story_step *st;

	R = async_dio;
	R.t_free = T(13000);
	R.ev[4].t_ns = T(15200);
	R.t_umount_done = T(15300);
	story_build(&R, MIT_NONE, &S);
	st = step(_metadata, "the mount is free (EAGAIN)");
	EXPECT_EQ(H_NOBODY, st->holder);
	EXPECT_EQ(13000000, st->t_ns);
	st = step(_metadata, "RELEASE of");
	EXPECT_EQ(H_SAME, st->holder);
	EXPECT_IN("the mount was free 2.200 ms before", st->text);
}

/* lagfs never saw the RELEASE: who held the file is unknown until the
 * probe finds the mount free, if it does. */
TEST(lost_release)
{
	R = async_dio;
	R.ev[4].kind = LAG_EV_UNRELEASED;
	story_build(&R, MIT_NONE, &S);
	EXPECT_STREQ("the child|the dying child|the IO in flight|unknown|"
		     "nobody|", holders(&S));
	step(_metadata, "the mount ended without a RELEASE of /lag-0.lag");
	/* the mount never free: unknown to the end */
	R.t_free = 0;
	story_build(&R, MIT_NONE, &S);
	EXPECT_STREQ("the child|the dying child|the IO in flight|unknown|",
		     holders(&S));
}

TEST(no_kill_no_story)
{
	R = async_dio;
	R.t_kill = 0;
	story_build(&R, MIT_NONE, &S);
	EXPECT_EQ(0, S.n);
}

/* Lines of the narration: none longer than 80 columns, no pointer. */
TEST(narration)
{
	char *text = NULL, *line, *save;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct runinfo ri = { .version = "0.2", .kernel = "6.18.44", .hz = 250,
			      .hz_source = "CONFIG_HZ in /proc/config.gz",
			      .scenario = "exit-punt", .engine = "uring" };
	char *argv[] = { "/build/lagrace", "--explain", "--scenario",
			 "exit-punt", "--json", "/tmp/lagfs-test.x/e.json" };

	ASSERT_NE(NULL, f);
	ri.argc = 6;
	ri.argv = argv;
	ri.rules[0] = "open path=*.lag direct_io";
	ri.rules[1] = "read path=*.lag hold keep max=10s";
	narrate_header(f, &ri, &exit_punt);
	narrate_story(f, &exit_punt, MIT_NONE);
	ASSERT_EQ(0, fclose(f));
	/* a header with kernel, HZ and the command line */
	EXPECT_IN("kernel 6.18.44, HZ 250", text);
	EXPECT_IN("command: lagrace --explain --scenario exit-punt --json "
		  "e.json", text);
	/* no temporary path, no pointer */
	EXPECT_NOT_IN("/tmp", text);
	EXPECT_NOT_IN("0x", text);
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		EXPECT_GE(80, strlen(line)) TH_LOG("%s", line);
	free(text);
}

/* The story from the JSON document is the story of the run. */
TEST(json_round_trip)
{
	static struct iter_result back;
	static struct story first;
	json_object *o = result_to_json(&exit_punt, MIT_NONE), *again;
	char err[200] = "";

	story_build(&exit_punt, MIT_NONE, &first);
	again = json_tokener_parse(json_object_to_json_string(o));
	ASSERT_NE(NULL, again);
	ASSERT_EQ(0, result_from_json(again, &back, err, sizeof(err)))
		TH_LOG("%s", err);
	story_build(&back, MIT_NONE, &S);
	/* the same steps, times, words and holders */
	EXPECT_EQ(-1, story_differs(&first, &S));
	json_object_put(o);
	json_object_put(again);
}

TEST(runinfo_hz)
{
	EXPECT_EQ(250, runinfo_hz_from_config("CONFIG_HZ_250=y\n"
					      "CONFIG_HZ=250\n"));
	/* on the last line, no newline */
	EXPECT_EQ(1000, runinfo_hz_from_config("# CONFIG_HZ_PERIODIC is not "
					       "set\nCONFIG_HZ_1000=y\n"
					       "CONFIG_HZ=1000"));
	/* no CONFIG_HZ: 0 (unknown) */
	EXPECT_EQ(0, runinfo_hz_from_config("CONFIG_HZ_250=y\n"));
	EXPECT_EQ(0, runinfo_hz_from_config(""));
	/* a measured rate: the CONFIG_HZ nearest to it, if one is near */
	EXPECT_EQ(250, runinfo_hz_nearest(248.7));
	EXPECT_EQ(1000, runinfo_hz_nearest(1003));
	EXPECT_EQ(100, runinfo_hz_nearest(99));
	EXPECT_EQ(300, runinfo_hz_nearest(297));
	EXPECT_EQ(0, runinfo_hz_nearest(180));
	EXPECT_EQ(0, runinfo_hz_nearest(0));
}

/* The command line: no directories, quoted for a shell. */
TEST(runinfo_command)
{
	struct runinfo ri = { 0 };
	char *argv[] = { "/x/build/lagrace", "--json", "/tmp/abc/r.json",
			 "--svg=/tmp/q/p.svg", "--scenario", "exit-punt",
			 "it's" };
	char cmd[256];

	ri.argc = 7;
	ri.argv = argv;
	runinfo_command(&ri, cmd, sizeof(cmd));
	EXPECT_STREQ("lagrace --json r.json --svg=p.svg --scenario exit-punt "
		     "'it'\\''s'", cmd);
}

TEST_HARNESS_MAIN
