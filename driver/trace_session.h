/*
 * trace_session: --trace in lagrace's main process. It makes a tracefs
 * instance of its own, instances/lagrace-PID (never the global buffer,
 * never another tool's instance), that records, with trace_clock mono:
 *   - fuse/fuse_request_send of RELEASE and FLUSH, each with a stacktrace
 *     trigger: the task that sent the request and the kernel stack it
 *     came from (no kernel event shows a FUSE_INTERRUPT being queued). On kernels without the fuse events, a kprobe
 *     event (lagrace_PID/lagrace_release) on fuse_file_put, whose final
 *     put sends the RELEASE, with the same trigger;
 *   - sched/sched_process_exit of lagrace's processes and io-wq workers;
 *   - io_uring's create, async punt, task work and completion events.
 * It reads the instance's trace_pipe as the lanes run (the lanes never
 * touch it), and when an iteration's result arrives it joins the records
 * to lagfs's events of that iteration by FUSE connection and request id
 * (a kprobe has no request id: by connection and time), filling the
 * result's struct iter_trace. It removes the instance (and the kprobe
 * event) when the run ends, however the run was stopped; `lagrace
 * cleanup` removes what a killed run left (tracefs.h).
 */
#ifndef TRACE_SESSION_H
#define TRACE_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "race.h"

struct trace_kept;

struct trace_session {
	int root, inst, pipe;           /* descriptors; -1 when off */
	enum ktrace_source source;      /* KT_SRC_NONE: off */
	long pid;                       /* names the instance */
	char why[200];                  /* off: why ("needs root") */
	char what[200];                 /* on: what is traced, for people */
	/* reading trace_pipe */
	char buf[1 << 16];
	size_t blen;
	struct trace_kept *recs;
	size_t n, cap;
	long stack_to;                  /* the record frames go to, or -1 */
	uint64_t lane_end[64];          /* the last result's end, per lane */
	unsigned lanes;
	uint64_t lost;                  /* records dropped: too many */
};

/*
 * Whether this machine can trace, without changing anything: 0 and the
 * source, or -1 with the reason in why ("needs root", "no fuse events and
 * no kprobe events in this kernel").
 */
int trace_session_probe(enum ktrace_source *src, char *why, size_t cap);

/* Start tracing for a run of cfg->jobs lanes, from t_begin on: 0, or -1
 * with t->why (nothing is left made then). */
int trace_session_start(struct trace_session *t, const struct race_cfg *cfg,
			uint64_t t_begin);
/* Read what the kernel has recorded so far. */
void trace_session_drain(struct trace_session *t);
/* Text as trace_pipe gives it, to a session that reads no tracefs (a
 * zeroed struct: it starts one of source src for lanes lanes): for
 * joining recorded traces in tests. */
void trace_session_replay(struct trace_session *t, enum ktrace_source src,
			  unsigned lanes, const char *text);
/* A result arrived: fill r->trace from the records (drained first). */
void trace_session_join(struct trace_session *t, struct iter_result *r);
/* In a forked lane: close the session's descriptors, remove nothing. */
void trace_session_forget(struct trace_session *t);
/* Remove the instance and the kprobe event: 0, or -1 after one line on
 * stderr saying what is left (lagrace cleanup removes it). */
int trace_session_stop(struct trace_session *t);

#endif
