#include "inode_table.h"
#include "xpthread.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct inode_table {
	pthread_mutex_t lock;
	struct lag_inode root;
	struct lag_inode **buckets;
	size_t nbuckets;        /* power of two */
	size_t count;
	atomic_uint_fast64_t *numbers;
};

static size_t bucket_of(const struct inode_table *t, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (size_t)(h ^ (h >> 29)) & (t->nbuckets - 1);
}

struct inode_table *inode_table_new(int root_fd,
				    atomic_uint_fast64_t *numbers)
{
	struct inode_table *t = calloc(1, sizeof(*t));
	struct stat st;

	if (!t)
		return NULL;
	if (fstat(root_fd, &st) < 0)
		goto fail;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets)
		goto fail;
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		goto fail;
	t->root.fd = root_fd;
	t->root.dev = st.st_dev;
	t->root.ino = st.st_ino;
	t->root.type = S_IFDIR;
	t->root.num = FUSE_ROOT_ID;
	t->numbers = numbers;
	t->root.nlookup = 2;
	return t;
fail:
	free(t->buckets);
	free(t);
	return NULL;
}

void inode_table_free(struct inode_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct lag_inode *in = t->buckets[i], *next;

		for (; in; in = next) {
			next = in->next;
			close(in->fd);
			free(in->name);
			free(in);
		}
	}
	close(t->root.fd);
	pthread_mutex_destroy(&t->lock);
	free(t->buckets);
	free(t);
}

struct lag_inode *inode_table_get(struct inode_table *t, fuse_ino_t ino)
{
	if (ino == FUSE_ROOT_ID)
		return &t->root;
	return (struct lag_inode *)(uintptr_t)ino;
}

fuse_ino_t inode_table_ino(struct inode_table *t, struct lag_inode *in)
{
	return in == &t->root ? FUSE_ROOT_ID : (fuse_ino_t)(uintptr_t)in;
}

int inode_table_root_fd(struct inode_table *t)
{
	return t->root.fd;
}

/* Doubling keeps chains short with millions of inodes (fsstress, git). */
static void grow(struct inode_table *t)
{
	size_t n = t->nbuckets * 2;
	struct lag_inode **b = calloc(n, sizeof(*b));
	struct lag_inode **old = t->buckets;
	size_t oldn = t->nbuckets;

	if (!b)
		return; /* longer chains, still correct */
	t->buckets = b;
	t->nbuckets = n;
	for (size_t i = 0; i < oldn; i++) {
		struct lag_inode *in = old[i], *next;

		for (; in; in = next) {
			size_t k = bucket_of(t, in->dev, in->ino);

			next = in->next;
			in->next = b[k];
			b[k] = in;
		}
	}
	free(old);
}

/* The inode (dev, ino), or NULL. Locked. */
static struct lag_inode *find(struct inode_table *t, dev_t dev, ino_t ino)
{
	struct lag_inode *in;

	if (dev == t->root.dev && ino == t->root.ino)
		return &t->root;
	for (in = t->buckets[bucket_of(t, dev, ino)]; in; in = in->next)
		if (in->dev == dev && in->ino == ino)
			return in;
	return NULL;
}

struct lag_inode *inode_table_ref(struct inode_table *t, int fd,
				  const struct stat *st)
{
	struct lag_inode *in;
	size_t k;

	xmutex_lock(&t->lock);
	in = find(t, st->st_dev, st->st_ino);
	if (in) {
		in->nlookup++;
		xmutex_unlock(&t->lock);
		close(fd);
		return in;
	}
	k = bucket_of(t, st->st_dev, st->st_ino);
	in = calloc(1, sizeof(*in));
	if (!in) {
		xmutex_unlock(&t->lock);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	in->fd = fd;
	in->dev = st->st_dev;
	in->ino = st->st_ino;
	in->type = st->st_mode & S_IFMT;
	in->num = atomic_fetch_add(t->numbers, 1) + 1;
	in->nlookup = 1;
	in->next = t->buckets[k];
	t->buckets[k] = in;
	if (++t->count > t->nbuckets)
		grow(t);
	xmutex_unlock(&t->lock);
	return in;
}

void inode_table_forget(struct inode_table *t, struct lag_inode *in,
			uint64_t n)
{
	struct lag_inode **pp;

	xmutex_lock(&t->lock);
	in->nlookup = n >= in->nlookup ? 0 : in->nlookup - n;
	if (in->nlookup || in == &t->root) {
		xmutex_unlock(&t->lock);
		return;
	}
	for (pp = &t->buckets[bucket_of(t, in->dev, in->ino)]; *pp;
	     pp = &(*pp)->next) {
		if (*pp == in) {
			*pp = in->next;
			break;
		}
	}
	t->count--;
	xmutex_unlock(&t->lock);
	close(in->fd);
	free(in->name);
	free(in);
}

/* Set the hint of in, or of the inode (dev, ino) when in is NULL. */
static void set_seen(struct inode_table *t, struct lag_inode *in, dev_t dev,
		     ino_t ino, const struct lag_inode *parent,
		     const char *name)
{
	char *copy = NULL, *old = NULL;
	struct lag_inode *target;
	bool same;

	xmutex_lock(&t->lock);
	target = in ? in : find(t, dev, ino);
	same = !target || target == &t->root ||
	       (target->name && target->pdev == parent->dev &&
		target->pino == parent->ino && !strcmp(target->name, name));
	xmutex_unlock(&t->lock);
	/* Lookups of a known name are the common case: no allocation. */
	if (same || !(copy = strdup(name)))
		return;
	xmutex_lock(&t->lock);
	/* Without in, the inode may have been forgotten meanwhile. */
	target = in ? in : find(t, dev, ino);
	if (target && target != &t->root) {
		old = target->name;
		target->name = copy;
		target->pdev = parent->dev;
		target->pino = parent->ino;
		copy = NULL;
	}
	xmutex_unlock(&t->lock);
	free(old);
	free(copy);
}

void inode_table_seen(struct inode_table *t, struct lag_inode *in,
		      const struct lag_inode *parent, const char *name)
{
	set_seen(t, in, 0, 0, parent, name);
}

void inode_table_moved(struct inode_table *t, const struct stat *st,
		       const struct lag_inode *parent, const char *name)
{
	set_seen(t, NULL, st->st_dev, st->st_ino, parent, name);
}

int inode_table_seen_as(struct inode_table *t, struct lag_inode *in,
			dev_t *pdev, ino_t *pino, char **name)
{
	xmutex_lock(&t->lock);
	*name = in->name ? strdup(in->name) : NULL;
	*pdev = in->pdev;
	*pino = in->pino;
	xmutex_unlock(&t->lock);
	return *name ? 0 : -1;
}

int inode_table_dup_fd(struct inode_table *t, dev_t dev, ino_t ino)
{
	struct lag_inode *in;
	int fd = -1;

	xmutex_lock(&t->lock);
	in = find(t, dev, ino);
	if (in)
		fd = fcntl(in->fd, F_DUPFD_CLOEXEC, 0);
	xmutex_unlock(&t->lock);
	return fd;
}

size_t inode_table_count(struct inode_table *t)
{
	size_t n;

	xmutex_lock(&t->lock);
	n = t->count;
	xmutex_unlock(&t->lock);
	return n;
}
