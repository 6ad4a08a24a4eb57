/*
 * deep_path: name a directory below the backing directory when /proc
 * cannot. readlink(/proc/self/fd/N) fails with ENAMETOOLONG once a file's
 * absolute path reaches PATH_MAX, though the path below the backing
 * directory (what the event log and path= rules use) may be shorter, and
 * deeper trees are legal anyway.
 *
 * The walk goes up through ".." one directory at a time and finds each
 * one's name in its parent by inode number, as getcwd() did before the
 * kernel had it. It costs a directory scan per level, so lagfs uses it only
 * when /proc fails.
 */
#ifndef DEEP_PATH_H
#define DEEP_PATH_H

#include <sys/types.h>

/*
 * The path of directory dirfd (any descriptor of it, O_PATH is enough)
 * below the directory (root_dev, root_ino): "/" for that directory itself,
 * else "/a/b/c", of any length, malloc'd. NULL with errno set if dirfd is
 * not below it (ENOENT) or a step fails.
 */
char *deep_path_dir(int dirfd, dev_t root_dev, ino_t root_ino);

#endif
