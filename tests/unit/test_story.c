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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "narrate.h"
#include "result_json.h"
#include "runinfo.h"
#include "story.h"
#include "tap.h"

#define MS 1000000ull
#define KILL (1000 * MS)
#define CHILD 4121
#define WORKER 4125
#define T(us) (KILL + (int64_t)(us) * 1000)  /* us relative to the kill */

static struct iter_result *fresh(void)
{
	static struct iter_result r;

	memset(&r, 0, sizeof(r));
	r.child = CHILD;
	r.t_kill = KILL;
	r.n_files = 1;
	snprintf(r.files[0], sizeof(r.files[0]), "/lag-0.lag");
	return &r;
}

static void ev(struct iter_result *r, int64_t us, int kind, int pid,
	       const char *op, const char *how)
{
	struct iter_ev *e = &r->ev[r->n_ev++];

	memset(e, 0, sizeof(*e));
	e->t_ns = T(us);
	e->kind = (uint8_t)kind;
	e->pid = pid;
	e->hold = kind == LAG_EV_PARK;
	snprintf(e->op, sizeof(e->op), "%s", op ? op : "");
	snprintf(e->how, sizeof(e->how), "%s", how ? how : "");
}

/* "a|b|c|": the holders in order. */
static const char *holders(const struct story *s)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < s->n; i++)
		if (s->step[i].holder != H_SAME)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s|",
						story_holder_name(s->step[i].holder));
	return buf;
}

static bool mentions(const struct story *s, const char *word)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->step[i].text, word) || strstr(s->step[i].why, word))
			return true;
	return false;
}

static bool in_order(const struct story *s)
{
	for (int i = 1; i < s->n; i++)
		if (s->step[i].t_ns < s->step[i - 1].t_ns)
			return false;
	return true;
}

/* The step whose text has word, or NULL. */
static const struct story_step *step_of(const struct story *s,
					const char *word)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->step[i].text, word))
			return &s->step[i];
	return NULL;
}

static struct story S;

/* async-dio on 6.18, as measured: the dying child's FLUSH, the answer
 * after the reap, the RELEASE 13 ms later. */
static struct iter_result *async_dio(void)
{
	struct iter_result *r = fresh();

	r->t_mounted = T(-1005);
	r->t_fork = T(-1005);
	r->t_reap = T(306);
	r->t_probe_reap = T(306);
	r->busy_at_reap = true;
	r->t_umount1 = T(315);
	r->umount1_errno = 16; /* EBUSY */
	r->ebusy = true;
	r->t_hold_released = T(318);
	r->hold_why = HOLD_AFTER_EBUSY;
	r->t_free = T(13486);
	r->t_umount_done = T(14251);
	r->umount_ok = true;
	r->vclass = VC_REPRODUCED;
	r->late_release = true;
	ev(r, -624, LAG_EV_OPEN, CHILD, NULL, NULL);
	ev(r, -100, LAG_EV_PARK, CHILD, "read", NULL);
	ev(r, 221, LAG_EV_FLUSH, CHILD, NULL, NULL);
	ev(r, 442, LAG_EV_ANSWER, CHILD, "read", "release");
	ev(r, 13358, LAG_EV_RELEASE, 0, NULL, NULL);
	return r;
}

static void test_async_dio(void)
{
	struct iter_result *r = async_dio();
	const struct story_step *st;

	story_build(r, MIT_NONE, &S);
	ok(S.n >= 12, "async-dio: a story of %d steps", S.n);
	ok(in_order(&S), "async-dio: steps in time order");
	ok(!strcmp(holders(&S), "the child|the dying child|the IO in flight|"
		   "delayed_fput, in a kernel thread|nobody|"),
	   "async-dio: holders %s", holders(&S));
	ok(!mentions(&S, "fallback"),
	   "async-dio: no io_uring fallback (the IO came from the child)");
	st = step_of(&S, "answered the held read");
	ok(st && st->holder == H_DELAYED && st->inferred &&
	   strstr(st->why, "after the reap"),
	   "async-dio: delayed_fput is inferred from the answer after the "
	   "reap ('%s')", st ? st->why : "");
	st = step_of(&S, "forked the child");
	ok(st && st == &S.step[1] && st->t_ns == -1005000,
	   "async-dio: the fork comes before the open, at its own time");
	ok(S.step[0].t_ns == -1005000 && step_of(&S, "SIGKILL")->t_ns == 0,
	   "async-dio: times are ns relative to the kill");
}

