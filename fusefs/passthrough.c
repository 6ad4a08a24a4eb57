/*
 * The FUSE low-level operations: a passthrough of the backing directory in
 * the manner of libfuse's passthrough_ll. Each handler packs its arguments
 * into a struct lag_call and dispatches it (park.h); each serve_* function
 * does the real work, logs with call_log() and then replies: logging
 * first keeps the log in the order the kernel saw the answers (a release
 * can follow an open's reply at once) and the request still valid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "daemon.h"
#include "lagfs.h"
#include "park.h"
#include "xpthread.h"

struct lag_dir {
	struct lag_handle h;    /* first: see lag_handle_num() */
	DIR *dp;
	struct dirent *entry;
	off_t offset;
};

static struct lagfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct lag_inode *inode_of(struct lag_call *c, fuse_ino_t ino)
{
	return inode_table_get(c->fs->inodes, ino);
}

static int fd_of(struct lag_call *c, fuse_ino_t ino)
{
	return inode_of(c, ino)->fd;
}

/* /proc/self/fd/N: reopen an O_PATH descriptor with real access modes. */
static void proc_path(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

static void reply_err(struct lag_call *c, int err)
{
	call_log(c, -err);
	fuse_reply_err(c->req, err);
}

/* A request for size bytes at off of an open file or directory. */
static void dispatch_range(fuse_req_t req, enum lag_op op, fuse_ino_t ino,
			   size_t size, off_t off, struct fuse_file_info *fi,
			   lag_serve_fn serve)
{
	struct lag_call c = { .req = req, .op = op, .ino = ino, .size = size,
			      .off = off, .fi = *fi, .has_fi = true };

	call_dispatch(&c, serve);
}

/* A request on an open file or directory that carries nothing else. */
static void dispatch_fi(fuse_req_t req, enum lag_op op, fuse_ino_t ino,
			struct fuse_file_info *fi, lag_serve_fn serve)
{
	dispatch_range(req, op, ino, 0, 0, fi, serve);
}

/* ".." and "." at the root name the root: nothing escapes the backing dir. */
static bool names_root(struct lag_call *c, fuse_ino_t parent,
		       const char *name)
{
	return inode_of(c, parent) == inode_table_get(c->fs->inodes,
						      FUSE_ROOT_ID) &&
	       (!strcmp(name, "..") || !strcmp(name, "."));
}

static int do_lookup(struct lag_call *c, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct lag_inode *in;
	bool root = names_root(c, parent, name);
	int fd;

	memset(e, 0, sizeof(*e));
	e->attr_timeout = e->entry_timeout = c->fs->timeout;
	if (root)
		name = ".";
	fd = openat(fd_of(c, parent), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (fstatat(fd, "", &e->attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) <
	    0) {
		int err = errno;

		close(fd);
		return err;
	}
	in = inode_table_ref(c->fs->inodes, fd, &e->attr);
	if (!in)
		return ENOMEM;
	if (!root)
		inode_table_seen(c->fs->inodes, in, inode_of(c, parent), name);
	e->ino = inode_table_ino(c->fs->inodes, in);
	return 0;
}

static void reply_entry(struct lag_call *c, fuse_ino_t parent,
			const char *name)
{
	struct fuse_entry_param e;
	int err = do_lookup(c, parent, name, &e);

	if (err) {
		reply_err(c, err);
		return;
	}
	call_log(c, 0);
	fuse_reply_entry(c->req, &e);
}

static void serve_lookup(struct lag_call *c)
{
	reply_entry(c, c->ino, c->name);
}

static void lag_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lag_call c = { .req = req, .op = LAG_OP_LOOKUP, .ino = parent,
			      .name = name };

	call_dispatch(&c, serve_lookup);
}

static void lag_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct lagfs *fs = fs_of(req);

	inode_table_forget(fs->inodes, inode_table_get(fs->inodes, ino),
			   nlookup);
	fuse_reply_none(req);
}

static void lag_forget_multi(fuse_req_t req, size_t count,
			     struct fuse_forget_data *forgets)
{
	struct lagfs *fs = fs_of(req);

