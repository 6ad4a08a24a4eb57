/*
 * setup_hint: when lagfs cannot mount or a lane cannot make its namespaces,
 * say what on this machine stands in the way and what fixes it, in a few
 * words that follow the error on the same line. Each function looks at the
 * machine itself (the FUSE device, /proc/filesystems, the user-namespace
 * sysctls) and leaves out empty when it knows nothing to say. The paths are
 * parameters so that tests can point them elsewhere.
 */
#ifndef SETUP_HINT_H
#define SETUP_HINT_H

#include <stddef.h>

/* Why this process cannot open the FUSE device dev (normally /dev/fuse;
 * filesystems normally /proc/filesystems): the fuse module is not loaded,
 * the node is missing, or its mode keeps us out. */
void setup_hint_fuse(const char *dev, const char *filesystems, char *out,
		     size_t cap);

/* Why unshare(CLONE_NEWUSER) failed with err, from the sysctls under
 * sysctl_dir (normally /proc/sys): disabled, limited to 0, or restricted by
 * AppArmor; always ends by suggesting --fusermount. */
void setup_hint_userns(int err, const char *sysctl_dir, char *out,
		       size_t cap);

#endif
