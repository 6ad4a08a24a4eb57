#include "control.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base.h"
#include "park.h"
#include "xpthread.h"

#define MAX_CLIENTS 16
#define CMD_MAX 8192

struct client {
	int fd;
	size_t len;
	char buf[CMD_MAX];
};

struct control {
	struct lagfs *fs;
	char *path;
	int listen_fd, sighup_fd, stop_fd;
	dev_t dev;                 /* the socket file we made */
	ino_t ino;
	pthread_t thread;
	bool started;
	struct client clients[MAX_CLIENTS];
};

static int add_rules(struct lagfs *fs, struct rule_set *rs, const char *text,
		     char *out, size_t cap)
{
	char *copy = strdup(text), *save = NULL, *one;
	char err[512] = "";

	if (!copy) {
		snprintf(out, cap, "error: out of memory");
		rule_set_free(rs);
		return -1;
	}
	for (one = strtok_r(copy, ";", &save); one;
	     one = strtok_r(NULL, ";", &save)) {
		if (rule_set_add_line(rs, one, err, sizeof(err)) < 0) {
			snprintf(out, cap, "error: %s", err);
			free(copy);
			rule_set_free(rs);
			return -1;
		}
	}
	free(copy);
	snprintf(out, cap, "ok %zu rules", rs->count);
	lagfs_set_rules(fs, rs);
	return 0;
}

static struct rule_set *current_rules_copy(struct lagfs *fs)
{
	struct rule_set *rs;

	xrwlock_rdlock(&fs->rules_lock);
	rs = rule_set_dup(fs->rules);
	xrwlock_unlock(&fs->rules_lock);
	return rs;
}

static void list_rules(struct lagfs *fs, char *out, size_t cap)
{
	size_t n;

	xrwlock_rdlock(&fs->rules_lock);
	n = (size_t)snprintf(out, cap, "ok %zu rules", fs->rules->count);
	for (size_t i = 0; i < fs->rules->count && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s",
				      i ? "; " : ": ", fs->rules->rules[i].text);
	xrwlock_unlock(&fs->rules_lock);
}

static void stats(struct lagfs *fs, char *out, size_t cap)
{
	struct event_sink_stats ls = { 0 };

	if (fs->log)
		event_sink_stats(fs->log, &ls);
	snprintf(out, cap,
		 "ok {\"requests\":%lu,\"parked\":%lu,\"parked_now\":%zu,"
		 "\"interrupts\":%lu,\"eintr\":%lu,\"released\":%lu,"
		 "\"opens\":%lu,\"releases\":%lu,\"open_now\":%lu,"
		 "\"inodes\":%zu,\"events\":%lu,\"events_dropped\":%lu}",
		 (unsigned long)fs->n.requests, (unsigned long)fs->n.parked,
		 dq_parked(fs->dq), (unsigned long)fs->n.interrupts,
		 (unsigned long)fs->n.eintr, (unsigned long)fs->n.released,
		 (unsigned long)fs->n.opens, (unsigned long)fs->n.releases,
		 (unsigned long)fs->files.count,
		 inode_table_count(fs->inodes), (unsigned long)ls.written,
		 (unsigned long)ls.dropped);
}

static void cmd_ping(struct lagfs *fs, const char *arg, char *out, size_t cap)
{
	(void)fs;
	(void)arg;
	snprintf(out, cap, "ok");
}

static void cmd_release(struct lagfs *fs, const char *arg, char *out,
			size_t cap)
{
	snprintf(out, cap, "ok released %zu",
		 park_release(fs, *arg ? arg : NULL));
}

/* add and set: rs is the set the rules go into (taken over). */
static void change_rules(struct lagfs *fs, const char *cmd,
			 struct rule_set *rs, const char *arg, char *out,
			 size_t cap)
{
	if (!*arg)
		snprintf(out, cap, "error: %s needs a rule", cmd);
	else if (!rs)
		snprintf(out, cap, "error: out of memory");
	else {
		add_rules(fs, rs, arg, out, cap);
		return;
	}
	rule_set_free(rs);
}

