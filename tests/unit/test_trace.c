/*
 * trace: --trace on recorded kernel traces (lines as the tracefs instance
 * gave them on 6.18 and Debian's 6.12, with their fuse events, and on
 * Debian's 6.1, with lagrace's kprobe on fuse_file_put). The lines parse
 * into records; the records join lagfs's events of one iteration by FUSE
 * connection and request id (6.12's event has no id yet, and a kprobe
 * none at all: by connection and time), never a record of the
 * lane's previous mount, which had the same connection number and request
 * ids, nor one of another lane's mount; the stack keeps who sent the
 * request, not the tracing machinery; the release path is the first
 * frame that names the deferral. The story then tells what the kernel
 * showed, says when it disagrees with what lagfs's events suggested, and
 * survives the JSON document (`lagrace explain --json`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "narrate.h"
#include "result_json.h"
#include "story.h"
#include "story_check.h"
#include "trace_line.h"
#include "trace_session.h"

#define S 1000000000ull
#define US 1000ull
/* 6.18's async-dio iteration: the kill at 7378.718500 s */
#define KILL (7378 * S + 718500 * US)
#define T(us) (KILL + (int64_t)(us) * 1000)  /* us relative to the kill */
#define CHILD 15577
#define CONN 40

/* ---- lines -------------------------------------------------------------- */

TEST(parse_fuse_request_send)
{
	struct trace_rec r;

	ASSERT_EQ(TR_FUSE_SEND, trace_line_parse("     kworker/1:0-12257   "
		"[001] ...2.  7378.732121: fuse_request_send: connection 40 "
		"req 14 opcode 18 (FUSE_RELEASE) len 64 ", &r));
	EXPECT_STREQ("kworker/1:0", r.comm);
	EXPECT_EQ(12257, r.pid);
	EXPECT_EQ(1, r.cpu);
	EXPECT_EQ(7378 * S + 732121 * US, r.t_ns);
	EXPECT_EQ(40u, r.conn);
	EXPECT_EQ(14u, r.unique);
	EXPECT_EQ(18u, r.opcode);
}

TEST(parse_task_names_with_dashes)
{
	struct trace_rec r;

	/* an io-wq worker is named after its task: iou-wrk-PID */
	ASSERT_EQ(TR_URING_COMPLETE, trace_line_parse("   iou-wrk-15778-15779   "
		"[001] ...1.  7382.229236: io_uring_complete: ring "
		"00000000bc1a0c91, req 000000006873fad0, user_data 0x0, result "
		"4096, cflags 0x0 extra1 0 extra2 0 ", &r));
	EXPECT_STREQ("iou-wrk-15778", r.comm);
	EXPECT_EQ(15779, r.pid);
	EXPECT_EQ(0xbc1a0c91ull, r.ring);
	EXPECT_EQ(4096, r.res);
}

TEST(parse_exit_on_both_kernels)
{
	struct trace_rec r;

	ASSERT_EQ(TR_EXIT, trace_line_parse("         lagrace-15577   [001] "
		".....  7378.718857: sched_process_exit: comm=lagrace "
		"pid=15577 prio=120 group_dead=true", &r));
	EXPECT_EQ(15577, r.exit_pid);
	EXPECT_STREQ("lagrace", r.exit_comm);
	/* 6.1 has no group_dead */
	ASSERT_EQ(TR_EXIT, trace_line_parse("    lagrace.real-124     [000] "
		".....    25.482328: sched_process_exit: comm=lagrace.real "
		"pid=124 prio=120", &r));
	EXPECT_EQ(124, r.exit_pid);
	EXPECT_STREQ("lagrace.real", r.exit_comm);
	EXPECT_EQ(25 * S + 482328 * US, r.t_ns);
	/* and with the option hash-ptr off, which lagrace sets */
	ASSERT_EQ(TR_EXIT, trace_line_parse("         lagrace-118     [000] "
		".....    12.573387: sched_process_exit: comm= pid=118 "
		"prio=120", &r));
	EXPECT_STREQ("lagrace", r.exit_comm);
	EXPECT_EQ(118, r.exit_pid);
}

