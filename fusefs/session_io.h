/*
 * session_io: lagfs reads /dev/fuse itself (libfuse's custom IO hook) for one
 * reason: libfuse 3.14 does not expose a request's unique id, which the event
 * log promises. The read hook remembers the id of the request the calling
 * loop thread just read; libfuse then handles it on that same thread.
 */
#ifndef SESSION_IO_H
#define SESSION_IO_H

#include <stdint.h>
#include <fuse_lowlevel.h>

/* Install the hook on a mounted session. 0 or -1 with errno set. */
int session_io_install(struct fuse_session *se);

/* The unique id of the request this thread is handling (0 if none). */
uint64_t session_io_unique(void);

#endif