	for (size_t i = 0; i < count; i++)
		inode_table_forget(fs->inodes,
				   inode_table_get(fs->inodes, forgets[i].ino),
				   forgets[i].nlookup);
	fuse_reply_none(req);
}

static int stat_inode(struct lag_call *c, fuse_ino_t ino, struct stat *st)
{
	if (fstatat(fd_of(c, ino), "", st,
		    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	return 0;
}

static void reply_attr(struct lag_call *c)
{
	struct stat st;
	int err = stat_inode(c, c->ino, &st);

	if (err) {
		reply_err(c, err);
		return;
	}
	call_log(c, 0);
	fuse_reply_attr(c->req, &st, c->fs->timeout);
}

static void serve_getattr(struct lag_call *c)
{
	reply_attr(c);
}

static void lag_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = LAG_OP_GETATTR, .ino = ino };

	(void)fi;
	call_dispatch(&c, serve_getattr);
}

static int set_times(struct lag_call *c, int fd, int path_fd)
{
	struct timespec tv[2] = { { .tv_nsec = UTIME_OMIT },
				  { .tv_nsec = UTIME_OMIT } };

	if (c->to_set & FUSE_SET_ATTR_ATIME_NOW)
		tv[0].tv_nsec = UTIME_NOW;
	else if (c->to_set & FUSE_SET_ATTR_ATIME)
		tv[0] = c->attr.st_atim;
	if (c->to_set & FUSE_SET_ATTR_MTIME_NOW)
		tv[1].tv_nsec = UTIME_NOW;
	else if (c->to_set & FUSE_SET_ATTR_MTIME)
		tv[1] = c->attr.st_mtim;
	if (fd >= 0)
		return futimens(fd, tv);
	/* AT_EMPTY_PATH (Linux 5.8+) also sets a symlink's own times. */
	return utimensat(path_fd, "", tv, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

static int apply_setattr(struct lag_call *c)
{
	struct lag_inode *in = inode_of(c, c->ino);
	int fd = c->has_fi ? lag_file_of(c->fi.fh)->fd : -1;
	int set = c->to_set;
	char proc[32];

	proc_path(in->fd, proc);
	if (set & FUSE_SET_ATTR_MODE) {
		if ((fd >= 0 ? fchmod(fd, c->attr.st_mode)
			     : fchmodat(AT_FDCWD, proc, c->attr.st_mode, 0)) < 0)
			return errno;
	}
	if (set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = set & FUSE_SET_ATTR_UID ? c->attr.st_uid
						    : (uid_t)-1;
		gid_t gid = set & FUSE_SET_ATTR_GID ? c->attr.st_gid
						    : (gid_t)-1;

		if (fchownat(in->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return errno;
	}
	if (set & FUSE_SET_ATTR_SIZE) {
		if ((fd >= 0 ? ftruncate(fd, c->attr.st_size)
			     : truncate(proc, c->attr.st_size)) < 0)
			return errno;
	}
	if (set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
		   FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) {
		if (set_times(c, fd, in->fd) < 0)
			return errno;
	}
	return 0;
}

static void serve_setattr(struct lag_call *c)
{
	int err = apply_setattr(c);

	if (err)
		reply_err(c, err);
	else
		reply_attr(c);
}

static void lag_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			int to_set, struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = LAG_OP_SETATTR, .ino = ino,
			      .attr = *attr, .to_set = to_set,
			      .has_fi = fi != NULL };

	if (fi)
		c.fi = *fi;
	call_dispatch(&c, serve_setattr);
}

static void serve_readlink(struct lag_call *c)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlinkat(fd_of(c, c->ino), "", buf, sizeof(buf));

	if (n < 0) {
		reply_err(c, errno);
		return;
	}
	if (n == sizeof(buf)) {
		reply_err(c, ENAMETOOLONG);
		return;
	}
	buf[n] = '\0';
	call_log(c, 0);
	fuse_reply_readlink(c->req, buf);
}

static void lag_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct lag_call c = { .req = req, .op = LAG_OP_READLINK, .ino = ino };

	call_dispatch(&c, serve_readlink);
}

