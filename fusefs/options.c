#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base.h"
#include "report_err.h"
#include "version.h"

/* libfuse's fuse_loop_mt refuses more (FUSE_LOOP_MT_MAX_THREADS). */
#define MAX_LOOP_THREADS 100000

/*
 * One of lagfs's options. Its -o spelling is name (rules=FILE); its long
 * option is --name with '-' for '_' (--rules FILE or --rules=FILE).
 */
struct lagfs_opt {
	const char *name;
	const char *arg;       /* the value as --help shows it; NULL: a flag */
	/* shown: the option as the user spelled it, for messages */
	void (*set)(struct options *o, const char *shown, const char *val);
	size_t field;          /* without set: the bool a flag sets, or the
				* char * a value replaces */
	const char *help;
};

static void set_rule(struct options *o, const char *shown, const char *val)
{
	char err[512];

	(void)shown;
	if (rule_set_add_line(o->cli_rules, val, err, sizeof(err)) < 0)
		die_usage("rule '%.60s%s': %s", val,
			  strlen(val) > 60 ? "..." : "", err);
}

static void set_log_fd(struct options *o, const char *shown, const char *val)
{
	char *end;
	long fd = strtol(val, &end, 10);
	int fl;

	if (!*val || *end || fd < 0 || fd > INT_MAX ||
	    (fl = fcntl((int)fd, F_GETFL)) < 0)
		die_usage("%s '%s': %s", shown, val,
			  "not an open file descriptor");
	if ((fl & O_ACCMODE) == O_RDONLY)
		die_usage("%s '%s': %s", shown, val, "not open for writing");
	o->log_fd = (int)fd;
}

static void set_control(struct options *o, const char *shown,
			const char *val)
{
	free(o->control);
	free(o->control_arg);
	o->control = options_absolute(val);
	if (!o->control)
		die_usage("%s %s: %s", shown, val, strerror(errno));
	o->control_arg = strdup(val);
	if (!o->control_arg)
		die_usage("out of memory");
}

static void set_workers(struct options *o, const char *shown,
			const char *val)
{
	char *end;
	long n = strtol(val, &end, 10);

	if (!*val || *end || n < 1 || n > 64)
		die_usage("%s '%s': need a number from 1 to 64", shown, val);
	o->workers = (unsigned)n;
}

#define FIELD(f) offsetof(struct options, f)
static const struct lagfs_opt lagfs_opts[] = {
	{ .name = "rule", .arg = "RULE", .set = set_rule,
	  .help = "a latency rule, e.g. 'read delay=100ms' (repeatable)" },
	{ .name = "rules", .arg = "FILE", .field = FIELD(rules_file),
	  .help = "rules file, one rule per line; SIGHUP re-reads it" },
	{ .name = "log", .arg = "FILE", .field = FIELD(log_file),
	  .help = "write the JSON Lines event log to FILE" },
	{ .name = "log_fd", .arg = "N", .set = set_log_fd,
	  .help = "write the event log to inherited descriptor N" },
	{ .name = "control", .arg = "PATH", .set = set_control,
	  .help = "control socket (mode 0600): release, add, set, reload, "
		  "help..." },
	{ .name = "source", .arg = "DIR", .field = FIELD(source),
	  .help = "the backing directory, instead of BACKING_DIR (as fstests "
		  "passes it);\nthen the mount is named after a first argument "
		  "if there are two" },
	{ .name = "remount", .field = FIELD(remount),
	  .help = "after an unmount, mount again (until SIGINT or SIGTERM)" },
	{ .name = "workers", .arg = "N", .set = set_workers,
	  .help = "threads that answer delayed requests (1 to 64, default "
		  "2)" },
	{ .name = "no_xattr", .field = FIELD(no_xattr),
	  .help = "answer xattr requests ENOSYS, as passthrough_ll does: "
		  "writes then\nskip a getxattr round trip each" },
};
#undef FIELD

/*
 * The ways to write an option, as fuse_opt templates. A long option
 * without "=" takes the next argument as its value: opt_proc remembers it
 * and takes the next word, because fuse_opt's own "--rule %s" template
 * would also match "--rules" and "--log %s" "--log-fd" (it matches the
 * part before the blank as a prefix). -o NAME without a value and a flag
 * with one are refused by name.
 */
