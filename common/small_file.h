/*
 * small_file: the whole of a small file (/proc, /sys and config files),
 * read with one read(2) into a NUL-terminated buffer.
 */
#ifndef SMALL_FILE_H
#define SMALL_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Bytes read (at most cap - 1; buf is NUL-terminated), or -1 with errno
 * set when path cannot be opened or read. */
ssize_t small_file_read(const char *path, char *buf, size_t cap);

#endif