TEST(parse_kprobe_of_6_1)
{
	struct trace_rec r;

	ASSERT_EQ(TR_KPROBE_RELEASE, trace_line_parse("     kworker/0:0-7    "
		"   [000] .....    25.694082: lagrace_release: "
		"(fuse_file_put+0x0/0xc0 [fuse]) conn=23 refs=1", &r));
	EXPECT_EQ(23u, r.conn);
	EXPECT_EQ(1u, r.refs);
	EXPECT_STREQ("kworker/0:0", r.comm);
	/* without arguments (a kprobe on fuse_release) */
	ASSERT_EQ(TR_KPROBE_RELEASE, trace_line_parse("     kworker/0:0-7    "
		"   [000] .....    25.694082: lagrace_release: "
		"(fuse_release+0x0/0x30 [fuse])", &r));
	EXPECT_EQ(0u, r.conn);
}

TEST(parse_stacks_and_the_rest)
{
	struct trace_rec r;

	EXPECT_EQ(TR_STACK, trace_line_parse("     kworker/1:0-12257   [001] "
		"...2.  7378.732141: <stack trace>", &r));
	EXPECT_EQ(12257, r.pid);
	ASSERT_EQ(TR_FRAME, trace_line_parse(" => fuse_file_put", &r));
	EXPECT_STREQ("fuse_file_put", r.frame);
	ASSERT_EQ(TR_FRAME, trace_line_parse(" => fuse_file_put+0x12/0x80 "
		"[fuse]", &r));
	EXPECT_STREQ("fuse_file_put", r.frame);
	EXPECT_EQ(TR_NONE, trace_line_parse("# tracer: nop", &r));
	EXPECT_EQ(TR_NONE, trace_line_parse("           <...>-4242    [000] "
		"d..1.   10.000001: sched_switch: prev_comm=x", &r));
	EXPECT_EQ(TR_NONE, trace_line_parse("garbage without a time", &r));
	EXPECT_EQ(TR_NONE, trace_line_parse("", &r));
}

/* ---- stacks -------------------------------------------------------------- */

#define DELAYED "fuse_file_put\nfuse_release\n__fput\ndelayed_fput\n" \
	"process_one_work\nworker_thread\nkthread\nret_from_fork\n"
#define EXIT "fuse_file_put\nfuse_release\n__fput\ntask_work_run\ndo_exit\n" \
	"do_group_exit\nget_signal\narch_do_signal_or_restart\n"
#define CLOSE "fuse_flush\nfilp_flush\n__x64_sys_close\ndo_syscall_64\n" \
	"entry_SYSCALL_64_after_hwframe\n"

TEST(release_paths)
{
	char buf[128];

	EXPECT_STREQ("delayed_fput", ktrace_path(DELAYED, buf, sizeof(buf)));
	EXPECT_STREQ("task_work_run", ktrace_path(EXIT, buf, sizeof(buf)));
	EXPECT_STREQ("task_work_run in do_exit",
		     ktrace_path_words(EXIT, buf, sizeof(buf)));
	/* no deferral: the syscall that did it */
	EXPECT_STREQ("__x64_sys_close", ktrace_path(CLOSE, buf, sizeof(buf)));
	EXPECT_STREQ("io_fallback_req_func", ktrace_path("fuse_file_put\n"
		"fuse_release\n__fput\nio_fallback_req_func\nprocess_one_work\n",
		buf, sizeof(buf)));
	/* 6.12, through the page cache: the readahead's reference was the
	 * last, dropped as lagfs answered its READ */
	EXPECT_STREQ("fuse_readpages_end", ktrace_path("fuse_file_put\n"
		"fuse_readpages_end\nfuse_request_end\nfuse_dev_do_write\n"
		"fuse_dev_write\ndo_iter_readv_writev\nvfs_writev\ndo_writev\n"
		"do_syscall_64\n", buf, sizeof(buf)));
	EXPECT_STREQ("", ktrace_path("", buf, sizeof(buf)));
}

TEST(stack_words)
{
	char buf[256];
	struct ktrace_req q = { .pid = 12257, .comm = "kworker/1:0",
				.stack = DELAYED };

	ktrace_stack_words(DELAYED, 3, buf, sizeof(buf));
	EXPECT_STREQ("fuse_file_put <- fuse_release <- __fput <- ...", buf);
	ktrace_release_words(&q, CHILD, buf, sizeof(buf));
	EXPECT_STREQ("kworker/1:0 via delayed_fput", buf);
	EXPECT_STREQ("a kernel worker", ktrace_task_class(&q, CHILD));
	q.pid = CHILD;
	snprintf(q.comm, sizeof(q.comm), "lagrace");
	snprintf(q.stack, sizeof(q.stack), EXIT);
	ktrace_release_words(&q, CHILD, buf, sizeof(buf));
	EXPECT_STREQ("the child (lagrace 15577) via task_work_run in do_exit",
		     buf);
}