enum spelling {
	LONG,           /* --name (a flag, or the value follows) */
	LONG_EQ,        /* --name=VALUE */
	O_EQ,           /* -o name=VALUE */
	O_BARE,         /* -o name */
	SPELLINGS
};

/* fuse_opt keys: besides FUSE_OPT_KEY_* (negative) and lagfs_opts. */
enum {
	KEY_LIBFUSE = 1,       /* libfuse's own: kept for fuse_parse_cmdline */
	KEY_MAX_THREADS,
	KEY_MAX_IDLE,
	KEY_FSNAME,
	KEY_OWN = 16,          /* + index * SPELLINGS + spelling */
};

/* libfuse's: kept for fuse_parse_cmdline(), noting the thread counts. */
static const struct fuse_opt libfuse_opts[] = {
	FUSE_OPT_KEY("-h", KEY_LIBFUSE),
	FUSE_OPT_KEY("--help", KEY_LIBFUSE),
	FUSE_OPT_KEY("-V", KEY_LIBFUSE),
	FUSE_OPT_KEY("--version", KEY_LIBFUSE),
	FUSE_OPT_KEY("-d", KEY_LIBFUSE),
	FUSE_OPT_KEY("-f", KEY_LIBFUSE),
	FUSE_OPT_KEY("-s", KEY_LIBFUSE),
	FUSE_OPT_KEY("max_threads=", KEY_MAX_THREADS),
	FUSE_OPT_KEY("max_idle_threads=", KEY_MAX_IDLE),
	FUSE_OPT_KEY("fsname=", KEY_FSNAME),
	FUSE_OPT_END
};

static void long_name(const struct lagfs_opt *opt, char buf[static 32])
{
	size_t i;

	snprintf(buf, 32, "--%s", opt->name);
	for (i = 2; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

struct templates {
	char text[ARRAY_SIZE(lagfs_opts) * SPELLINGS][40];
	struct fuse_opt opts[ARRAY_SIZE(lagfs_opts) * SPELLINGS +
			     ARRAY_SIZE(libfuse_opts)];
};

static void add_template(struct templates *t, size_t *n, const char *text,
			 int key)
{
	snprintf(t->text[*n], sizeof(t->text[*n]), "%s", text);
	t->opts[*n] = (struct fuse_opt)FUSE_OPT_KEY(t->text[*n], key);
	(*n)++;
}

static void build_templates(struct templates *t)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(lagfs_opts); i++) {
		int key = KEY_OWN + (int)(i * SPELLINGS);
		char name[32], text[40];

		long_name(&lagfs_opts[i], name);
		add_template(t, &n, name, key + LONG);
		snprintf(text, sizeof(text), "%s=", name);
		add_template(t, &n, text, key + LONG_EQ);
		snprintf(text, sizeof(text), "%s=", lagfs_opts[i].name);
		add_template(t, &n, text, key + O_EQ);
		add_template(t, &n, lagfs_opts[i].name, key + O_BARE);
	}
	memcpy(&t->opts[n], libfuse_opts, sizeof(libfuse_opts));
}

struct parse {
	struct options *o;
	const struct lagfs_opt *pending;   /* --NAME: its value comes next */
	const char *args[2];               /* BACKING_DIR MOUNTPOINT */
	int nargs;
	const char *extra;                 /* the first argument too many */
	bool max_threads_given, max_idle_given;
};

static void set_value(struct options *o, const struct lagfs_opt *opt,
		      const char *shown, const char *val)
{
	char **field = (char **)((char *)o + opt->field);

	if (opt->set) {
		opt->set(o, shown, val);
		return;
	}
	free(*field);
	*field = strdup(val);
	if (!*field)
		die_usage("out of memory");
}

static void set_flag(struct options *o, const struct lagfs_opt *opt)
{
	*(bool *)((char *)o + opt->field) = true;
}

