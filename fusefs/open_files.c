#include "open_files.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lag_event.h"
#include "xpthread.h"

int open_files_init(struct open_files *of)
{
	of->head.prev = of->head.next = &of->head;
	of->count = 0;
	return pthread_mutex_init(&of->lock, NULL) ? -1 : 0;
}

static void file_free(struct lag_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}

void open_files_destroy(struct open_files *of)
{
	struct lag_file *f, *next;

	for (f = of->head.next; f != &of->head; f = next) {
		next = f->next;
		file_free(f);
	}
	of->head.prev = of->head.next = &of->head;
	pthread_mutex_destroy(&of->lock);
}

struct lag_file *open_files_add(struct open_files *of, int fd, uint64_t num,
				uint64_t ino, int flags, int64_t pid,
				char *path)
{
	struct lag_file *f = calloc(1, sizeof(*f));

	if (!f) {
		free(path);
		errno = ENOMEM;
		return NULL;
	}
	f->h.num = num;
	f->fd = fd;
	f->ino = ino;
	f->flags = flags;
	f->pid = pid;
	f->path = path;
	f->open_t_ns = lag_now_ns();
	xmutex_lock(&of->lock);
	f->next = &of->head;
	f->prev = of->head.prev;
	of->head.prev->next = f;
	of->head.prev = f;
	of->count++;
	xmutex_unlock(&of->lock);
	return f;
}

void open_files_remove(struct open_files *of, struct lag_file *f)
{
	xmutex_lock(&of->lock);
	f->prev->next = f->next;
	f->next->prev = f->prev;
	of->count--;
	xmutex_unlock(&of->lock);
	file_free(f);
}

void open_files_each(struct open_files *of,
		     void (*fn)(struct lag_file *f, void *arg), void *arg)
{
	xmutex_lock(&of->lock);
	for (struct lag_file *f = of->head.next; f != &of->head; f = f->next)
		fn(f, arg);
	xmutex_unlock(&of->lock);
}