/* exit-punt on 6.18: the child closes its file before the kill; the
 * worker's read is answered after the kill, before the reap. */
static struct iter_result *exit_punt(void)
{
	struct iter_result *r = fresh();

	r->t_mounted = T(-994);
	r->t_fork = T(-943);
	r->t_cue = T(-242);
	r->t_hold_released = T(289);
	r->hold_why = HOLD_CHILD_EXITING;
	r->t_reap = T(717);
	r->t_probe_reap = T(717);
	r->busy_at_reap = true;
	r->t_umount1 = T(725);
	r->umount1_errno = 16;
	r->ebusy = true;
	r->t_free = T(7587);
	r->t_umount_done = T(7946);
	r->umount_ok = true;
	r->vclass = VC_REPRODUCED;
	ev(r, -576, LAG_EV_OPEN, CHILD, NULL, NULL);
	ev(r, -301, LAG_EV_PARK, WORKER, "read", NULL);
	ev(r, -189, LAG_EV_FLUSH, CHILD, NULL, NULL);
	ev(r, 73, LAG_EV_INTERRUPT, WORKER, "read", NULL);
	ev(r, 380, LAG_EV_ANSWER, WORKER, "read", "release");
	ev(r, 7423, LAG_EV_RELEASE, 0, NULL, NULL);
	return r;
}

static void test_exit_punt(void)
{
	struct iter_result *r = exit_punt();
	const struct story_step *st;

	story_build(r, MIT_NONE, &S);
	ok(in_order(&S), "exit-punt: steps in time order");
	ok(!strcmp(holders(&S), "the child|the IO in flight|io_uring "
		   "fallback, then delayed_fput|nobody|"),
	   "exit-punt: holders %s", holders(&S));
	st = step_of(&S, "FLUSH");
	ok(st && st->t_ns < 0 && st->holder == H_IN_FLIGHT &&
	   strstr(st->text, "closed its descriptor"),
	   "exit-punt: the file was closed before the kill: from then on the "
	   "IO in flight holds it");
	st = step_of(&S, "SIGKILL");
	ok(st && st->holder == H_SAME,
	   "exit-punt: the kill does not make the child the holder again");
	st = step_of(&S, "answered");
	ok(st && st->holder == H_FALLBACK && st->inferred &&
	   strstr(st->why, "io-wq worker 4125"),
	   "exit-punt: io_uring fallback, inferred from the worker's read "
	   "answered between kill and reap ('%s')", st ? st->why : "");
	ok(step_of(&S, "arrived from io-wq worker 4125") != NULL,
	   "exit-punt: the read came from the io-wq worker");
}

/* exit-punt as 6.1 does it: the RELEASE comes before the reap. */
static void test_exit_punt_6_1(void)
{
	struct iter_result *r = exit_punt();

	r->ev[5].t_ns = T(1530);   /* the RELEASE */
	r->t_reap = r->t_probe_reap = T(3100);
	r->busy_at_reap = false;
	r->t_umount1 = r->t_umount_done = T(3110);
	r->umount1_errno = 0;
	r->ebusy = false;
	r->t_free = 0;
	r->vclass = VC_CLEAN;
	story_build(r, MIT_NONE, &S);
	ok(!strcmp(holders(&S), "the child|the IO in flight|the child's own "
		   "exit|nobody|"), "6.1 exit-punt: holders %s", holders(&S));
	ok(!mentions(&S, "fallback") && !mentions(&S, "delayed_fput"),
	   "6.1 exit-punt: neither io_uring fallback nor delayed_fput");
	ok(step_of(&S, "before the reap") != NULL,
	   "6.1 exit-punt: the RELEASE came before the reap, and it says so");
}

