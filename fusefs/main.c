/*
 * lagfs: a passthrough FUSE filesystem that delays or holds chosen requests
 * and logs every open, flush, release and interrupt. See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "daemon.h"
#include "lag_event.h"
#include "lagfs.h"
#include "mount_check.h"
#include "options.h"
#include "park.h"
#include "session_io.h"
#include "report_err.h"
#include "version.h"

static char *existing_dir(const char *what, const char *path)
{
	struct stat st;
	char *real = realpath(path, NULL);

	if (!real)
		die_usage("%s %s: %s", what, path, strerror(errno));
	if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
		die_usage("%s %s: %s", what, path, strerror(ENOTDIR));
	return real;
}

static int open_log(const struct options *o)
{
	int fd;

	if (o->log_fd >= 0)
		return o->log_fd;
	if (!o->log_file)
		return -1;
	fd = open(o->log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die_usage("log file %s: %s", o->log_file, strerror(errno));
	return fd;
}

static void report_unreleased_one(struct lag_file *f, void *arg)
{
	struct lagfs *fs = arg;
	struct lag_event e;

	atomic_fetch_add(&fs->n.unreleased, 1);
	lag_event_init(&e, LAG_EV_UNRELEASED);
	e.pid = f->pid;
	e.ino = f->ino;
	e.fh = f->h.num;
	e.flags = f->flags;
	e.open_t_ns = f->open_t_ns;
	if (f->path)
		lag_event_set_path(&e, f->path, strlen(f->path));
	lagfs_log(fs, &e);
	fprintf(stderr, "lagfs: open never released: %s (fh %lu, pid %ld, "
		"opened %.1f ms before exit)\n", f->path ? f->path : "?",
		(unsigned long)e.fh, (long)f->pid,
		(double)(e.t_ns - f->open_t_ns) / 1e6);
}

static void log_start(struct lagfs *fs)
{
	struct lag_event e;

	lag_event_init(&e, LAG_EV_START);
	e.pid = getpid();
	e.uid = getuid();
	lag_event_set_path(&e, "/", 1);
	snprintf(e.detail, sizeof(e.detail), "lagfs %s mountpoint=%s",
		 LAG_VERSION, fs->mountpoint);
	lagfs_log(fs, &e);
}

static void log_exit(struct lagfs *fs)
{
	struct event_sink_stats st = { 0 };
	struct lag_event e;

	if (fs->log)
		event_sink_stats(fs->log, &st);
	lag_event_init(&e, LAG_EV_EXIT);
	e.pid = getpid();
	e.uid = getuid();
	snprintf(e.detail, sizeof(e.detail),
		 "requests=%lu parked=%lu interrupts=%lu released=%lu "
		 "opens=%lu releases=%lu unreleased=%lu dropped_events=%lu",
		 (unsigned long)fs->n.requests, (unsigned long)fs->n.parked,
		 (unsigned long)fs->n.interrupts,
		 (unsigned long)fs->n.released, (unsigned long)fs->n.opens,
		 (unsigned long)fs->n.releases,
		 (unsigned long)fs->n.unreleased, (unsigned long)st.dropped);
	lagfs_log(fs, &e);
}

/* After the log is closed, so the count includes the exit event. */
static void report_dropped(struct event_sink_stats *st)
{
	if (st->dropped)
		fprintf(stderr, "lagfs: event log: %lu events dropped (%s)\n",
			(unsigned long)st->dropped,
			st->last_errno ? strerror(st->last_errno)
				       : "buffer full");
}

static void init_fs(struct lagfs *fs, struct options *o)
{
	char err[512] = "";

	fs->backing = existing_dir("backing directory", o->backing);
	fs->backing_len = strlen(fs->backing);
	if (!strcmp(fs->backing, "/"))
		fs->backing_len = 0; /* paths below "/" keep their slash */
	/* Named after its backing directory, so that umount BACKING and
	 * findmnt -S BACKING find the mount, as fstests expects. */
	if (!o->fsname_given &&
	    options_name_mount(o, o->mount_name ? o->mount_name
						: fs->backing) < 0)
		die_usage("out of memory");
	fs->mountpoint = existing_dir("mountpoint", o->mountpoint);
	if (mount_check_mounted(fs->mountpoint))
		die_usage("mountpoint %s: %s", o->mountpoint,
			  "already mounted");
	fs->timeout = 1.0;
	fs->cli_rules = o->cli_rules;
	/* Messages name the file as the user did; only a daemon leaves the
	 * cwd (daemon.c). */
	if (o->rules_file)
		fs->rules_file = o->foreground ? strdup(o->rules_file)
					       : options_absolute(o->rules_file);
	fs->rules = lagfs_initial_rules(fs, err, sizeof(err));
	if (!fs->rules)
		die_usage("rules file %s", err);
	fs->op_mask = fs->rules->op_mask;
	if (own_creds_init(&fs->creds) < 0)
		die_usage("own credentials: %s", strerror(errno));
	if (open_files_init(&fs->files) ||
	    pthread_mutex_init(&fs->park_lock, NULL) ||
	    pthread_cond_init(&fs->drained, NULL) ||
	    pthread_rwlock_init(&fs->rules_lock, NULL))
		die_usage("out of memory");
}

