/*
 * engine: how lagrace's child puts IO in flight, one file per engine, in the
 * manner of fio's ioengines. Each engine fills one struct engine_ops; the
 * core (iteration.c) never looks at an engine's name except to find it.
 *
 * An engine runs in the child process that lagrace will SIGKILL. run() opens
 * the files, puts IO in flight and then waits for it (and, for engines that
 * keep going, submits more) until it is killed. It returns only on a setup
 * error, with a one-line reason on stderr; the child then exits with the
 * status it returns.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base.h"

/* The files each lane's backing directory holds: DIR/lag-0.lag ... */
#define ENGINE_FILE_FMT "%s/lag-%u.lag"
#define ENGINE_FILE_SIZE (1u << 20)

struct engine_opts {
	const char *dir;      /* the mountpoint: files are ENGINE_FILE_FMT */
	bool direct;          /* open with O_DIRECT */
	bool async;           /* io_uring: IOSQE_ASYNC (force the io-wq punt) */
	bool sqpoll;          /* io_uring: an SQPOLL ring (engines with
			       * takes_sqpoll) */
	bool write;           /* write instead of read */
	unsigned qd;          /* IOs in flight at once (>= 1) */
	unsigned nfiles;      /* files used (>= 1) */
	size_t bs;            /* bytes per IO, a multiple of 4096 */
	unsigned seed;        /* random choices (mixed) */
	/* Once the IO is in flight, wait for a byte on cue_fd, close the files
	 * and then only wait: the in-flight IO holds the files' last
	 * references. Only engines with closes_in_flight honour it. */
	bool close_in_flight;
	int cue_fd;           /* also: engines with signals_ready write their
			       * byte to it (engine_ready) */
	/* The command engine: the program and its arguments ({mnt} in them
	 * becomes dir), and the iteration's number for its environment. */
	char *const *argv;
	unsigned iteration;
};

/* The kernel object an engine hands its files to before it closes their
 * descriptors, which then holds their last references (iter_result.keeper,
 * the story's holder). */
enum engine_keeper { KEEPER_NONE, KEEPER_URING_FIXED, KEEPER_SCM_CYCLE,
		     KEEPER_N };
extern const char *const engine_keeper_names[KEEPER_N];

struct engine_ops {
	const char *help;     /* one line for --help */
	int (*run)(const struct engine_opts *o);
	bool closes_in_flight; /* honours engine_opts.close_in_flight */
	/* Runs a program lagrace knows nothing of: in a PID namespace of its
	 * own where the kernel allows (else a process group), so that the
	 * kill reaches every process it started; a fresh backing directory
	 * each iteration; and every file opened on the mount is its. */
	bool opaque;
	/* Sets the race up by itself (no IO for lagfs to hold), then writes
	 * one byte to cue_fd (engine_ready) and waits to be killed: lagrace
	 * kills on that byte, on any filesystem. */
	bool signals_ready;
	enum engine_keeper keeper;
	bool takes_sqpoll;    /* honours engine_opts.sqpoll */
};

/* The engines, and their names (--engine), indexed by enum engine_id. */
enum engine_id { ENGINE_URING, ENGINE_AIO, ENGINE_SYNC, ENGINE_MIXED,
		 ENGINE_FIXED_FILE, ENGINE_SCM_RIGHTS, ENGINE_COMMAND, ENGINE_N };
extern const char *const engine_names[ENGINE_N];
extern const struct engine_ops *const engines[ENGINE_N];

/* Helpers every engine uses: open file i of o (with O_DIRECT if asked),
 * and an aligned buffer of o->bs bytes. -1/NULL with a message on stderr. */
int engine_open(const struct engine_opts *o, unsigned i, int extra_flags);
/* All o->nfiles files opened, their descriptors in a malloc'd array; NULL
 * with a message on stderr (who: "uring engine") and none left open. */
int *engine_open_files(const struct engine_opts *o, const char *who);
/* Close them and free the array (NULL: nothing). */
void engine_close_files(const struct engine_opts *o, int *fds);
void *engine_buffer(const struct engine_opts *o);
/* Block until o->cue_fd delivers its byte (or EOF): 0, or -1 with a
 * message on stderr. */
int engine_wait_cue(const struct engine_opts *o);
/* signals_ready: tell lagrace the race is set (0, or -1 with a message on
 * stderr), then wait to be killed (never returns). */
int engine_ready(const struct engine_opts *o);
NORETURN void engine_await_kill(void);

/* The engines themselves (driver/X_engine.c). */
extern const struct engine_ops engine_uring, engine_aio, engine_sync,
	engine_mixed, engine_fixed_file, engine_scm_rights, engine_command;

/* Where IO number k goes: file k % nfiles, at the (k / nfiles)-th bs-sized
 * slot of that file, wrapping at ENGINE_FILE_SIZE. IOs 0 .. nfiles *
 * (ENGINE_FILE_SIZE / bs) - 1 are all at distinct places. */
void engine_place(const struct engine_opts *o, unsigned long k,
		  unsigned *file, off_t *offset);

/* Counters an engine keeps for whoever forked it, if engine_stats points
 * somewhere (a MAP_SHARED mapping made before the fork); NULL (the
 * default) counts nothing. Only the child writes them. */
struct engine_stats {
	unsigned long submitted;  /* IOs handed to the kernel (mixed: ops) */
	unsigned long completed;  /* of those, finished */
	unsigned long errors;     /* of those, failed (EINTR, ENOENT...) */
};
extern struct engine_stats *engine_stats;
void engine_count(unsigned long submitted, unsigned long completed,
		  unsigned long errors);

#endif