/* sync O_DIRECT: the kill does not interrupt the read; the reap waits
 * until lagrace lets the hold go after 100 ms. */
static void test_sync(void)
{
	struct iter_result *r = fresh();
	const struct story_step *st;

	r->t_fork = T(-670);
	r->t_hold_released = T(100073);
	r->hold_why = HOLD_REAP_BLOCKED;
	r->reap_blocked = true;
	r->t_reap = r->t_probe_reap = T(100847);
	r->t_umount1 = r->t_umount_done = T(100858);
	r->umount_ok = true;
	r->vclass = VC_CLEAN;
	ev(r, -317, LAG_EV_OPEN, CHILD, NULL, NULL);
	ev(r, -182, LAG_EV_PARK, CHILD, "read", NULL);
	ev(r, 100355, LAG_EV_ANSWER, CHILD, "read", "release");
	ev(r, 100748, LAG_EV_FLUSH, CHILD, NULL, NULL);
	ev(r, 100819, LAG_EV_RELEASE, 0, NULL, NULL);
	story_build(r, MIT_NONE, &S);
	ok(!strcmp(holders(&S), "the child|the dying child|the child's own "
		   "exit|nobody|"), "sync: holders %s", holders(&S));
	ok(!mentions(&S, "fallback") && !mentions(&S, "delayed_fput") &&
	   !mentions(&S, "INTERRUPT"),
	   "sync: no fallback, no delayed_fput, no interrupt");
	st = step_of(&S, "not reaped");
	ok(st && strstr(st->text, "100 ms after the kill"),
	   "sync: lagrace let the hold go as the reap waited ('%s')",
	   st ? st->text : "");
}

/* The probe found the mount free 2.2 ms before lagfs logged the RELEASE:
 * nobody holds the file from the probe on. */
static void test_free_before_release(void)
{
	struct iter_result *r = async_dio();
	const struct story_step *st;

	r->t_free = T(13000);
	r->ev[4].t_ns = T(15200);
	r->t_umount_done = T(15300);
	story_build(r, MIT_NONE, &S);
	st = step_of(&S, "the mount is free (EAGAIN)");
	ok(st && st->holder == H_NOBODY && st->t_ns == 13000000,
	   "free before RELEASE: nobody from the probe at +13.000 ms");
	st = step_of(&S, "RELEASE of");
	ok(st && st->holder == H_SAME &&
	   strstr(st->text, "the mount was free 2.200 ms before"),
	   "free before RELEASE: the RELEASE says the mount was free 2.2 ms "
	   "before ('%s')", st ? st->text : "");
}

/* lagfs never saw the RELEASE: who held the file is unknown until the
 * probe finds the mount free, if it does. */
static void test_lost(void)
{
	struct iter_result *r = async_dio();

	r->ev[4].kind = LAG_EV_UNRELEASED;
	story_build(r, MIT_NONE, &S);
	ok(!strcmp(holders(&S), "the child|the dying child|the IO in flight|"
		   "unknown|nobody|"),
	   "lost RELEASE: unknown, then nobody from the probe (%s)",
	   holders(&S));
	ok(step_of(&S, "the mount ended without a RELEASE of /lag-0.lag") != NULL,
	   "lost RELEASE: the story says lagfs saw none");
	r->t_free = 0;
	story_build(r, MIT_NONE, &S);
	ok(!strcmp(holders(&S), "the child|the dying child|the IO in flight|"
		   "unknown|"),
	   "lost RELEASE, mount never free: unknown to the end (%s)",
	   holders(&S));
}

static void test_no_kill(void)
{
	struct iter_result *r = fresh();

	r->t_kill = 0;
	story_build(r, MIT_NONE, &S);
	ok(S.n == 0, "no kill: no story");
}