/* Threads start only after daemonizing: fork keeps none of them. */
static int start_threads(struct lagfs *fs, struct options *o, int log_fd)
{
	if (log_fd >= 0) {
		fs->log = event_sink_open(log_fd, 0);
		if (!fs->log) {
			perror("lagfs: event log");
			return -1;
		}
	}
	fs->dq = dq_create(o->workers ? o->workers : 2);
	if (!fs->dq) {
		perror("lagfs: delay queue");
		return -1;
	}
	return 0;
}

static int serve(struct fuse_session *se, struct options *o)
{
	struct fuse_loop_config *cfg;
	int res;

	if (o->single_thread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -1;
	fuse_loop_cfg_set_idle_threads(cfg, o->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, o->max_threads);
	fuse_loop_cfg_set_clone_fd(cfg, o->clone_fd);
	res = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return res;
}

/*
 * A signal handler can reach only statics: the session to stop and whether
 * a stop was asked (as opposed to an unmount ending the session).
 */
static struct fuse_session *volatile current_se;
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	struct fuse_session *se = current_se;

	(void)sig;
	stop_requested = 1;
	if (se)
		fuse_session_exit(se);
}

static int stop_signals(void)
{
	/* No SA_RESTART: the read of /dev/fuse must return EINTR. */
	struct sigaction sa = { .sa_handler = on_stop };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	return sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	       sigaction(SIGPIPE, &ign, NULL) ? -1 : 0;
}

/*
 * libfuse says why a mount failed through fuse_log ("fuse: failed to open
 * /dev/fuse: Permission denied"); caught here, it ends lagfs's one line.
 * Only the mounting thread logs while it is installed.
 */
static char mount_reason[256];

static void catch_mount_reason(enum fuse_log_level level, const char *fmt,
			       va_list ap)
{
	size_t n;

	(void)level;
	if (mount_reason[0])
		return; /* the first is the cause */
	vsnprintf(mount_reason, sizeof(mount_reason), fmt, ap);
	n = strlen(mount_reason);
	while (n && mount_reason[n - 1] == '\n')
		mount_reason[--n] = '\0';
}

static int mount_quietly(struct fuse_session *se, const char *mountpoint)
{
	int r;

	mount_reason[0] = '\0';
	fuse_set_log_func(catch_mount_reason);
	r = fuse_session_mount(se, mountpoint);
	fuse_set_log_func(NULL);
	if (r == 0 && mount_reason[0])
		fprintf(stderr, "%s\n", mount_reason); /* a warning: pass it on */
	return r;
}

/* Mount a new session; NULL (and a message) on failure. */
static struct fuse_session *mount_session(struct lagfs *fs, struct options *o)
{
	struct fuse_lowlevel_ops ops = lagfs_ops;
	struct fuse_session *se;
	int root_fd;