/*
 * mknod, mkdir and symlink: make the node as its caller (caller_creds.h),
 * then answer as a lookup.
 */
static void serve_make_node(struct lag_call *c)
{
	int dfd = fd_of(c, c->ino);
	bool switched;
	int err = caller_creds_begin(&c->fs->creds, c->req, &switched);

	if (err) {
		reply_err(c, err);
		return;
	}
	if (c->op == LAG_OP_MKDIR)
		err = mkdirat(dfd, c->name, c->mode);
	else if (c->op == LAG_OP_SYMLINK)
		err = symlinkat(c->link, dfd, c->name);
	else
		err = mknodat(dfd, c->name, c->mode, c->rdev);
	err = err < 0 ? errno : 0;
	caller_creds_end(&c->fs->creds, switched);
	if (err) {
		reply_err(c, err);
		return;
	}
	reply_entry(c, c->ino, c->name);
}

static void lag_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode, dev_t rdev)
{
	struct lag_call c = { .req = req, .op = LAG_OP_MKNOD, .ino = parent,
			      .name = name, .mode = mode, .rdev = rdev };

	call_dispatch(&c, serve_make_node);
}

static void lag_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
		      mode_t mode)
{
	struct lag_call c = { .req = req, .op = LAG_OP_MKDIR, .ino = parent,
			      .name = name, .mode = mode };

	call_dispatch(&c, serve_make_node);
}

static void lag_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
			const char *name)
{
	struct lag_call c = { .req = req, .op = LAG_OP_SYMLINK, .ino = parent,
			      .name = name, .link = link };

	call_dispatch(&c, serve_make_node);
}

static void serve_unlink(struct lag_call *c)
{
	int flags = c->op == LAG_OP_RMDIR ? AT_REMOVEDIR : 0;

	if (unlinkat(fd_of(c, c->ino), c->name, flags) < 0)
		reply_err(c, errno);
	else
		reply_err(c, 0);
}

static void lag_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lag_call c = { .req = req, .op = LAG_OP_UNLINK, .ino = parent,
			      .name = name };

	call_dispatch(&c, serve_unlink);
}

static void lag_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lag_call c = { .req = req, .op = LAG_OP_RMDIR, .ino = parent,
			      .name = name };

	call_dispatch(&c, serve_unlink);
}

/* A renamed file keeps its inode but not its name: tell the table. */
static void note_moved(struct lag_call *c, fuse_ino_t dir, const char *name)
{
	struct stat st;

	if (fstatat(fd_of(c, dir), name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		inode_table_moved(c->fs->inodes, &st, inode_of(c, dir), name);
}

static void serve_rename(struct lag_call *c)
{
	if (renameat2(fd_of(c, c->ino), c->name, fd_of(c, c->newparent),
		      c->newname, c->flags) < 0) {
		reply_err(c, errno);
		return;
	}
	note_moved(c, c->newparent, c->newname);
	if (c->flags & RENAME_EXCHANGE)
		note_moved(c, c->ino, c->name);
	reply_err(c, 0);
}

static void lag_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		       fuse_ino_t newparent, const char *newname,
		       unsigned int flags)
{
	struct lag_call c = { .req = req, .op = LAG_OP_RENAME, .ino = parent,
			      .name = name, .newparent = newparent,
			      .newname = newname, .flags = (int)flags };

	call_dispatch(&c, serve_rename);
}

static void serve_link(struct lag_call *c)
{
	char proc[32];

	/* Through /proc, because AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH. */
	proc_path(fd_of(c, c->ino), proc);
	if (linkat(AT_FDCWD, proc, fd_of(c, c->newparent), c->newname,
		   AT_SYMLINK_FOLLOW) < 0) {
		reply_err(c, errno);
		return;
	}
	reply_entry(c, c->newparent, c->newname);
}

static void lag_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		     const char *newname)
{
	struct lag_call c = { .req = req, .op = LAG_OP_LINK, .ino = ino,
			      .newparent = newparent, .newname = newname };

	call_dispatch(&c, serve_link);
}

