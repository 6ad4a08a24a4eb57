/*
 * mountinfo: the mounts of our mount namespace, from /proc/self/mountinfo,
 * with the mount points' octal escapes (space, tab, newline, backslash)
 * undone.
 */
#ifndef MOUNTINFO_H
#define MOUNTINFO_H

/*
 * Call fn(mount_point, fstype, arg) for each mount, in the kernel's order,
 * until fn returns non-zero. Returns what fn returned last (0 when it ran
 * through), or -1 when mountinfo cannot be read (errno set).
 */
int mountinfo_each(int (*fn)(const char *point, const char *fstype,
			     void *arg), void *arg);

/* Undo mountinfo's \ooo escapes in place. */
void mountinfo_unescape(char *s);

#endif