/* One of lagfs's options, spelled one way; arg is the whole word. */
static void own_option(struct parse *p, int key, const char *arg)
{
	const struct lagfs_opt *opt = &lagfs_opts[(key - KEY_OWN) / SPELLINGS];
	enum spelling sp = (enum spelling)((key - KEY_OWN) % SPELLINGS);
	const char *eq = strchr(arg, '=');
	char shown[40];

	if (sp == LONG || sp == LONG_EQ)
		long_name(opt, shown);
	else
		snprintf(shown, sizeof(shown), "-o %s", opt->name);
	if (!opt->arg && eq)
		die_usage("option '%s' takes no value", shown);
	if (!opt->arg)
		set_flag(p->o, opt);
	else if (sp == LONG)
		p->pending = opt;
	else if (sp == O_BARE)
		die_usage("option '%s' needs a value (-o %s=%s)", shown,
			  opt->name, opt->arg);
	else
		set_value(p->o, opt, shown, eq + 1);
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct parse *p = data;

	(void)outargs;
	if (p->pending) {
		char shown[32];

		long_name(p->pending, shown);
		set_value(p->o, p->pending, shown, arg);
		p->pending = NULL;
		return 0;
	}
	if (key == FUSE_OPT_KEY_NONOPT) {
		if (p->nargs < 2)
			p->args[p->nargs++] = arg;
		else if (!p->extra)
			p->extra = arg;
		return 0;
	}
	if (key == FUSE_OPT_KEY_OPT && arg[0] == '-')
		die_usage("unknown option '%s' (try 'lagfs --help')", arg);
	p->max_threads_given |= key == KEY_MAX_THREADS;
	p->max_idle_given |= key == KEY_MAX_IDLE;
	p->o->fsname_given |= key == KEY_FSNAME;
	if (key < KEY_OWN)
		return 1; /* libfuse's, or a -o option for fuse_session_new */
	own_option(p, key, arg);
	return 0;
}

static void print_help_text(FILE *to, const char *text)
{
	for (const char *nl; (nl = strchr(text, '\n')); text = nl + 1)
		fprintf(to, "        %.*s\n", (int)(nl - text), text);
	fprintf(to, "        %s\n", text);
}

static void usage(FILE *to)
{
	fprintf(to, "usage: lagfs [OPTION]... BACKING_DIR MOUNTPOINT\n\n"
		"lagfs's options, each in two spellings (after -o, a comma or "
		"a backslash in\nVALUE takes a backslash: \\, \\\\):\n");
	for (size_t i = 0; i < ARRAY_SIZE(lagfs_opts); i++) {
		const struct lagfs_opt *opt = &lagfs_opts[i];
		char name[32];

		long_name(opt, name);
		if (opt->arg)
			fprintf(to, "  %s %s, -o %s=%s\n", name, opt->arg,
				opt->name, opt->arg);
		else
			fprintf(to, "  %s, -o %s\n", name, opt->name);
		print_help_text(to, opt->help);
	}
	fprintf(to,
"\nlibfuse's options:\n"
"  -f                     stay in the foreground\n"
"  -d, -o debug           debug output from libfuse (implies -f)\n"
"  -s                     single-threaded request loop\n"
"  -o max_threads=N       at most N threads answer requests (default %d)\n"
"  -o max_idle_threads=N  at most N of them stay when idle (default:\n"
"                         max_threads)\n"
"  -o clone_fd            a /dev/fuse descriptor for each thread\n"
"  -o OPT,...             mount and connection options as for any FUSE\n"
"                         filesystem: allow_other, max_background=N, ...\n"
"                         (see mount.fuse3(8))\n"
"  -h, --help             this text\n"
"  -V, --version          the version\n\n", LAGFS_LOOP_THREADS);
	rule_help(to);
}

static unsigned loop_threads(const char *name, unsigned n, unsigned min)
{
	if (n < min || n > MAX_LOOP_THREADS)
		die_usage("-o %s=%u: need a number from %u to %u", name, n,
			  min, MAX_LOOP_THREADS);
	return n;
}