/* Lines of the narration: none longer than 80 columns, no pointer. */
static void test_narration(void)
{
	char *text = NULL, *line, *save;
	size_t len = 0, longest = 0;
	FILE *f = open_memstream(&text, &len);
	struct runinfo ri = { .version = "0.2", .kernel = "6.18.44", .hz = 250,
			      .hz_source = "CONFIG_HZ in /proc/config.gz",
			      .scenario = "exit-punt", .engine = "uring" };
	char *argv[] = { "/build/lagrace", "--explain", "--scenario",
			 "exit-punt", "--json", "/tmp/lagfs-test.x/e.json" };

	ri.argc = 6;
	ri.argv = argv;
	ri.rules[0] = "open path=*.lag direct_io";
	ri.rules[1] = "read path=*.lag hold keep max=10s";
	narrate_header(f, &ri, exit_punt());
	narrate_story(f, exit_punt(), MIT_NONE);
	fclose(f);
	ok(text && strstr(text, "kernel 6.18.44, HZ 250") &&
	   strstr(text, "command: lagrace --explain --scenario exit-punt "
		  "--json e.json"),
	   "narration: a header with kernel, HZ and the command line");
	ok(text && !strstr(text, "/tmp") && !strstr(text, "0x"),
	   "narration: no temporary path, no pointer");
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > longest)
			longest = strlen(line);
	ok(longest <= 80, "narration: the longest line is %zu columns",
	   longest);
	free(text);
}

/* The story from the JSON document is the story of the run. */
static void test_json_round_trip(void)
{
	static struct iter_result back;
	static struct story first;
	struct iter_result *r = exit_punt();
	json_object *o = result_to_json(r, MIT_NONE), *again;
	char err[200] = "";
	bool same = true;

	story_build(r, MIT_NONE, &first);
	again = json_tokener_parse(json_object_to_json_string(o));
	ok(again && result_from_json(again, &back, err, sizeof(err)) == 0,
	   "round trip: the iteration reads back ('%s')", err);
	story_build(&back, MIT_NONE, &S);
	same = S.n == first.n;
	for (int i = 0; same && i < S.n; i++)
		same = S.step[i].t_ns == first.step[i].t_ns &&
		       S.step[i].holder == first.step[i].holder &&
		       !strcmp(S.step[i].text, first.step[i].text) &&
		       !strcmp(S.step[i].why, first.step[i].why);
	ok(same, "round trip: the same %d steps, times, words and holders",
	   first.n);
	json_object_put(o);
	json_object_put(again);
}

static void test_runinfo(void)
{
	struct runinfo ri = { 0 };
	char *argv[] = { "/x/build/lagrace", "--json", "/tmp/abc/r.json",
			 "--svg=/tmp/q/p.svg", "--scenario", "exit-punt",
			 "it's" };
	char cmd[256];

	ok(runinfo_hz_from_config("CONFIG_HZ_250=y\nCONFIG_HZ=250\n") == 250,
	   "CONFIG_HZ=250 is 250");
	ok(runinfo_hz_from_config("# CONFIG_HZ_PERIODIC is not set\n"
				  "CONFIG_HZ_1000=y\nCONFIG_HZ=1000") == 1000,
	   "CONFIG_HZ=1000 on the last line, no newline");
	ok(runinfo_hz_from_config("CONFIG_HZ_250=y\n") == 0 &&
	   runinfo_hz_from_config("") == 0, "no CONFIG_HZ: 0 (unknown)");
	ok(runinfo_hz_nearest(248.7) == 250 && runinfo_hz_nearest(1003) == 1000 &&
	   runinfo_hz_nearest(99) == 100 && runinfo_hz_nearest(297) == 300,
	   "a measured rate: the CONFIG_HZ nearest to it");
	ok(runinfo_hz_nearest(180) == 0 && runinfo_hz_nearest(0) == 0,
	   "a rate near none: unknown");
	ri.argc = 7;
	ri.argv = argv;
	runinfo_command(&ri, cmd, sizeof(cmd));
	ok(!strcmp(cmd, "lagrace --json r.json --svg=p.svg --scenario "
		   "exit-punt 'it'\\''s'"),
	   "the command line: no directories, quoted for a shell (%s)", cmd);
}

int main(void)
{
	test_async_dio();
	test_exit_punt();
	test_exit_punt_6_1();
	test_sync();
	test_free_before_release();
	test_lost();
	test_no_kill();
	test_narration();
	test_json_round_trip();
	test_runinfo();
	return tap_done();
}