static void cmd_add(struct lagfs *fs, const char *arg, char *out, size_t cap)
{
	change_rules(fs, "add", current_rules_copy(fs), arg, out, cap);
}

static void cmd_set(struct lagfs *fs, const char *arg, char *out, size_t cap)
{
	change_rules(fs, "set", rule_set_new(), arg, out, cap);
}

static void cmd_clear(struct lagfs *fs, const char *arg, char *out,
		      size_t cap)
{
	struct rule_set *rs = rule_set_new();

	(void)arg;
	if (!rs) {
		snprintf(out, cap, "error: out of memory");
		return;
	}
	lagfs_set_rules(fs, rs);
	snprintf(out, cap, "ok 0 rules");
}

static void cmd_reload(struct lagfs *fs, const char *arg, char *out,
		       size_t cap)
{
	char err[512] = "";

	(void)arg;
	if (lagfs_reload(fs, err, sizeof(err)) < 0)
		snprintf(out, cap, "error: %s", err);
	else
		list_rules(fs, out, cap);
}

static void cmd_rules(struct lagfs *fs, const char *arg, char *out,
		      size_t cap)
{
	(void)arg;
	list_rules(fs, out, cap);
}

static void cmd_stats(struct lagfs *fs, const char *arg, char *out,
		      size_t cap)
{
	(void)arg;
	stats(fs, out, cap);
}

/* The harness's own moment (a reap, say) in the log, at lagfs's clock, so
 * that the log alone can be judged (lagrace judge --mark TEXT). */
static void cmd_mark(struct lagfs *fs, const char *arg, char *out,
		     size_t cap)
{
	struct lag_event e;
	size_t len = strlen(arg);

	if (!len) {
		snprintf(out, cap, "error: mark needs a text");
		return;
	}
	if (len >= sizeof(e.detail)) {
		snprintf(out, cap, "error: mark text too long (%zu bytes, at "
			 "most %zu)", len, sizeof(e.detail) - 1);
		return;
	}
	lag_event_init(&e, LAG_EV_MARK);
	e.pid = getpid();
	memcpy(e.detail, arg, len + 1);
	lagfs_log(fs, &e);
	snprintf(out, cap, "ok marked %llu", (unsigned long long)e.t_ns);
}

static void cmd_help(struct lagfs *fs, const char *arg, char *out,
		     size_t cap);

/*
 * The commands. A command ignores words after it unless args names them;
 * "help" lists this table, so the README's table of commands and the
 * channel agree (tests/integration/control_help.sh).
 */
static const struct command {
	const char *name;
	const char *args;      /* as "help" shows them; NULL for none */
	void (*run)(struct lagfs *fs, const char *arg, char *out, size_t cap);
	const char *help;
} commands[] = {
	{ .name = "ping", .run = cmd_ping, .help = "answers ok" },
	{ .name = "release", .args = "[GLOB]", .run = cmd_release,
	  .help = "serve the parked requests whose path matches GLOB (all "
		  "without one) now: ok released N" },
	{ .name = "add", .args = "RULE", .run = cmd_add,
	  .help = "append a rule: ok N rules" },
	{ .name = "set", .args = "RULE [; RULE]...", .run = cmd_set,
	  .help = "replace all rules: ok N rules" },
	{ .name = "clear", .run = cmd_clear,
	  .help = "remove all rules: ok 0 rules" },
	{ .name = "reload", .run = cmd_reload,
	  .help = "re-read --rule and --rules FILE, as SIGHUP does (rules "
		  "added on the channel are dropped): ok N rules: ..." },
	{ .name = "rules", .run = cmd_rules,
	  .help = "the rules: ok N rules: RULE; RULE; ..." },
	{ .name = "stats", .run = cmd_stats,
	  .help = "counters: ok {\"requests\":...}" },
	{ .name = "mark", .args = "TEXT", .run = cmd_mark,
	  .help = "log a mark event with TEXT at lagfs's clock: ok marked "
		  "T_NS" },
	{ .name = "help", .args = "[COMMAND]", .run = cmd_help,
	  .help = "the commands, or what COMMAND does" },
};