/* ---- joining ----------------------------------------------------------- */

/* A RELEASE from delayed_fput, as both kernels print its stack. */
#define DELAYED_FRAMES " => fuse_file_put\n => fuse_release\n => __fput\n" \
	" => delayed_fput\n => process_one_work\n => worker_thread\n" \
	" => kthread\n => ret_from_fork\n"

/* What the instance recorded around one async-dio iteration on 6.18,
 * with, before it, the lane's previous iteration on the same connection
 * number with the same request ids, and another lane's mount (connection
 * 41) at the same time. */
static const char trace_618[] =
"# tracer: nop\n"
/* the previous iteration's RELEASE: same connection, same id */
"     kworker/0:1-17582   [000] ...2.  7378.690000: fuse_request_send: connection 40 req 16 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/0:1-17582   [000] ...2.  7378.690010: <stack trace>\n"
" => trace_event_raw_event_fuse_request_send\n"
" => fuse_dev_queue_req\n"
" => fuse_file_put\n"
" => fuse_release\n"
" => __fput\n"
" => task_work_run\n"
"         lagrace-15577   [001] .....  7378.702000: io_uring_create: ring 00000000bfc2bcdf, fd 7 sq size 1, cq size 2, flags 0x0\n"
"         lagrace-15577   [001] .....  7378.718857: sched_process_exit: comm=lagrace pid=15577 prio=120 group_dead=true\n"
"         lagrace-15577   [001] ...1.  7378.719212: fuse_request_send: connection 40 req 14 opcode 25 (FUSE_FLUSH) len 64 \n"
"         lagrace-15577   [001] ...1.  7378.719233: <stack trace>\n"
" => trace_event_raw_event_fuse_request_send\n"
" => fuse_dev_queue_req\n"
" => __fuse_simple_request\n"
" => fuse_flush\n"
" => filp_flush\n"
" => filp_close\n"
" => put_files_struct.part.0\n"
" => do_exit\n"
" => do_group_exit\n"
" => get_signal\n"
"     kworker/1:0-12257   [001] ...1.  7378.724083: io_uring_complete: ring 00000000bfc2bcdf, req 000000006873fad0, user_data 0x0, result 4096, cflags 0x0 extra1 0 extra2 0 \n"
/* another lane's mount */
"     kworker/0:1-17582   [000] ...2.  7378.732000: fuse_request_send: connection 41 req 16 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/0:1-17582   [000] ...2.  7378.732005: <stack trace>\n"
" => fuse_file_put\n"
" => fuse_release\n"
" => __fput\n"
" => task_work_run\n"
"     kworker/1:0-12257   [001] ...2.  7378.732121: fuse_request_send: connection 40 req 16 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/1:0-12257   [001] ...2.  7378.732141: <stack trace>\n"
" => trace_event_raw_event_fuse_request_send\n"
" => fuse_dev_queue_req\n"
" => flush_bg_queue\n"
" => fuse_simple_background\n"
DELAYED_FRAMES
" => ret_from_fork_asm\n";

#define EV(us, k, who, o, h) { .t_ns = T(us), .kind = (k), .pid = (who), \
			       .hold = (k) == LAG_EV_PARK, .op = o, .how = h }

/* lagfs's side of that iteration, as measured */
static void async_dio(struct iter_result *r)
{
	static const struct iter_ev ev[] = {
		EV(-760, LAG_EV_OPEN, CHILD, "", ""),
		EV(-120, LAG_EV_PARK, CHILD, "read", ""),
		EV(790, LAG_EV_FLUSH, CHILD, "", ""),
		EV(5600, LAG_EV_ANSWER, CHILD, "read", "release"),
		EV(13900, LAG_EV_RELEASE, 0, "", ""),
	};
	static const uint32_t unique[] = { 2, 12, 14, 12, 16 };

	memset(r, 0, sizeof(*r));
	r->child = CHILD;
	r->fuse_conn = CONN;
	r->t_start = T(-17000);
	r->t_mounted = T(-16900);
	r->t_fork = T(-16500);
	r->t_kill = KILL;
	r->t_reap = T(620);
	r->t_probe_reap = T(620);
	r->busy_at_reap = true;
	r->t_umount1 = T(640);
	r->umount1_errno = EBUSY;
	r->ebusy = true;
	r->t_hold_released = T(650);
	r->hold_why = HOLD_AFTER_EBUSY;
	r->t_free = T(14000);
	r->t_release = T(13900);
	r->t_umount_done = T(14370);
	r->umount_ok = true;
	r->vclass = VC_REPRODUCED;
	r->late_release = true;
	r->t_end = T(14500);
	r->n_files = 1;
	snprintf(r->files[0], sizeof(r->files[0]), "/lag-0.lag");
	r->n_ev = 5;
	memcpy(r->ev, ev, sizeof(ev));
	memcpy(r->ev_unique, unique, sizeof(unique));
}

