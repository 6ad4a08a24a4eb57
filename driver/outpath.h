/*
 * outpath: the files lagrace writes after a run (--json, --svg) are
 * checked before the first iteration, so that a path it cannot write is a
 * usage error at once, not a failure after the whole run (with --bisect,
 * a skipped bisect step).
 */
#ifndef OUTPATH_H
#define OUTPATH_H

#include <stddef.h>

/* 0 if path can be written (created, or opened for writing; nothing of
 * an existing file changes, a file it had to create is removed again),
 * else -1 with the reason (strerror) in err. */
int outpath_check(const char *path, char *err, size_t errlen);

#endif