/*
 * Backing files are opened without O_DIRECT: FUSE's buffers are not
 * aligned for it, and some filesystems (tmpfs) refuse it. The application's
 * O_DIRECT still shapes the FUSE requests, which is what matters here.
 */
static int open_backing(int dirfd, const char *name, int flags, mode_t mode)
{
	return openat(dirfd, name, (flags & ~O_DIRECT) | O_CLOEXEC, mode);
}

/*
 * The opener was interrupted before our answer reached it: the kernel will
 * never release this handle. The open is already in the log, so log the
 * release too and keep the log's open/release pairs whole.
 */
static void drop_unanswered(struct lag_call *c)
{
	struct lag_call rel = *c;

	rel.op = LAG_OP_RELEASE;
	rel.path = NULL;
	call_log(&rel, -ENOENT);
	free(rel.path);
	open_files_remove(&c->fs->files, lag_file_of(c->fi.fh));
}

/* Register an opened descriptor as a file handle and set its cache mode. */
static struct lag_file *new_file(struct lag_call *c, int fd, fuse_ino_t ino)
{
	struct lagfs *fs = c->fs;
	const char *path = NULL;
	struct lag_file *f;

	if (fs->log || atomic_load(&fs->op_mask))
		path = call_path(c);
	f = open_files_add(&fs->files, fd,
			   atomic_fetch_add(&fs->handle_numbers, 1) + 1,
			   inode_of(c, ino)->num, c->fi.flags,
			   fuse_req_ctx(c->req)->pid,
			   path ? strdup(path) : NULL);
	if (!f)
		return NULL;
	c->fh_num = f->h.num;
	c->ino_num = f->ino;
	xrwlock_rdlock(&fs->rules_lock);
	c->fi.direct_io = rule_set_direct_io(fs->rules, c->op, path);
	xrwlock_unlock(&fs->rules_lock);
	c->fi.fh = lag_file_fh(f);
	atomic_fetch_add(&fs->n.opens, 1);
	return f;
}

static void serve_open(struct lag_call *c)
{
	char proc[32];
	int fd;

	proc_path(fd_of(c, c->ino), proc);
	fd = open_backing(AT_FDCWD, proc, c->fi.flags & ~O_NOFOLLOW, 0);
	if (fd < 0) {
		reply_err(c, errno);
		return;
	}
	if (!new_file(c, fd, c->ino)) {
		close(fd);
		reply_err(c, ENOMEM);
		return;
	}
	call_log(c, 0);
	if (fuse_reply_open(c->req, &c->fi) != 0)
		drop_unanswered(c);
}

static void lag_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	dispatch_fi(req, LAG_OP_OPEN, ino, fi, serve_open);
}

static void serve_create(struct lag_call *c)
{
	struct fuse_entry_param e;
	bool switched;
	int fd, err;

	err = caller_creds_begin(&c->fs->creds, c->req, &switched);
	if (err) {
		reply_err(c, err);
		return;
	}
	/* O_NOFOLLOW: a symlink planted at the name in the backing dir since
	 * the kernel looked it up must not make us create outside it. */
	fd = open_backing(fd_of(c, c->ino), c->name,
			  c->fi.flags | O_CREAT | O_NOFOLLOW, c->mode);
	err = fd < 0 ? errno : 0;
	caller_creds_end(&c->fs->creds, switched);
	if (err) {
		reply_err(c, err);
		return;
	}
	err = do_lookup(c, c->ino, c->name, &e);
	if (err) {
		close(fd);
		reply_err(c, err);
		return;
	}
	if (!new_file(c, fd, e.ino)) {
		close(fd);
		inode_table_forget(c->fs->inodes, inode_of(c, e.ino), 1);
		reply_err(c, ENOMEM);
		return;
	}
	call_log(c, 0);
	if (fuse_reply_create(c->req, &e, &c->fi) != 0) {
		inode_table_forget(c->fs->inodes, inode_of(c, e.ino), 1);
		drop_unanswered(c);
	}
}

static void lag_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		       mode_t mode, struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = LAG_OP_CREATE, .ino = parent,
			      .name = name, .mode = mode, .fi = *fi,
			      .has_fi = true };

	call_dispatch(&c, serve_create);
}

