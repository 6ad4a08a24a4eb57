/*
 * tracefs: the kernel's tracing filesystem, for lagrace's instance
 * (instances/lagrace-PID) and for `lagrace cleanup`. It promises to leave
 * no mount behind: tracefs_open() makes a mount of its own that is in no
 * mount namespace at all (fsopen and fsmount, never attached: it goes with
 * its descriptor), and only where that is refused uses a mount that is
 * already there (/sys/kernel/tracing, /sys/kernel/debug/tracing). The
 * instances are the kernel's, whichever mount shows them.
 *
 * Every path is relative to a directory descriptor (the root, or an
 * instance), so the callers never depend on where tracefs is mounted.
 */
#ifndef TRACEFS_H
#define TRACEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The root of tracefs: a descriptor (O_CLOEXEC), or -1 with the reason in
 * why ("needs root", "tracefs: ...: No such device"). */
int tracefs_open(char *why, size_t cap);

/* Write text to a control file: truncating it (filter, enable, trigger:
 * a truncated trigger file drops the event's triggers), or appending
 * (kprobe_events: truncating it would remove every kprobe event of the
 * system). 0, or -1 with errno set. */
int tracefs_write(int dir, const char *path, const char *text);
int tracefs_append(int dir, const char *path, const char *text);
/* The file's text, NUL-terminated (at most cap - 1 bytes): its length,
 * or -1 with errno set. */
ssize_t tracefs_read(int dir, const char *path, char *buf, size_t cap);
bool tracefs_has(int dir, const char *path);

/* An instance's name for lagrace PID, and the group of its kprobe
 * events (a kprobe group must be an identifier). */
#define TRACEFS_INSTANCE_FMT "lagrace-%ld"
#define TRACEFS_KPROBE_GROUP_FMT "lagrace_%ld"

/* Remove lagrace PID's instance (its triggers first, then its events
 * off, then the directory) and its kprobe events. 0, or -1 with what
 * failed in why. An instance that is not there is not an error. */
int tracefs_remove_run(int root, long pid, char *why, size_t cap);

#endif