/* "NAME ARGS" as help shows a command. */
static const char *usage_of(const struct command *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", c->name, c->args ? " " : "",
		 c->args ? c->args : "");
	return buf;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void cmd_help(struct lagfs *fs, const char *arg, char *out,
		     size_t cap)
{
	const struct command *c = find_command(arg);
	char buf[64];
	size_t n;

	(void)fs;
	if (*arg && !c) {
		snprintf(out, cap, "error: unknown command '%s'", arg);
		return;
	}
	if (c) {
		snprintf(out, cap, "ok %s: %s", usage_of(c, buf, sizeof(buf)),
			 c->help);
		return;
	}
	n = (size_t)snprintf(out, cap, "ok commands:");
	for (size_t i = 0; i < ARRAY_SIZE(commands) && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s %s", i ? "," : "",
				      usage_of(&commands[i], buf, sizeof(buf)));
}

void control_command(struct lagfs *fs, const char *line, char *out,
		     size_t cap)
{
	const struct command *c;
	char word[16] = "";
	const char *arg;
	int n = 0;

	while (*line == ' ' || *line == '\t')
		line++;
	sscanf(line, "%15s%n", word, &n);
	arg = line + n;
	while (*arg == ' ' || *arg == '\t')
		arg++;
	c = find_command(word);
	if (c)
		c->run(fs, arg, out, cap);
	else if (!word[0])
		snprintf(out, cap, "error: empty command");
	else
		snprintf(out, cap, "error: unknown command '%s'", word);
}