static struct trace_session ts;
static struct iter_result it, back;

TEST(join_by_connection_and_request_id)
{
	const struct ktrace_req *rel, *fl;

	trace_session_replay(&ts, KT_SRC_TRACEPOINT, 2, trace_618);
	async_dio(&it);
	trace_session_join(&ts, &it);
	ASSERT_EQ(KT_SRC_TRACEPOINT, it.trace.source);
	ASSERT_EQ(2, it.trace.n_req);
	rel = ktrace_find(&it.trace, LAG_EV_RELEASE, 0);
	ASSERT_TRUE(rel != NULL);
	/* not the previous iteration's (12:07 before), nor lane 2's */
	EXPECT_EQ(7378 * S + 732121 * US, rel->t_ns);
	EXPECT_EQ(12257, rel->pid);
	EXPECT_STREQ("kworker/1:0", rel->comm);
	EXPECT_EQ(16u, rel->unique);
	EXPECT_EQ(KT_JOIN_UNIQUE, rel->join);
	/* from fuse_file_put down: no tracing machinery, no queueing */
	EXPECT_STREQ(DELAYED "ret_from_fork_asm\n", rel->stack);
	EXPECT_TRUE(rel == story_release_by(&it));
	fl = ktrace_find(&it.trace, LAG_EV_FLUSH, 0);
	ASSERT_TRUE(fl != NULL);
	EXPECT_EQ(CHILD, fl->pid);
	EXPECT_STREQ("fuse_flush\nfilp_flush\nfilp_close\n"
		     "put_files_struct.part.0\ndo_exit\ndo_group_exit\n"
		     "get_signal\n", fl->stack);
}

TEST(join_the_childs_exit_and_ring)
{
	trace_session_replay(&ts, KT_SRC_TRACEPOINT, 2, trace_618);
	async_dio(&it);
	trace_session_join(&ts, &it);
	ASSERT_EQ(2, it.trace.n_marks);
	EXPECT_EQ(KT_EXIT, it.trace.mark[0].kind);
	EXPECT_EQ(CHILD, it.trace.mark[0].pid);
	EXPECT_EQ(KT_URING_COMPLETE, it.trace.mark[1].kind);
	EXPECT_STREQ("kworker/1:0", it.trace.mark[1].comm);
	EXPECT_EQ(4096, it.trace.mark[1].res);
}

/* 6.12: the same event, but sent before the request has its id ("req
 * 0"), as recorded in a guest; the previous iteration's RELEASE and
 * another lane's come first. */
static const char trace_612[] =
"     kworker/0:0-9       [000] ...1.  7378.690000: fuse_request_send: connection 40 req 0 opcode 18 (FUSE_RELEASE) len 64 \n"
"         lagrace-15577   [001] .....  7378.719212: fuse_request_send: connection 40 req 0 opcode 25 (FUSE_FLUSH) len 64 \n"
"         lagrace-15577   [001] .....  7378.719233: <stack trace>\n"
" => trace_event_raw_event_fuse_request_send\n"
" => fuse_send_one\n"
" => __fuse_simple_request\n"
" => fuse_flush\n"
" => filp_flush\n"
" => filp_close\n"
" => put_files_struct\n"
" => do_exit\n"
"     kworker/1:0-28      [001] ...1.  7378.732050: fuse_request_send: connection 41 req 0 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/0:0-9       [000] ...1.  7378.732121: fuse_request_send: connection 40 req 0 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/0:0-9       [000] ...1.  7378.732141: <stack trace>\n"
" => trace_event_raw_event_fuse_request_send\n"
" => fuse_send_one\n"
" => flush_bg_queue\n"
" => fuse_simple_background\n"
DELAYED_FRAMES
" => ret_from_fork_asm\n";