static void serve_read(struct lag_call *c)
{
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(c->size);

	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = lag_file_of(c->fi.fh)->fd;
	buf.buf[0].pos = c->off;
	/* A failed read is answered as an error by reply_data itself; the
	 * log says what lagfs answered, 0 meaning "data". */
	call_log(c, 0);
	fuse_reply_data(c->req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void lag_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	dispatch_range(req, LAG_OP_READ, ino, size, off, fi, serve_read);
}

static void serve_write(struct lag_call *c)
{
	size_t n = fuse_buf_size(c->in_buf);
	struct fuse_bufvec out = FUSE_BUFVEC_INIT(n);
	ssize_t res;

	out.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	out.buf[0].fd = lag_file_of(c->fi.fh)->fd;
	out.buf[0].pos = c->off;
	res = fuse_buf_copy(&out, c->in_buf, 0);
	if (res < 0) {
		reply_err(c, (int)-res);
		return;
	}
	call_log(c, 0);
	fuse_reply_write(c->req, (size_t)res);
}

static void lag_write_buf(fuse_req_t req, fuse_ino_t ino,
			  struct fuse_bufvec *in_buf, off_t off,
			  struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = LAG_OP_WRITE, .ino = ino,
			      .in_buf = in_buf, .off = off, .fi = *fi,
			      .has_fi = true };

	call_dispatch(&c, serve_write);
}

static void serve_flush(struct lag_call *c)
{
	/* close() of a dup flushes like the application's close would. */
	int fd = dup(lag_file_of(c->fi.fh)->fd);

	if (fd < 0 || close(fd) < 0)
		reply_err(c, errno);
	else
		reply_err(c, 0);
}

static void lag_flush(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	dispatch_fi(req, LAG_OP_FLUSH, ino, fi, serve_flush);
}

static void serve_release(struct lag_call *c)
{
	/* The path goes with the file record; the event needs it first. */
	call_path(c);
	open_files_remove(&c->fs->files, lag_file_of(c->fi.fh));
	atomic_fetch_add(&c->fs->n.releases, 1);
	reply_err(c, 0);
}

static void lag_release(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	dispatch_fi(req, LAG_OP_RELEASE, ino, fi, serve_release);
}

static void serve_fsync(struct lag_call *c)
{
	int fd = c->op == LAG_OP_FSYNCDIR
			 ? dirfd(((struct lag_dir *)(uintptr_t)c->fi.fh)->dp)
			 : lag_file_of(c->fi.fh)->fd;
	int res = c->flags ? fdatasync(fd) : fsync(fd);

	reply_err(c, res < 0 ? errno : 0);
}

static void dispatch_fsync(fuse_req_t req, enum lag_op op, fuse_ino_t ino,
			   int datasync, struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = op, .ino = ino,
			      .flags = datasync, .fi = *fi, .has_fi = true };

	call_dispatch(&c, serve_fsync);
}

static void lag_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		      struct fuse_file_info *fi)
{
	dispatch_fsync(req, LAG_OP_FSYNC, ino, datasync, fi);
}

static void lag_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
			 struct fuse_file_info *fi)
{
	dispatch_fsync(req, LAG_OP_FSYNCDIR, ino, datasync, fi);
}

static void serve_fallocate(struct lag_call *c)
{
	int res = fallocate(lag_file_of(c->fi.fh)->fd, c->flags, c->off,
			    (off_t)c->size);

	reply_err(c, res < 0 ? errno : 0);
}

static void lag_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			  off_t offset, off_t length,
			  struct fuse_file_info *fi)
{
	struct lag_call c = { .req = req, .op = LAG_OP_FALLOCATE, .ino = ino,
			      .flags = mode, .off = offset,
			      .size = (size_t)length, .fi = *fi,
			      .has_fi = true };

	call_dispatch(&c, serve_fallocate);
}

