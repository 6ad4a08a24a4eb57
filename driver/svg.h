/*
 * svg: lagrace's timeline picture (--svg FILE), a standalone SVG file.
 *
 * For the first iteration: one horizontal lane per actor (the child, its
 * io-wq worker when the IO came from one, lagfs, lagrace) on a common time
 * axis in ms relative to the kill, with marks for the open, the IO's
 * arrival at lagfs, the kill, the FUSE_INTERRUPT, the reap, the first
 * unmount (EBUSY or ok), the hold's release, lagfs's answer to the IO, the
 * RELEASE, the moment the mount was free and the successful unmount; the
 * busy window shaded. Below it, for all iterations, the distribution of the
 * release's lateness after the reap (a histogram, or a strip of dots), with
 * the hit count.
 */
#ifndef SVG_H
#define SVG_H

#include "report.h"

/* 0, or -1 with a one-line message on stderr ("lagrace: --svg F: ..."). */
int svg_write(const char *path, const struct report *rp,
	      const struct summary *s);

#endif
