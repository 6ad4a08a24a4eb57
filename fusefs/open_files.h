/*
 * open_files: every file lagfs has opened for the kernel and not yet been
 * asked to release. The file handle (fh) the kernel holds is the address of
 * the struct lag_file; at exit, whatever is still here is an open that never
 * got its RELEASE, and lagfs reports each one.
 *
 * The event log names an open file (or directory) by a small number
 * instead of that address: struct lag_handle, first in both records, so the
 * number can be read from an fh without knowing which kind it is.
 */
#ifndef OPEN_FILES_H
#define OPEN_FILES_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

struct lag_handle {
	uint64_t num;           /* for the log: 1, 2, ... never reused */
};

struct lag_file {
	struct lag_handle h;    /* first: see lag_handle_num() */
	int fd;
	uint64_t ino;           /* the inode's number in the log */
	int flags;              /* open(2) flags */
	int64_t pid;            /* who opened it */
	uint64_t open_t_ns;
	char *path;             /* below the mount root, "/..." (may be NULL) */
	struct lag_file *prev, *next;
};

struct open_files {
	pthread_mutex_t lock;
	struct lag_file head;   /* circular list sentinel */
	uint64_t count;
};

int open_files_init(struct open_files *of);
void open_files_destroy(struct open_files *of); /* frees what is left */

/* A new file record (fd, path taken over), linked in. NULL on ENOMEM.
 * num and ino are its handle's and inode's numbers in the log. */
struct lag_file *open_files_add(struct open_files *of, int fd, uint64_t num,
				uint64_t ino, int flags, int64_t pid,
				char *path);
/* Unlink, close fd, free. */
void open_files_remove(struct open_files *of, struct lag_file *f);

static inline struct lag_file *lag_file_of(uint64_t fh)
{
	return (struct lag_file *)(uintptr_t)fh;
}

static inline uint64_t lag_file_fh(const struct lag_file *f)
{
	return (uint64_t)(uintptr_t)f;
}

/* The log's number of the handle fh (a lag_file's or a directory's). */
static inline uint64_t lag_handle_num(uint64_t fh)
{
	return ((const struct lag_handle *)(uintptr_t)fh)->num;
}

/* Call fn for every open file, under the lock. */
void open_files_each(struct open_files *of,
		     void (*fn)(struct lag_file *f, void *arg), void *arg);

#endif