static void serve_opendir(struct lag_call *c)
{
	struct lag_dir *d = calloc(1, sizeof(*d));
	int fd;

	if (!d) {
		reply_err(c, ENOMEM);
		return;
	}
	fd = openat(fd_of(c, c->ino), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d->dp = fdopendir(fd))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(d);
		reply_err(c, err);
		return;
	}
	d->h.num = atomic_fetch_add(&c->fs->handle_numbers, 1) + 1;
	c->fh_num = d->h.num;
	c->fi.fh = (uint64_t)(uintptr_t)d;
	call_log(c, 0);
	if (fuse_reply_open(c->req, &c->fi) != 0) {
		closedir(d->dp);
		free(d);
	}
}

static void lag_opendir(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	dispatch_fi(req, LAG_OP_OPENDIR, ino, fi, serve_opendir);
}

/* One entry into buf; 0 when it does not fit (nothing added then). */
static size_t add_entry(struct lag_call *c, char *p, size_t rem,
			struct dirent *ent)
{
	const char *name = ent->d_name;
	bool plus = c->op == LAG_OP_READDIRPLUS;
	struct fuse_entry_param e = { 0 };
	size_t n;

	if (!plus) {
		e.attr.st_ino = ent->d_ino;
		e.attr.st_mode = (mode_t)ent->d_type << 12;
		n = fuse_add_direntry(c->req, p, rem, name, &e.attr, ent->d_off);
		return n > rem ? 0 : n;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		e.attr.st_ino = ent->d_ino;
		e.attr.st_mode = (mode_t)ent->d_type << 12;
	} else if (do_lookup(c, c->ino, name, &e) != 0) {
		e = (struct fuse_entry_param){ 0 }; /* vanished: list it bare */
		e.attr.st_ino = ent->d_ino;
		e.attr.st_mode = (mode_t)ent->d_type << 12;
	}
	n = fuse_add_direntry_plus(c->req, p, rem, name, &e, ent->d_off);
	if (n > rem) {
		if (e.ino)
			inode_table_forget(c->fs->inodes, inode_of(c, e.ino), 1);
		return 0;
	}
	return n;
}

static void serve_readdir(struct lag_call *c)
{
	struct lag_dir *d = (struct lag_dir *)(uintptr_t)c->fi.fh;
	char *buf = malloc(c->size ? c->size : 1);
	size_t rem = c->size;
	int err = 0;

	if (!buf) {
		reply_err(c, ENOMEM);
		return;
	}
	if (c->off != d->offset) {
		seekdir(d->dp, c->off);
		d->entry = NULL;
		d->offset = c->off;
	}
	for (;;) {
		size_t n;

		if (!d->entry) {
			errno = 0;
			d->entry = readdir(d->dp);
			if (!d->entry) {
				err = errno;
				break;
			}
		}
		n = add_entry(c, buf + (c->size - rem), rem, d->entry);
		if (!n)
			break;
		rem -= n;
		d->offset = d->entry->d_off;
		d->entry = NULL;
	}
	if (err && rem == c->size)
		reply_err(c, err);
	else {
		call_log(c, 0);
		fuse_reply_buf(c->req, buf, c->size - rem);
	}
	free(buf);
}

static void lag_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			off_t off, struct fuse_file_info *fi)
{
	dispatch_range(req, LAG_OP_READDIR, ino, size, off, fi, serve_readdir);
}

static void lag_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			    off_t off, struct fuse_file_info *fi)
{
	dispatch_range(req, LAG_OP_READDIRPLUS, ino, size, off, fi,
		       serve_readdir);
}

static void serve_releasedir(struct lag_call *c)
{
	struct lag_dir *d = (struct lag_dir *)(uintptr_t)c->fi.fh;

	closedir(d->dp);
	free(d);
	reply_err(c, 0);
}

static void lag_releasedir(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	dispatch_fi(req, LAG_OP_RELEASEDIR, ino, fi, serve_releasedir);
}

static void serve_statfs(struct lag_call *c)
{
	struct statvfs sv;

	if (fstatvfs(fd_of(c, c->ino), &sv) < 0) {
		reply_err(c, errno);
		return;
	}
	call_log(c, 0);
	fuse_reply_statfs(c->req, &sv);
}

static void lag_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct lag_call c = { .req = req, .op = LAG_OP_STATFS, .ino = ino };

	call_dispatch(&c, serve_statfs);
}

