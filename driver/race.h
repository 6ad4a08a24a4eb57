/*
 * race: what lagrace is asked to do (struct race_cfg, filled by options.c
 * from a scenario and the command line) and what one iteration found
 * (struct iter_result, sent from a lane to the main process over a pipe,
 * so it holds no pointers; the main process adds the kernel's trace).
 */
#ifndef RACE_H
#define RACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine.h"
#include "ktrace.h"
#include "lag_event.h"

/* The names of these enums are tables (race.c), indexed by their values. */
enum mitigation { MIT_NONE, MIT_RETRY, MIT_WAIT_RELEASE, MIT_LAZY, MIT_N };
enum expect { EXPECT_NONE, EXPECT_RACE, EXPECT_CLEAN, EXPECT_N };
/* --trace: the kernel's record of who sent the child's RELEASE. */
enum trace_mode { TRACE_AUTO, TRACE_ON, TRACE_OFF };
/* Where the child's files are: lagfs (the default), --fs tmpfs, --fs-dir
 * (other_fs.h). */
enum fs_kind { FS_LAGFS, FS_TMPFS, FS_DIR, FS_N };
extern const char *const fs_names[FS_N];  /* dir: NULL (not for --fs) */
/* Its name in the JSON document: fs_names[], and "dir". */
const char *fs_key(unsigned fs);
extern const char *const mitigation_names[MIT_N];
extern const char *const expect_names[EXPECT_N];  /* none: NULL */

enum scenario_id { SCENARIO_ASYNC_DIO, SCENARIO_EXIT_PUNT, SCENARIO_CHANCE,
		   SCENARIO_URING_FIXED_FILE, SCENARIO_SCM_RIGHTS_CYCLE,
		   SCENARIO_SQPOLL_FIXED_FILE,
		   SCENARIO_N };

/*
 * Whether and how lagfs holds the child's IO (its rule), and so what tells
 * lagrace that the IO has arrived and when it lets the hold go.
 */
enum lagfs_hold {
	LAGFS_NO_HOLD,       /* no rule: the child's first open is the cue */
	LAGFS_HOLD,          /* "hold": the park of the child's IO is the
			      * cue; let go after the EBUSY */
	LAGFS_HOLD_KEEP,     /* "hold keep": the kill's interrupt does not
			      * end it; let go once the killed child is
			      * exiting (PF_EXITING), so the IO completes for
			      * a dying task */
};

/* What lagfs is started with: scenario_lagfs_rules() makes the rules. */
struct lagfs_setup {
	bool direct_io;                /* opens of lagrace's files get
					* direct_io */
	enum lagfs_hold hold;          /* of the child's reads (or writes) */
	const char *options;           /* lagfs -o, e.g. "no_async_dio" */
};

#define RACE_MAX_RULES 16

struct race_cfg {
	/* the scenario's (scenario.c), field by field over it the options' */
	enum scenario_id scenario;
	enum engine_id engine;
	struct engine_opts eo;         /* eo.dir is set per lane */
	struct lagfs_setup lagfs;
	uint64_t kill_jitter_ns;       /* chance: random wait before the kill */
	/* made from lagfs and eo.write by scenario_lagfs_rules() */
	const char *rules[RACE_MAX_RULES + 1]; /* lagfs rules, NULL-ended */
	/* --rule (repeatable) and --rules FILE's lines: added to them */
	const char *user_rules[RACE_MAX_RULES + 1];
	const char *rules_file;
	/* lagrace [options] -- CMD [ARG...]: the command engine's program */
	char *const *cmd;
	bool no_scenario;              /* -- CMD without --scenario: none */
	const char *populate;          /* --populate: copied into each fresh
					* backing directory */
	/* When to kill (iteration.c): at the kill_parks-th park of the
	 * child's requests, else kill_after_ns after the fork, else at a
	 * random moment from kill_at_min_ns to kill_at_max_ns after it;
	 * none set: at the arrival of the child's IO (its first park, or
	 * without a hold its first open) */
	const char *kill_on, *kill_at; /* --kill-on, --kill-at as given */
	unsigned kill_parks;
	uint64_t kill_after_ns, kill_at_min_ns, kill_at_max_ns;
	/* the run's */
	uint64_t hold_ns;              /* keep the hold this long after EBUSY */
	uint64_t limit_ns;             /* give up waiting for release/free */
	uint64_t reap_wait_ns;         /* release holds if not reaped by then */
	enum mitigation mitigate;
	unsigned retry_max;            /* retry: attempts, 1 ms apart */
	unsigned iterations, jobs;
	enum expect expect;
	bool bisect, tap, fusermount, quiet, no_namespace;
	bool bisect_fix;               /* --bisect-fix: a hit is the old
					* behaviour (sets bisect too) */
	const char *json_path;
	const char *svg_path;          /* --svg: the timeline picture */
	bool explain;                  /* --explain: narrate one iteration */
	const char *mount_dir;         /* --mount: a lagfs someone mounted */
	const char *mount_log, *mount_control;
	const char *lagfs_bin;
	enum fs_kind fs;               /* --fs, or FS_DIR for --fs-dir */
	const char *fs_dir;            /* --fs-dir */
	unsigned seed;
	enum trace_mode trace;         /* --trace, --no-trace; default auto */
	bool traced;                   /* the main process traces: lanes note
					* each mount's FUSE connection */
};

/*
 * The events of the child's files that one iteration recorded, kept in the
 * result so that the story of the iteration (story.c) can be told after
 * it, in --explain, --svg and from the --json document. Files are numbered
 * by the child's opens, in order (not lagfs's fh), so no pointer value and
 * no reuse of an fh gets in the way.
 */
