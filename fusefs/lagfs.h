/*
 * lagfs: the state of one mounted lagfs, shared by the request handlers
 * (passthrough.c), the parking of delayed requests (park.c), the control
 * channel (control.c) and main.c. One struct, no globals.
 */
#ifndef LAGFS_H
#define LAGFS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "caller_creds.h"
#include "delay_queue.h"
#include "event_sink.h"
#include "inode_table.h"
#include "open_files.h"
#include "rules.h"

struct lagfs_counters {
	atomic_uint_fast64_t requests;     /* requests that went through dispatch */
	atomic_uint_fast64_t parked;       /* delayed or held */
	atomic_uint_fast64_t interrupts;   /* FUSE_INTERRUPTs for parked requests */
	atomic_uint_fast64_t eintr;        /* parked requests answered EINTR */
	atomic_uint_fast64_t released;     /* let go by the control channel */
	atomic_uint_fast64_t opens, releases;
	atomic_uint_fast64_t unreleased;   /* opens reported at mount ends */
};

struct lagfs {
	char *backing;                 /* realpath of the backing directory */
	size_t backing_len;
	char *mountpoint;              /* realpath of the mountpoint */
	struct inode_table *inodes;
	struct open_files files;
	struct delay_queue *dq;
	struct event_sink *log;        /* NULL: no event log */
	pthread_mutex_t park_lock;     /* parked calls' state transitions */
	pthread_cond_t drained;        /* parked == 0 while ending */
	unsigned long parked_now;      /* parked calls not yet freed */
	_Atomic bool ending;           /* the session ends: answer EIO */
	_Atomic bool served;           /* a mount's INIT was answered */

	pthread_rwlock_t rules_lock;
	struct rule_set *rules;        /* never NULL; replaced whole */
	_Atomic uint64_t op_mask;      /* rules->op_mask, read without the lock */
	char *rules_file;              /* --rules, for SIGHUP and "reload" */
	struct rule_set *cli_rules;    /* --rule options, kept across reloads */

	/*
	 * The numbers the event log gives inodes and open files (their FUSE
	 * ids are addresses): the last one handed out. Never reused while
	 * lagfs runs, across --remount too. The root is always FUSE_ROOT_ID.
	 */
	atomic_uint_fast64_t inode_numbers, handle_numbers;

	struct own_creds creds;        /* to make nodes as their caller */
	double timeout;                /* entry and attr cache timeout, seconds */
	struct fuse_conn_info_opts *conn_opts; /* -o max_background=... */
	struct lagfs_counters n;
};

/* Put an event in the log (no-op without a log). */
static inline void lagfs_log(struct lagfs *fs, const struct lag_event *e)
{
	if (fs->log)
		event_sink_put(fs->log, e);
}

/*
 * Replace the rules with rs (taken over); the old set is freed once no
 * request uses it.
 */
void lagfs_set_rules(struct lagfs *fs, struct rule_set *rs);

/*
 * Reload: the rules file (if any) after the --rule rules. On error the old
 * rules stay and err says why (one line). Logs a "reload" event either way.
 */
int lagfs_reload(struct lagfs *fs, char *err, size_t errlen);

/* The rules to start with (--rule, then --rules FILE); NULL with err set. */
struct rule_set *lagfs_initial_rules(struct lagfs *fs, char *err,
				     size_t errlen);

/* The path below the mount root ("/a/b") of an inode, malloc'd; NULL if it
 * cannot be found (then the caller logs no path). */
char *lagfs_inode_path(struct lagfs *fs, struct lag_inode *in);

/* The low-level operations table (passthrough.c). */
extern const struct fuse_lowlevel_ops lagfs_ops;

#endif