/*
 * xattrs go through /proc: O_PATH descriptors refuse f*xattr(). Following
 * /proc/self/fd/N lands on the file the descriptor holds, which for a
 * symlink is the symlink itself, not its target: the one the kernel asked
 * about.
 */
static void serve_setxattr(struct lag_call *c)
{
	char proc[32];

	proc_path(fd_of(c, c->ino), proc);
	if (setxattr(proc, c->name, c->value, c->size, c->flags) < 0)
		reply_err(c, errno);
	else
		reply_err(c, 0);
}

static void lag_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 const char *value, size_t size, int flags)
{
	struct lag_call c = { .req = req, .op = LAG_OP_SETXATTR, .ino = ino,
			      .name = name, .value = value, .size = size,
			      .flags = flags };

	call_dispatch(&c, serve_setxattr);
}

/* getxattr and listxattr share the size-probe protocol. */
static void serve_getxattr(struct lag_call *c)
{
	char proc[32];
	char *buf = NULL;
	ssize_t n;

	proc_path(fd_of(c, c->ino), proc);
	if (c->size && !(buf = malloc(c->size))) {
		reply_err(c, ENOMEM);
		return;
	}
	n = c->op == LAG_OP_LISTXATTR ? listxattr(proc, buf, c->size)
				      : getxattr(proc, c->name, buf, c->size);
	if (n < 0)
		reply_err(c, errno);
	else {
		call_log(c, 0);
		if (c->size)
			fuse_reply_buf(c->req, buf, (size_t)n);
		else
			fuse_reply_xattr(c->req, (size_t)n);
	}
	free(buf);
}

static void lag_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			 size_t size)
{
	struct lag_call c = { .req = req, .op = LAG_OP_GETXATTR, .ino = ino,
			      .name = name, .size = size };

	call_dispatch(&c, serve_getxattr);
}

static void lag_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct lag_call c = { .req = req, .op = LAG_OP_LISTXATTR, .ino = ino,
			      .size = size };

	call_dispatch(&c, serve_getxattr);
}

static void serve_removexattr(struct lag_call *c)
{
	char proc[32];

	proc_path(fd_of(c, c->ino), proc);
	if (removexattr(proc, c->name) < 0)
		reply_err(c, errno);
	else
		reply_err(c, 0);
}

static void lag_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct lag_call c = { .req = req, .op = LAG_OP_REMOVEXATTR,
			      .ino = ino, .name = name };

	call_dispatch(&c, serve_removexattr);
}

/* libfuse's standard connection options (-o max_background=N, ...). */
static void lag_init(void *userdata, struct fuse_conn_info *conn)
{
	struct lagfs *fs = userdata;

	if (fs->conn_opts)
		fuse_apply_conn_info_opts(fs->conn_opts, conn);
	/* The loop runs: from here on a failure is no startup failure. */
	atomic_store(&fs->served, true);
	daemon_ready();
}

const struct fuse_lowlevel_ops lagfs_ops = {
	.init = lag_init,
	.lookup = lag_lookup,
	.forget = lag_forget,
	.forget_multi = lag_forget_multi,
	.getattr = lag_getattr,
	.setattr = lag_setattr,
	.readlink = lag_readlink,
	.mknod = lag_mknod,
	.mkdir = lag_mkdir,
	.unlink = lag_unlink,
	.rmdir = lag_rmdir,
	.symlink = lag_symlink,
	.rename = lag_rename,
	.link = lag_link,
	.open = lag_open,
	.read = lag_read,
	.write_buf = lag_write_buf,
	.flush = lag_flush,
	.release = lag_release,
	.fsync = lag_fsync,
	.opendir = lag_opendir,
	.readdir = lag_readdir,
	.readdirplus = lag_readdirplus,
	.releasedir = lag_releasedir,
	.fsyncdir = lag_fsyncdir,
	.statfs = lag_statfs,
	.setxattr = lag_setxattr,
	.getxattr = lag_getxattr,
	.listxattr = lag_listxattr,
	.removexattr = lag_removexattr,
	.create = lag_create,
	.fallocate = lag_fallocate,
};