TEST(tracepoint_without_request_id)
{
	const struct ktrace_req *rel, *fl;

	trace_session_replay(&ts, KT_SRC_TRACEPOINT, 2, trace_612);
	async_dio(&it);
	trace_session_join(&ts, &it);
	rel = story_release_by(&it);
	ASSERT_TRUE(rel != NULL);
	EXPECT_EQ(7378 * S + 732121 * US, rel->t_ns);
	EXPECT_EQ(KT_JOIN_CONN_TIME, rel->join);
	EXPECT_EQ(0u, rel->unique);
	EXPECT_STREQ("kworker/0:0", rel->comm);
	EXPECT_STREQ(DELAYED "ret_from_fork_asm\n", rel->stack);
	fl = ktrace_find(&it.trace, LAG_EV_FLUSH, 0);
	ASSERT_TRUE(fl != NULL);
	EXPECT_EQ(CHILD, fl->pid);
	EXPECT_TRUE(ktrace_has_frame(fl->stack, "do_exit"));
}

/* 6.1: lagrace's kprobe on fuse_file_put, as recorded in the guest; a
 * put that is not the last one (refs 2) comes later, the last put of the
 * previous iteration earlier. */
static const char trace_61[] =
"     kworker/0:0-7       [000] .....  7378.690000: lagrace_release: (fuse_file_put+0x0/0xc0 [fuse]) conn=40 refs=1\n"
"     kworker/0:0-7       [000] .....  7378.690100: <stack trace>\n"
" => kprobe_trace_func\n"
" => fuse_file_put\n"
"     kworker/0:0-7       [000] .....  7378.731000: lagrace_release: (fuse_file_put+0x0/0xc0 [fuse]) conn=40 refs=1\n"
"     kworker/0:0-7       [000] .....  7378.731100: <stack trace>\n"
" => kprobe_trace_func\n"
" => kprobe_dispatcher\n"
" => kprobe_ftrace_handler\n"
" => 0xffffffffc034e0c8\n"
DELAYED_FRAMES
"     kworker/0:0-7       [000] .....  7378.732000: lagrace_release: (fuse_file_put+0x0/0xc0 [fuse]) conn=40 refs=2\n"
"     kworker/0:0-7       [000] .....  7378.732100: <stack trace>\n"
" => fuse_file_put\n"
" => fuse_readpages_end\n"
"     kworker/1:1-29      [001] .....  7378.732050: lagrace_release: (fuse_file_put+0x0/0xc0 [fuse]) conn=41 refs=1\n";

TEST(kprobe_joins_by_connection_and_time)
{
	const struct ktrace_req *rel;

	trace_session_replay(&ts, KT_SRC_KPROBE, 2, trace_61);
	async_dio(&it);
	trace_session_join(&ts, &it);
	rel = story_release_by(&it);
	ASSERT_TRUE(rel != NULL);
	EXPECT_EQ(7378 * S + 731000 * US, rel->t_ns);
	EXPECT_EQ(KT_JOIN_CONN_TIME, rel->join);
	EXPECT_EQ(KT_SRC_KPROBE, rel->source);
	EXPECT_EQ(0u, rel->unique);
	EXPECT_STREQ("fuse_file_put\nfuse_release\n__fput\ndelayed_fput\n"
		     "process_one_work\nworker_thread\nkthread\nret_from_fork\n",
		     rel->stack);
	/* a kprobe has no FLUSH */
	EXPECT_NULL(ktrace_find(&it.trace, LAG_EV_FLUSH, 0));
}

TEST(untraced_iteration)
{
	struct trace_session off;

	memset(&off, 0, sizeof(off));
	async_dio(&it);
	trace_session_join(&off, &it);
	EXPECT_EQ(KT_SRC_NONE, it.trace.source);
	EXPECT_NULL(story_release_by(&it));
}

/* ---- the story ----------------------------------------------------------- */

static struct story st;

static const struct story_step *step_with(const struct story *s,
					  const char *word)
{
	for (int i = 0; i < s->n; i++)
		if (strstr(s->step[i].text, word))
			return &s->step[i];
	return NULL;
}


