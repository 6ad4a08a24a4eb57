/* mount_check: is something already mounted at a directory? (from
 * /proc/self/mountinfo, whose mount points escape space, tab, newline and
 * backslash as octal) */
#ifndef MOUNT_CHECK_H
#define MOUNT_CHECK_H

#include <stdbool.h>

/* path must be a realpath. */
bool mount_check_mounted(const char *path);

#endif