static void drop_client(struct client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

/* Answer every complete line; the answers are short, so a blocking send is
 * fine (a client that does not read only stalls the control channel). */
static void client_input(struct control *ctl, struct client *cl)
{
	char out[CMD_MAX + 64];
	ssize_t n = read(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
	char *nl;

	if (n <= 0) {
		drop_client(cl);
		return;
	}
	cl->len += (size_t)n;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t used = (size_t)(nl - cl->buf) + 1;

		*nl = '\0';
		if (nl > cl->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		control_command(ctl->fs, cl->buf, out, sizeof(out) - 1);
		strcat(out, "\n");
		if (send(cl->fd, out, strlen(out), MSG_NOSIGNAL) < 0) {
			drop_client(cl);
			return;
		}
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	if (cl->len == sizeof(cl->buf)) {
		static const char msg[] = "error: line too long\n";

		if (send(cl->fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL) < 0)
			(void)0; /* dropped below either way */
		drop_client(cl);
	}
}

static void accept_client(struct control *ctl)
{
	int fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (ctl->clients[i].fd < 0) {
			ctl->clients[i].fd = fd;
			ctl->clients[i].len = 0;
			return;
		}
	}
	close(fd); /* too many clients */
}

static void on_sighup(struct control *ctl)
{
	struct signalfd_siginfo si;
	char err[512] = "";

	if (read(ctl->sighup_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (lagfs_reload(ctl->fs, err, sizeof(err)) < 0)
		fprintf(stderr, "lagfs: reload refused, old rules kept: %s\n",
			err);
}

static void *control_main(void *arg)
{
	struct control *ctl = arg;
	sigset_t all;

	/* For top -H and perf; a name is a nicety, not worth an error. */
	(void)pthread_setname_np(pthread_self(), "lagfs-ctl");
	/* SIGINT/SIGTERM must reach the thread that reads /dev/fuse. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	for (;;) {
		struct pollfd p[3 + MAX_CLIENTS];
		int n = 0, idx[MAX_CLIENTS];

		p[n++] = (struct pollfd){ .fd = ctl->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = ctl->sighup_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = ctl->listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (ctl->clients[i].fd < 0)
				continue;
			idx[n - 3] = i;
			p[n++] = (struct pollfd){ .fd = ctl->clients[i].fd,
						  .events = POLLIN };
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("lagfs: control channel: poll");
			return NULL;
		}
		if (p[0].revents)
			return NULL;
		if (p[1].revents)
			on_sighup(ctl);
		if (p[2].revents)
			accept_client(ctl);
		for (int k = 3; k < n; k++)
			if (p[k].revents)
				client_input(ctl, &ctl->clients[idx[k - 3]]);
	}
}

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a fifo";
	case S_IFCHR: case S_IFBLK: return "a device";
	default: return "not a socket";
	}
}

/*
 * bind() found something at the path. Only a socket that refuses
 * connections is left from a lagfs (or anything) that died: remove that
 * one and bind again. Anything else is somebody's and stays as it is.
 */
static int replace_stale(int fd, const struct sockaddr_un *sa,
			 const char *shown, char *err, size_t errlen)
{
	struct stat st;
	int probe, r;

	if (lstat(sa->sun_path, &st) < 0) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is %s, "
			 "not a socket; left alone", shown,
			 file_kind(st.st_mode));
		return -1;
	}
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
		return -1;
	}
	r = connect(probe, (const struct sockaddr *)sa, sizeof(*sa));
	if (r == 0 || errno != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 r == 0 ? "in use: a running process listens on it"
				: strerror(errno));
		close(probe);
		return -1;
	}
	close(probe);
	if (unlink(sa->sun_path) < 0 ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int listen_on(struct control *ctl, const char *path, const char *shown,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long "
			 "(%zu bytes%s, at most %zu)", shown, strlen(path),
			 strcmp(path, shown) ? " as an absolute path" : "",
			 sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
		return -1;
	}
	/* Created 0600 from the start: no window where others can connect. */
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno == EADDRINUSE)
		r = replace_stale(fd, &sa, shown, err, errlen);
	else if (r < 0)
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
	umask(old);
	if (r < 0) {
		close(fd);
		return -1;
	}
	/* Remembered so that the exit removes this socket and nothing else. */
	if (lstat(path, &st) < 0 || listen(fd, 8) < 0) {
		snprintf(err, errlen, "control socket %s: %s", shown,
			 strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return fd;
}

struct control *control_open(const char *path, const char *shown, char *err,
			     size_t errlen)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (!ctl) {
		snprintf(err, errlen, "control channel: out of memory");
		return NULL;
	}
	ctl->listen_fd = -1;
	ctl->sighup_fd = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		ctl->clients[i].fd = -1;
	ctl->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (ctl->stop_fd < 0) {
		snprintf(err, errlen, "control channel: eventfd: %s",
			 strerror(errno));
		free(ctl);
		return NULL;
	}
	if (path) {
		ctl->path = strdup(path);
		if (!ctl->path) {
			snprintf(err, errlen, "control channel: out of memory");
			control_stop(ctl);
			return NULL;
		}
		ctl->listen_fd = listen_on(ctl, path, shown ? shown : path,
					   err, errlen);
		if (ctl->listen_fd < 0) {
			control_stop(ctl);
			return NULL;
		}
	}
	return ctl;
}

int control_start(struct control *ctl, struct lagfs *fs, int sighup_fd,
		  char *err, size_t errlen)
{
	int rc;

	ctl->fs = fs;
	ctl->sighup_fd = sighup_fd;
	rc = pthread_create(&ctl->thread, NULL, control_main, ctl);
	if (rc != 0) {
		snprintf(err, errlen, "control channel: thread: %s",
			 strerror(rc));
		return -1;
	}
	ctl->started = true;
	return 0;
}

/* Unless somebody has put something else there meanwhile. */
static void remove_socket(struct control *ctl)
{
	struct stat st;

	if (lstat(ctl->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		unlink(ctl->path);
}

void control_stop(struct control *ctl)
{
	uint64_t one = 1;

	if (!ctl)
		return;
	if (ctl->started) {
		if (write(ctl->stop_fd, &one, sizeof(one)) != sizeof(one))
			perror("lagfs: control channel: stop");
		pthread_join(ctl->thread, NULL);
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i].fd >= 0)
			close(ctl->clients[i].fd);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		remove_socket(ctl);
	}
	close(ctl->stop_fd);
	free(ctl->path);
	free(ctl);
}
