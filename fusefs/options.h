/*
 * options: lagfs's command line, parsed as any FUSE filesystem's is.
 *
 * libfuse's fuse_parse_cmdline() takes its own options: -h, -V, -d, -f,
 * -s, -o clone_fd, -o max_threads=N, -o max_idle_threads=N. lagfs's own
 * options are one table (options.c) that gives each its two spellings,
 * --rules FILE (or --rules=FILE) and -o rules=FILE, its --help line and its
 * check. A value given with -o takes libfuse's escapes: "\," is a comma
 * and "\\" a backslash. What neither knows stays in fuse_args for
 * fuse_session_new(), which refuses what it does not know either.
 *
 * Bad input ends the program with one line and exit status 2 (die_usage);
 * --help and --version print and exit 0.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>
#include <fuse_lowlevel.h>

#include "rules.h"

/* Request threads without -o max_threads (libfuse's default is 10). */
#define LAGFS_LOOP_THREADS 8

struct options {
	bool foreground, debug, single_thread, remount, no_xattr, clone_fd;
	unsigned max_threads, max_idle_threads;   /* of the request loop */
	struct fuse_args fuse_args;    /* for fuse_session_new() */
	struct rule_set *cli_rules;    /* --rule, in order */
	char *rules_file;
	char *log_file;
	int log_fd;                    /* -1: none */
	char *control;                 /* absolute: the daemon leaves the cwd */
	char *control_arg;             /* as given, for messages */
	char *backing, *mountpoint;    /* as given */
	char *source;                  /* -o source=DIR, or NULL */
	char *mount_name;              /* NAME of NAME MOUNTPOINT with source=,
					* or NULL: the mount's default fsname */
	bool fsname_given;             /* -o fsname=: leave it to libfuse */
	unsigned workers;              /* 0: the default */
};

/* Fill o from the command line, or exit (see above). */
void options_parse(int argc, char **argv, struct options *o);

/* Free what options_parse allocated (not cli_rules: lagfs keeps it). */
void options_free(struct options *o);

/*
 * Name the mount NAME (its source in /proc/mounts, what umount(8) and
 * findmnt -S take): -o fsname=NAME for fuse_session_new(). 0, or -1 out
 * of memory.
 */
int options_name_mount(struct options *o, const char *name);

/* A path made absolute against the cwd, malloc'd; NULL with errno set. */
char *options_absolute(const char *path);

#endif