	/*
	 * --no-xattr: for an op it lacks, libfuse answers ENOSYS, and the
	 * kernel then sends no more xattr requests on this mount. Otherwise it
	 * asks for security.capability before every write (to know whether
	 * the write must drop it), which costs a round trip.
	 */
	if (o->no_xattr) {
		ops.setxattr = NULL;
		ops.getxattr = NULL;
		ops.listxattr = NULL;
		ops.removexattr = NULL;
	}
	se = fuse_session_new(&o->fuse_args, &ops, sizeof(ops), fs);
	if (!se)
		return NULL; /* libfuse said which option it did not know */
	if (mount_quietly(se, fs->mountpoint) != 0) {
		const char *why = mount_reason;

		if (!strncmp(why, "fuse: ", 6))
			why += 6;
		fprintf(stderr, "lagfs: cannot mount %s%s%s\n", o->mountpoint,
			*why ? ": " : "", why);
		fuse_session_destroy(se);
		return NULL;
	}
	root_fd = open(fs->backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fs->inodes = root_fd < 0 ? NULL
				 : inode_table_new(root_fd, &fs->inode_numbers);
	if (!fs->inodes || session_io_install(se) < 0) {
		perror("lagfs: starting the session");
		fuse_session_unmount(se);
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}

/* What a session leaves behind: parked calls, opens never released. */
static void end_session(struct lagfs *fs, struct fuse_session *se)
{
	current_se = NULL;
	park_drain(fs);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	open_files_each(&fs->files, report_unreleased_one, fs);
	open_files_destroy(&fs->files);
	if (open_files_init(&fs->files))
		abort();
	inode_table_free(fs->inodes);
	fs->inodes = NULL;
}

static void free_fs(struct lagfs *fs, struct options *o)
{
	rule_set_free(fs->rules);
	rule_set_free(fs->cli_rules);
	own_creds_free(&fs->creds);
	options_free(o);
	free(fs->conn_opts);
	free(fs->rules_file);
	free(fs->backing);
	free(fs->mountpoint);
}

/* What main() starts, and stops again. */
struct run {
	struct fuse_session *se;       /* the mount being served, or NULL */
	struct control *ctl;
	int hup_fd, log_fd;
};

/* What the daemon's parent undoes if the daemon dies before serving. */
static void undo_startup(void *arg)
{
	struct run *r = arg;

	fuse_session_unmount(r->se);
	control_stop(r->ctl);
}

/* SIGHUP means "reload", taken through a signalfd by the control thread. */
static void hup_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
}

/*
 * Whatever can refuse to start does so here, before the mount is served
 * (the rules, the log, the control socket, the mount itself), while the
 * user still reads our stderr. Returns 0, or 2 once it has said why; only
 * the fs is left to free then.
 */
static int prepare(struct lagfs *fs, struct options *o, struct run *r)
{
	char err[512] = "";
	sigset_t hup;

	init_fs(fs, o);
	r->log_fd = open_log(o);
	fs->conn_opts = fuse_parse_conn_info_opts(&o->fuse_args);
	if (!fs->conn_opts)
		return 2;
	hup_set(&hup);
	r->hup_fd = signalfd(-1, &hup, SFD_CLOEXEC);
	if (r->hup_fd < 0 || stop_signals() < 0) {
		perror("lagfs: signals");
		return 2;
	}
	r->ctl = control_open(o->control, o->control_arg, err, sizeof(err));
	if (!r->ctl) {
		fprintf(stderr, "lagfs: %s\n", err);
		return 2;
	}
	r->se = mount_session(fs, o);
	if (!r->se) {
		control_stop(r->ctl);
		return 2;
	}
	return 0;
}

/*
 * Into the background, then the threads. What fails from here until the
 * first INIT is answered is reported, unmounted and exit 2 too: the
 * daemon's parent waits for the word that lag_init() sends.
 */
static int go_live(struct lagfs *fs, struct options *o, struct run *r)
{
	char err[512] = "";

	if (daemon_start(o->foreground, undo_startup, r) < 0 ||
	    start_threads(fs, o, r->log_fd) < 0)
		return -1;
	if (control_start(r->ctl, fs, r->hup_fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "lagfs: %s\n", err);
		return -1;
	}
	return 0;
}

/* Serve the mount; with --remount, mount again after each unmount. */
static int serve_sessions(struct lagfs *fs, struct options *o, struct run *r)
{
	int res;

	for (;;) {
		current_se = r->se;
		if (stop_requested) /* the signal came before current_se */
			fuse_session_exit(r->se);
		log_start(fs);
		/* A loop that could not start (libfuse said why) is a startup
		 * failure; one that ran and failed is not. */
		res = serve(r->se, o) ? (atomic_load(&fs->served) ? 1 : 2) : 0;
		end_session(fs, r->se);
		r->se = NULL;
		/* --remount: an unmount ends only the session. */
		if (!o->remount || stop_requested || res)
			return res;
		r->se = mount_session(fs, o);
		if (!r->se)
			return 1;
	}
}

static void shut_down(struct lagfs *fs, struct options *o, struct run *r)
{
	if (r->se)
		end_session(fs, r->se);
	if (fs->dq)
		dq_destroy(fs->dq);
	control_stop(r->ctl);
	log_exit(fs);
	if (fs->log) {
		struct event_sink_stats st;

		event_sink_close_stats(fs->log, &st);
		report_dropped(&st);
	}
	open_files_destroy(&fs->files);
	free_fs(fs, o);
}

int main(int argc, char **argv)
{
	struct options o;
	struct lagfs fs = { .inode_numbers = FUSE_ROOT_ID };
	struct run r = { .hup_fd = -1, .log_fd = -1 };
	sigset_t hup;
	int res = 2;

	set_prog_name("lagfs");
	/* Every thread inherits the block; the control thread reads it. */
	hup_set(&hup);
	if (sigprocmask(SIG_BLOCK, &hup, NULL) < 0) {
		perror("lagfs: sigprocmask");
		return 2;
	}
	options_parse(argc, argv, &o);
	if (prepare(&fs, &o, &r)) {
		open_files_destroy(&fs.files);
		free_fs(&fs, &o);
		return 2;
	}
	/*
	 * The kernel has applied the caller's umask to the mode of a create,
	 * mkdir or mknod already; ours would take bits off a second time. The
	 * log and the socket, made with the user's umask, exist by now.
	 */
	umask(0);
	if (go_live(&fs, &o, &r) == 0)
		res = serve_sessions(&fs, &o, &r);
	shut_down(&fs, &o, &r);
	return res;
}