#define ITER_MAX_EV 64
#define ITER_MAX_FILES 8
#define ITER_PATH_LEN 32

/* The kinds (enum lag_ev_kind) of the events of a child's file that an
 * iteration keeps: LAG_EV_ANSWER is the answer to a held request. */
#define ITER_EV_KINDS (1u << LAG_EV_OPEN | 1u << LAG_EV_CREATE | \
		       1u << LAG_EV_PARK | 1u << LAG_EV_INTERRUPT | \
		       1u << LAG_EV_ANSWER | 1u << LAG_EV_FLUSH | \
		       1u << LAG_EV_RELEASE | 1u << LAG_EV_UNRELEASED)

static inline bool iter_ev_kind_ok(unsigned kind)
{
	return kind < LAG_EV_N && (ITER_EV_KINDS >> kind & 1);
}

struct iter_ev {
	uint64_t t_ns;                 /* lagfs's CLOCK_MONOTONIC ns */
	int32_t pid;                   /* as lagfs logged it */
	int32_t result;
	uint8_t kind;                  /* enum lag_ev_kind: iter_ev_kind_ok() */
	uint8_t file;                  /* index into files[] */
	uint8_t hold;                  /* a park of a hold rule */
	char op[11];                   /* park, interrupt, answer: the op */
	char how[10];                  /* answer: how the parked request ended */
};

/* Why lagrace let lagfs's hold go. */
enum hold_why { HOLD_NOT, HOLD_AFTER_EBUSY, HOLD_CHILD_EXITING,
		HOLD_REAP_BLOCKED, HOLD_WAIT_RELEASE, HOLD_LAZY,
		HOLD_CLEANUP };

/* What one iteration shows: verdict.h has the words. */
enum verdict_class { VC_ERROR, VC_REPRODUCED, VC_LATE_ONLY, VC_EBUSY_ONLY,
		     VC_CLEAN };

/* iter_result.error: the iteration ran, but lagfs's events cannot prove
 * its verdict (verdict_classify); unlike other errors, the lane goes on. */
#define ITER_UNPROVEN 2

struct iter_result {
	unsigned lane, index;
	int error;                     /* 0, or the iteration could not run,
					* or ITER_UNPROVEN */
	bool not_run;                  /* it failed before its child was
					* forked (setup, lagfs's start) */
	char err[512];
	pid_t child;
	int child_status;              /* waitpid status */
	/* absolute CLOCK_MONOTONIC ns; 0 = did not happen */
	uint64_t t_start, t_mounted, t_fork, t_open, t_io, t_kill, t_reap;
	uint64_t t_hold_released, t_umount1, t_free, t_release, t_umount_done;
	uint64_t t_interrupt;          /* lagfs logged FUSE_INTERRUPT */
	uint64_t t_closed;             /* --close-in-flight: the child's last
					* FLUSH (its close) reached lagfs */
	uint64_t t_io_done;            /* lagfs answered the held IO */
	uint64_t t_cue;                /* lagrace told the child to close */
	uint64_t t_probe_reap;         /* the MNT_EXPIRE probe after the reap */
	uint8_t hold_why;              /* enum hold_why */
	uint8_t vclass;                /* enum verdict_class */
	int64_t io_pid;                /* who sent it: child or io-wq tid */
	uint64_t t_end;
	int umount1_errno;             /* 0: the first unmount succeeded */
	bool ebusy;                    /* the first unmount failed with EBUSY */
	bool late_release;             /* proven: see iteration.c judge() */
	bool busy_at_reap;             /* MNT_EXPIRE probe after waitpid() */
	bool umount_ok;                /* unmounted in the end */
	bool reap_blocked;             /* the reap waited for a held reply */
	bool lagfs_lost_release;       /* child opened, lagfs never saw release */
	bool fusermount;               /* no MNT_EXPIRE probe was possible */
	bool workload;                 /* -- CMD: child is the init of its
					* namespace; the opens and IO are its
					* processes', not the child's own */
	unsigned child_opens, releases_after_reap, interrupts, retries;
	uint64_t busy_ns;              /* first EBUSY to free; 0 if not busy */
	uint64_t lateness_ns;          /* release after the reap */
	char io_how[16];
	uint8_t keeper;                /* enum engine_keeper of the engine */
	uint8_t fs;                    /* enum fs_kind: not lagfs, no events */
	uint64_t t_ready;              /* a signals_ready engine's byte came */
	/* CPU so far, for the cost per iteration: the lane with its reaped
	 * children (the workloads), of which the children alone, and its
	 * lagfs */
	uint64_t lane_cpu_us, child_cpu_us, lagfs_cpu_us;
	/* the child's files and their events, in time order */
	uint16_t n_ev, ev_dropped;     /* kept; left out (too many) */
	uint8_t n_files;
	char files[ITER_MAX_FILES][ITER_PATH_LEN];
	struct iter_ev ev[ITER_MAX_EV];
	/* --trace: the mount's FUSE connection (its device number, as the
	 * kernel's fuse events give it) and lagfs's request id of each
	 * event (its low 32 bits: an iteration's ids are small), to find
	 * the kernel's record of each request */
	uint32_t fuse_conn;
	uint32_t ev_unique[ITER_MAX_EV];
	/* Not sent by the lane (LANE_RESULT_SIZE): the main process fills it
	 * in from its trace when the result arrives. */
	struct iter_trace trace;
};

/* What a lane sends of a struct iter_result: everything before trace. */
#define LANE_RESULT_SIZE offsetof(struct iter_result, trace)

#endif