TEST(story_from_the_kernels_frames)
{
	const struct story_step *k;
	char label[160];

	trace_session_replay(&ts, KT_SRC_TRACEPOINT, 2, trace_618);
	async_dio(&it);
	trace_session_join(&ts, &it);
	story_build(&it, MIT_NONE, &st);
	k = step_with(&st, "the kernel shows the RELEASE");
	ASSERT_TRUE(k != NULL);
	EXPECT_STREQ("kernel", k->actor);
	EXPECT_IN("sent by kworker/1:0 (pid 12257), from delayed_fput: "
		  "fuse_file_put <- fuse_release <- __fput <- delayed_fput",
		  k->text);
	EXPECT_NOT_IN("not the usual story", k->text);
	/* from the kernel's send on, nobody holds it */
	EXPECT_EQ(H_NOBODY, k->holder);
	/* the holder before it was inferred from lagfs's events; the
	 * kernel shows it */
	EXPECT_STREQ("the child|the dying child|delayed_fput, in a kernel "
		     "thread|nobody|", holders(&st));
	for (int i = 0; i < st.n; i++) {
		if (st.step[i].holder != H_DELAYED)
			continue;
		EXPECT_FALSE(st.step[i].inferred);
		EXPECT_IN("the kernel's trace shows it: kworker/1:0 (pid 12257) "
			  "sent the RELEASE from delayed_fput", st.step[i].why);
		EXPECT_STREQ("delayed_fput, in a kernel thread (kworker/1:0, "
			     "pid 12257)", story_holder_label(&st.step[i], label,
							      sizeof(label)));
	}
	EXPECT_TRUE(step_with(&st, "the child's exit begins") != NULL);
	EXPECT_TRUE(step_with(&st, "the dying child's completion runs in a "
			      "kernel worker") != NULL);
	EXPECT_TRUE(step_with(&st, "FLUSH of /lag-0.lag was sent by the dying "
			      "child (pid 15577), from do_exit") != NULL);
}

TEST(story_says_when_the_kernel_disagrees)
{
	const struct story_step *k;

	/* lagfs's events suggest delayed_fput (answered after the reap),
	 * but the kernel shows the child's own exit sent the RELEASE */
	async_dio(&it);
	it.trace.source = KT_SRC_TRACEPOINT;
	it.trace.n_req = 1;
	it.trace.req[0] = (struct ktrace_req){
		.t_ns = T(13800), .unique = 16, .pid = CHILD,
		.kind = LAG_EV_RELEASE, .file = 0, .source = KT_SRC_TRACEPOINT,
		.comm = "lagrace", .stack = EXIT };
	story_build(&it, MIT_NONE, &st);
	k = step_with(&st, "the kernel shows the RELEASE");
	ASSERT_TRUE(k != NULL);
	EXPECT_IN("; this is not the usual story: lagfs's events alone "
		  "suggested kernel deferred work", k->text);
	EXPECT_STREQ("the child|the dying child|the child's own exit|nobody|",
		     holders(&st));
}