/* What libfuse's fuse_parse_cmdline() found. */
static void take_cmdline(struct options *o, const struct parse *p,
			 struct fuse_cmdline_opts *cl)
{
	if (cl->show_help) {
		usage(stdout);
		exit(0);
	}
	if (cl->show_version) {
		printf("lagfs %s\n", LAG_VERSION);
		exit(0);
	}
	o->foreground = cl->foreground;
	o->debug = cl->debug;
	o->single_thread = cl->singlethread;
	o->clone_fd = cl->clone_fd;
	/*
	 * Handlers never block on a delay, so a few threads carry any load.
	 * As many may idle as may run: otherwise every burst starts threads
	 * and every lull ends them, and a 5 s fio run started up to 734.
	 */
	o->max_threads = p->max_threads_given
		? loop_threads("max_threads", cl->max_threads, 1)
		: LAGFS_LOOP_THREADS;
	o->max_idle_threads = p->max_idle_given
		? loop_threads("max_idle_threads", cl->max_idle_threads, 0)
		: o->max_threads;
	free(cl->mountpoint); /* none: lagfs took both arguments */
}

/*
 * BACKING_DIR MOUNTPOINT; or, with -o source=DIR, MOUNTPOINT alone, or
 * NAME MOUNTPOINT as fstests' mount helpers pass it (NAME is the name
 * fstests looks the mount up by: its fsname).
 */
static void take_arguments(struct options *o, const struct parse *p)
{
	if (p->extra)
		die_usage("unexpected argument '%s' (try 'lagfs --help')",
			  p->extra);
	if (p->nargs != 2 && !(o->source && p->nargs == 1))
		die_usage("need BACKING_DIR and MOUNTPOINT, or -o source=DIR "
			  "and MOUNTPOINT (try 'lagfs --help')");
	if (o->log_file && o->log_fd >= 0)
		die_usage("--log and --log-fd exclude each other");
	o->backing = strdup(o->source ? o->source : p->args[0]);
	o->mountpoint = strdup(p->args[p->nargs - 1]);
	if (o->source && p->nargs == 2)
		o->mount_name = strdup(p->args[0]);
	if (!o->backing || !o->mountpoint ||
	    (o->source && p->nargs == 2 && !o->mount_name))
		die_usage("out of memory");
}

void options_parse(int argc, char **argv, struct options *o)
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct parse p = { .o = o };
	struct fuse_cmdline_opts cl;
	struct templates t;

	*o = (struct options){ .log_fd = -1 };
	o->cli_rules = rule_set_new();
	if (!o->cli_rules)
		die_usage("out of memory");
	/* fuse_opt would say "missing argument after `-o'" */
	if (argc > 1 && !strcmp(argv[argc - 1], "-o"))
		die_usage("option '-o' needs an argument");
	build_templates(&t);
	/* On failure libfuse has said why, in one line. */
	if (fuse_opt_parse(&args, &p, t.opts, opt_proc) < 0)
		exit(2);
	if (p.pending) {
		char shown[32];

		long_name(p.pending, shown);
		die_usage("option '%s' needs an argument", shown);
	}
	if (fuse_parse_cmdline(&args, &cl) < 0)
		exit(2);
	take_cmdline(o, &p, &cl);
	take_arguments(o, &p);
	o->fuse_args = args;
}

void options_free(struct options *o)
{
	fuse_opt_free_args(&o->fuse_args);
	free(o->rules_file);
	free(o->log_file);
	free(o->control);
	free(o->control_arg);
	free(o->backing);
	free(o->mountpoint);
	free(o->source);
	free(o->mount_name);
}

char *options_absolute(const char *path)
{
	char cwd[PATH_MAX], *p;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)) || asprintf(&p, "%s/%s", cwd, path) < 0)
		return NULL;
	return p;
}

/* -o fsname=NAME for libfuse, which reads "\," as a comma and "\\" as a
 * backslash in a value. */
int options_name_mount(struct options *o, const char *name)
{
	char *opt = malloc(2 * strlen(name) + sizeof("-ofsname="));
	char *q;
	int r;

	if (!opt)
		return -1;
	q = opt + sprintf(opt, "-ofsname=");
	for (; *name; name++) {
		if (*name == ',' || *name == '\\')
			*q++ = '\\';
		*q++ = *name;
	}
	*q = '\0';
	r = fuse_opt_add_arg(&o->fuse_args, opt);
	free(opt);
	return r;
}
