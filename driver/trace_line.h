/*
 * trace_line: one line of a tracefs instance's text output (its
 * trace_pipe), as lagrace configures it (trace_session.c), into a record:
 *
 *   kworker/1:0-12257 [001] ...2. 7378.732121: fuse_request_send: connection 40 req 14 opcode 18 (FUSE_RELEASE) len 64
 *   kworker/1:0-12257 [001] ...2. 7378.732141: <stack trace>
 *    => fuse_file_put
 *
 * The header of a line gives the task (its name and pid), the CPU and the
 * time (trace_clock mono: CLOCK_MONOTONIC, in microseconds); then the
 * event's own text. A stack trace is a line of its own, followed by one
 * line per frame. Pure: unit-tested on lines recorded on 6.1, 6.12 and
 * 6.18.
 */
#ifndef TRACE_LINE_H
#define TRACE_LINE_H

#include <stdint.h>

#include "ktrace.h"

enum trace_rec_kind {
	TR_NONE,           /* a comment, an event lagrace does not use */
	TR_FUSE_SEND,      /* fuse/fuse_request_send */
	TR_KPROBE_RELEASE, /* lagrace's kprobe on the release (older kernels) */
	TR_EXIT,           /* sched/sched_process_exit */
	TR_URING_CREATE,
	TR_URING_PUNT,     /* io_uring_queue_async_work */
	TR_URING_TASK_ADD,
	TR_URING_TW_RUN,
	TR_URING_COMPLETE,
	TR_WORK,           /* workqueue/workqueue_execute_start */
	TR_STACK,          /* "<stack trace>": frames follow */
	TR_FRAME,          /* " => frame" */
};

/* The name lagrace gives its kprobe event. */
#define TRACE_KPROBE_EVENT "lagrace_release"

struct trace_rec {
	uint64_t t_ns;
	int32_t pid;                 /* the task the event happened in */
	int32_t cpu;
	uint8_t kind;                /* enum trace_rec_kind */
	char comm[KT_COMM_LEN];      /* its name; "<...>" when the kernel
				      * no longer knew it */
	uint32_t conn;               /* fuse: the connection */
	uint64_t unique;             /* fuse_request_send: the request id */
	uint32_t opcode;             /* fuse_request_send */
	uint32_t refs;               /* kprobe: references before the put */
	uint64_t ring;               /* io_uring: the ring, as printed */
	int32_t res;                 /* io_uring_complete: the result */
	int32_t exit_pid;            /* sched_process_exit: who exits */
	char exit_comm[KT_COMM_LEN];
	uint64_t work;               /* TR_WORK: the work item, as printed */
	char func[32];               /* TR_WORK: its function */
	char frame[128];             /* TR_FRAME, without offset and module */
};

/* FUSE opcodes of the requests lagrace traces. */
#define FUSE_OP_RELEASE 18
#define FUSE_OP_FLUSH 25

/* The line (without its newline) into r: r->kind, TR_NONE when the line
 * is nothing lagrace uses or cannot be read. */
int trace_line_parse(const char *line, struct trace_rec *r);

#endif