TEST(story_survives_the_json_document)
{
	static struct story again;
	json_object *o;
	char err[256];
	int n;

	trace_session_replay(&ts, KT_SRC_TRACEPOINT, 2, trace_618);
	async_dio(&it);
	trace_session_join(&ts, &it);
	o = result_to_json(&it, MIT_NONE);
	ASSERT_EQ(0, result_from_json(o, &back, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(it.trace.n_req, back.trace.n_req);
	EXPECT_EQ(it.trace.n_marks, back.trace.n_marks);
	story_build(&it, MIT_NONE, &st);
	story_build(&back, MIT_NONE, &again);
	/* the kernel's steps (its RELEASE, FLUSH, the exit and the
	 * completion), what they showed and whom, all there again */
	n = 0;
	for (int i = 0; i < again.n; i++)
		n += !strcmp(again.step[i].actor, "kernel");
	EXPECT_EQ(4, n);
	EXPECT_EQ(-1, story_differs(&st, &again));
	json_object_put(o);
}

/* ---- the family: a ring's teardown, the unix garbage collector -------- */

TEST(parse_workqueue_execute_start)
{
	struct trace_rec r;

	ASSERT_EQ(TR_WORK, trace_line_parse("   kworker/u8:24-3553    [000] "
		".....  7378.719100: workqueue_execute_start: work struct "
		"ffff888102de3c10: function io_ring_exit_work", &r));
	EXPECT_STREQ("kworker/u8:24", r.comm);
	EXPECT_EQ(0xffff888102de3c10ull, r.work);
	EXPECT_STREQ("io_ring_exit_work", r.func);
	EXPECT_EQ(TR_NONE, trace_line_parse("   kworker/u8:24-3553    [000] "
		".....  7378.719100: workqueue_execute_start: work struct "
		"ffff888102de3c10", &r));
}

/* uring-fixed-file's iteration on 6.18, as recorded (times moved to the
 * async-dio iteration's): the child's ring, its exit work (inside the
 * ring's context), another ring's, and the unix collector. */
static const char trace_family[] =
"         lagrace-15577   [001] .....  7378.702000: io_uring_create: ring ffff888102de3800, fd 8 sq size 1, cq size 2, flags 0x0\n"
"         lagrace-15577   [001] .....  7378.718857: sched_process_exit: comm=lagrace pid=15577 prio=120 group_dead=true\n"
"   kworker/u8:24-3553    [000] .....  7378.719300: workqueue_execute_start: work struct ffff888102de3c10: function io_ring_exit_work\n"
"   kworker/u8:24-3553    [000] .....  7378.719400: workqueue_execute_start: work struct ffff888102df9c10: function io_ring_exit_work\n"
"   kworker/u8:30-3720    [001] .....  7378.719500: workqueue_execute_start: work struct ffffffff8320e9a0: function __unix_gc\n"
"     kworker/1:0-12257   [001] ...2.  7378.732121: fuse_request_send: connection 40 req 16 opcode 18 (FUSE_RELEASE) len 64 \n"
"     kworker/1:0-12257   [001] ...2.  7378.732141: <stack trace>\n"
DELAYED_FRAMES
" => ret_from_fork_asm\n";

static struct trace_session ts_family;

/* async_dio()'s times, as uring-fixed-file: no IO, the child's close
 * before the kill */
static void fixed_file(struct iter_result *r)
{
	static const struct iter_ev ev[] = {
		EV(-760, LAG_EV_OPEN, CHILD, "", ""),
		EV(-300, LAG_EV_FLUSH, CHILD, "", ""),
		EV(13900, LAG_EV_RELEASE, 0, "", ""),
	};
	static const uint32_t unique[] = { 2, 12, 16 };

	async_dio(r);
	r->t_hold_released = 0;
	r->hold_why = HOLD_NOT;
	r->t_ready = T(-100);
	r->keeper = KEEPER_URING_FIXED;
	r->n_ev = 3;
	memset(r->ev, 0, sizeof(r->ev));
	memcpy(r->ev, ev, sizeof(ev));
	memcpy(r->ev_unique, unique, sizeof(unique));
}

/* it: fixed_file() with the kernel's record of trace_family */
static void family_joined(void)
{
	trace_session_replay(&ts_family, KT_SRC_TRACEPOINT, 1, trace_family);
	fixed_file(&it);
	trace_session_join(&ts_family, &it);
}

TEST(join_the_rings_teardown_and_the_collector)
{
	/* the exit, this ring's exit work (not the other ring's), the
	 * collector after the kill */
	static const int want[] = { KT_EXIT, KT_RING_EXIT_WORK, KT_UNIX_GC };

	family_joined();
	ASSERT_EQ((int)ARRAY_SIZE(want), it.trace.n_marks);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_EQ(want[i], it.trace.mark[i].kind);
	EXPECT_EQ(T(800), (int64_t)it.trace.mark[1].t_ns);
	EXPECT_STREQ("kworker/u8:24", it.trace.mark[1].comm);
}

TEST(story_shows_the_rings_teardown)
{
	const struct story_step *k;

	family_joined();
	story_build(&it, MIT_NONE, &st);
	EXPECT_STREQ("the child|an io_uring ring's registered files|io_uring "
		     "ring teardown|nobody|", holders(&st));
	k = step_with(&st, "io_ring_exit_work runs in kworker/u8:24");
	ASSERT_TRUE(k != NULL);
	/* the exit work came after the reap (+0.62 ms): the probe's holder,
	 * inferred there, is now shown */
	for (int i = 0; i < st.n; i++)
		if (st.step[i].holder == H_RING_TEARDOWN) {
			EXPECT_FALSE(st.step[i].inferred);
			EXPECT_IN("the kernel's trace shows it: io_ring_exit_work "
				  "runs in kworker/u8:24 (pid 3553)",
				  st.step[i].why);
		}
}

TEST_HARNESS_MAIN
