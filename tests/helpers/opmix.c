/*
 * opmix DIR [-n OPS] [-f FILES] [-s SEED] [-i USEC] [-v]: an fsstress-like
 * mix of file system operations in DIR (which must be empty), deterministic
 * from SEED. Defaults: 2000 ops, 16 files, seed 1.
 *
 * -i USEC interrupts the run every USEC microseconds with SIGALRM (a
 * handler without SA_RESTART), so a syscall waiting on a FUSE request makes
 * the kernel send FUSE_INTERRUPT; a lagfs hold ended by it answers EINTR.
 * Then EINTR and short reads and writes are expected: an EINTR means the
 * file system did nothing, and a short write wrote exactly what it says,
 * and the model follows. mmap reads run with SIGALRM blocked (an EINTR
 * answer to a page fault's read is a SIGBUS), and so does the final check.
 *
 * The names are f0..f<FILES-1> (regular files), l0..l<FILES/4> (symlinks)
 * at the top and in the subdirectories d0..d3, which come and go themselves.
 * Each op is a small function in the ops table: write, read, append,
 * ftruncate, truncate, fallocate, rename (plain, RENAME_NOREPLACE,
 * RENAME_EXCHANGE), unlink, link, symlink, mkdir, rmdir, fsync/fdatasync,
 * chmod, utimensat, setxattr/getxattr, readdir, stat, an mmap read, and
 * the emptying of a subdirectory to rmdir it.
 *
 * Errors a random tree of names produces (ENOENT, EEXIST, ENOTEMPTY,
 * ENOTDIR, EISDIR, ELOOP, and a few per op) are counted as expected; any
 * other error (EIO, EBADF, ENOSYS...) is printed and fails the run.
 *
 * An in-memory model keeps every regular file's content and every symlink's
 * target by name, with hard links sharing one object; renames, links,
 * unlinks and exchanges are applied to it when they succeed. Reads, mmaps,
 * stats and readdirs are compared with it as they go, and at the end every
 * modelled file is read back and DIR is walked for files the model does not
 * know. Prints
 *   opmix: N ops, N expected errors, N unexpected, N files checked,
 *   N mismatches
 * (one line) and exits 0 only with no unexpected error and no mismatch;
 * 1 otherwise, 2 on bad usage. -v adds a count of runs and expected errors
 * per op.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base.h"

#define MAX_OFF   (256 * 1024)	/* writes, truncates start below this */
#define MAX_IO    (16 * 1024)	/* longest single read or write */
#define NSUBDIRS  4
#define NAME_LEN  32
#define MAX_HOPS  8		/* symlinks followed when resolving */
#define MAX_REPORTS 50		/* then only counted */

struct obj {			/* one inode: a regular file or a symlink */
	bool is_link;
	unsigned char *data;	/* regular file content */
	size_t len, cap;
	char *target;		/* symlink target */
	int names;		/* its hard links in the model */
};

struct node {			/* one name of a modelled object */
	char *path;		/* relative to DIR: "f3", "d1/l0", ... */
	struct obj *obj;
};

struct name {
	char s[NAME_LEN];
};

struct op {
	const char *name;
	int weight;
	void (*run)(void);
	int expect[3];		/* errors it may get besides name_errors */
};

struct op_stats {		/* per op, for -v */
	long runs, expected;
};

static const int name_errors[] = {
	ENOENT, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, ELOOP,
};

static struct {
	unsigned files, links;	/* how many f* and l* names per directory */
	uint64_t rng;
	struct node *nodes;
	size_t nnodes, capnodes;
	const struct op *op;	/* the op running now */
	long i;			/* its number */
	int also;		/* one more errno the current call may get */
	long n_ops, n_expected, n_unexpected, n_checked, n_mismatches;
	long n_reports;
	long n_interrupted;	/* EINTR and short IO under -i */
	bool interrupts;	/* -i: SIGALRM may cut any call short */
	bool gone;		/* the file system went away: stop */
	struct op_stats *stats;	/* indexed like ops[] */
} S;

static unsigned char wbuf[MAX_IO], rbuf[MAX_IO];

static void hold_alarm(bool block);

/* ---- randomness: xorshift64*, seeded through splitmix64 ---- */

static void rnd_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	S.rng = (z ^ (z >> 31)) | 1;
}

static uint64_t rnd64(void)
{
	S.rng ^= S.rng >> 12;
	S.rng ^= S.rng << 25;
	S.rng ^= S.rng >> 27;
	return S.rng * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)((rnd64() >> 16) % n);
}

static bool chance(unsigned n)	/* true one time in n */
{
	return rnd(n) == 0;
}

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rnd64();

		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
}

/* ---- reporting ---- */

static void report(const char *fmt, ...)
{
	va_list ap;

	if (++S.n_reports > MAX_REPORTS) {
		if (S.n_reports == MAX_REPORTS + 1)
			fprintf(stderr, "opmix: (more reports not shown)\n");
		return;
	}
	fprintf(stderr, "opmix: op %ld (%s): ", S.i, S.op ? S.op->name : "-");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define unexpected(...) (S.n_unexpected++, report(__VA_ARGS__))
#define mismatch(...) (S.n_mismatches++, report(__VA_ARGS__))

static bool is_expected(int err)
{
	if (S.interrupts && err == EINTR) {
		S.n_interrupted++;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(name_errors); i++)
		if (err == name_errors[i])
			return true;
	for (size_t i = 0; S.op && i < 3 && S.op->expect[i]; i++)
		if (err == S.op->expect[i])
			return true;
	return S.also && err == S.also;
}

/* Account for one call's result: negative means failed with errno. */
static long sys(long rc, const char *call, const char *path)
{
	int err = errno;

	if (rc >= 0)
		return rc;
	if (is_expected(err)) {
		S.n_expected++;
		if (S.stats)
			S.stats->expected++;
	} else {
		unexpected("%s %s: %s", call, path, strerror(err));
	}
	/* A FUSE daemon that died: every further call fails the same way. */
	if (err == ENOTCONN || err == ECONNABORTED)
		S.gone = true;
	errno = err;
	return rc;
}

/* A read or write result: false unless all want bytes moved. */
static bool all_io(ssize_t n, size_t want, const char *call, const char *path)
{
	if (sys(n, call, path) < 0)
		return false;
	if ((size_t)n < want && S.interrupts) {
		S.n_interrupted++;
		return false;
	}
	if ((size_t)n != want) {
		unexpected("%s %s: %zd of %zu bytes", call, path, n, want);
		return false;
	}
	return true;
}

static void close_fd(int fd, const char *path)
{
	sys(close(fd), "close", path);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "opmix: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

/* ---- names ---- */

/* A directory for a new name: -1 for the top, else a subdirectory. */
static int pick_dir(void)
{
	int d = (int)rnd(NSUBDIRS + 2) - 2;

	return d < 0 ? -1 : d;
}

static struct name mkname(int dir, char kind, unsigned k)
{
	struct name n;

	if (dir < 0)
		snprintf(n.s, sizeof(n.s), "%c%u", kind, k);
	else
		snprintf(n.s, sizeof(n.s), "d%d/%c%u", dir, kind, k);
	return n;
}

static struct name pick_file_in(int dir)
{
	return mkname(dir, 'f', rnd(S.files));
}

static struct name pick_file(void)
{
	return pick_file_in(pick_dir());
}

static struct name pick_link(void)
{
	return mkname(pick_dir(), 'l', rnd(S.links));
}

static struct name pick_subdir(void)
{
	struct name n;

	snprintf(n.s, sizeof(n.s), "d%u", rnd(NSUBDIRS));
	return n;
}

static struct name pick_file_or_link(void)
{
	return chance(4) ? pick_link() : pick_file();
}

static struct name pick_any(void)
{
	switch (rnd(5)) {
	case 0: return pick_link();
	case 1: return pick_subdir();
	default: return pick_file();
	}
}

/* ---- the model ---- */

static struct node *find(const char *path)
{
	for (size_t i = 0; i < S.nnodes; i++)
		if (!strcmp(S.nodes[i].path, path))
			return &S.nodes[i];
	return NULL;
}

/* p is a or lies below a. */
static bool under(const char *p, const char *a)
{
	size_t n = strlen(a);

	return !strncmp(p, a, n) && (p[n] == '\0' || p[n] == '/');
}

/* p names an entry directly in dir ("." for the top). */
static bool directly_in(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return !strchr(p, '/');
	return !strncmp(p, dir, n) && p[n] == '/' && !strchr(p + n + 1, '/');
}

static void add_name(const char *path, struct obj *o)
{
	if (S.nnodes == S.capnodes) {
		S.capnodes = S.capnodes ? 2 * S.capnodes : 64;
		S.nodes = xrealloc(S.nodes, S.capnodes * sizeof(*S.nodes));
	}
	S.nodes[S.nnodes++] = (struct node){ xstrdup(path), o };
	o->names++;
}

static void drop_name(struct node *n)
{
	struct obj *o = n->obj;

	if (--o->names == 0) {
		free(o->data);
		free(o->target);
		free(o);
	}
	free(n->path);
	*n = S.nodes[--S.nnodes];
}

static struct obj *new_obj(void)
{
	struct obj *o = xrealloc(NULL, sizeof(*o));

	*o = (struct obj){ 0 };
	return o;
}

/* Drop path and everything below it. */
static void drop_tree(const char *path)
{
	for (size_t i = S.nnodes; i-- > 0;)
		if (under(S.nodes[i].path, path))
			drop_name(&S.nodes[i]);
}

/* Rename a node at or below from to the same place below to. */
static void rebase(struct node *n, const char *from, const char *to)
{
	char *p;

	if (asprintf(&p, "%s%s", to, n->path + strlen(from)) < 0) {
		fprintf(stderr, "opmix: out of memory\n");
		exit(2);
	}
	free(n->path);
	n->path = p;
}

/* What a successful rename(a, b) with flags did. */
static void model_rename(const char *a, const char *b, unsigned flags)
{
	struct node *na = find(a), *nb = find(b);

	if (flags & RENAME_EXCHANGE) {
		for (size_t i = 0; i < S.nnodes; i++) {
			if (under(S.nodes[i].path, a))
				rebase(&S.nodes[i], a, b);
			else if (under(S.nodes[i].path, b))
				rebase(&S.nodes[i], b, a);
		}
		return;
	}
	/* Two names of one inode: rename(2) does nothing. */
	if (!strcmp(a, b) || (na && nb && na->obj == nb->obj))
		return;
	drop_tree(b);
	for (size_t i = 0; i < S.nnodes; i++)
		if (under(S.nodes[i].path, a))
			rebase(&S.nodes[i], a, b);
}

/* The regular file path leads to, following modelled symlinks; or NULL. */
static struct obj *resolve(const char *path)
{
	char buf[2][PATH_MAX];
	const char *p = path;

	for (int hop = 0; hop < MAX_HOPS; hop++) {
		struct node *n = find(p);
		const char *slash;

		if (!n)
			return NULL;
		if (!n->obj->is_link)
			return n->obj;
		/* Targets are relative to the link's directory. */
		slash = strrchr(p, '/');
		snprintf(buf[hop & 1], sizeof(buf[0]), "%.*s%s",
			 slash ? (int)(slash - p + 1) : 0, p, n->obj->target);
		p = buf[hop & 1];
	}
	return NULL;
}

/* The file a successful open(path, O_CREAT | O_NOFOLLOW) opened. */
static struct obj *model_open_created(const char *path)
{
	struct node *n = find(path);
	struct obj *o;

	if (n && !n->obj->is_link)
		return n->obj;
	if (n)
		mismatch("open %s: opened a name the model has as a symlink",
			 path);
	o = new_obj();
	add_name(path, o);
	return o;
}

static void obj_resize(struct obj *o, size_t size)
{
	if (size > o->cap) {
		o->cap = size + size / 2 + 4096;
		o->data = xrealloc(o->data, o->cap);
	}
	if (size > o->len)
		memset(o->data + o->len, 0, size - o->len);
	o->len = size;
}

static void obj_write(struct obj *o, size_t off, const void *p, size_t n)
{
	if (off + n > o->len)
		obj_resize(o, off + n);
	memcpy(o->data + off, p, n);
}

static void obj_zero(struct obj *o, size_t off, size_t n)
{
	if (off < o->len)
		memset(o->data + off, 0, n < o->len - off ? n : o->len - off);
}

/* Compare n bytes read at off with the model file o. */
static void check_data(const char *what, const char *path,
		       const struct obj *o, size_t off, size_t want,
		       const unsigned char *got, size_t n)
{
	size_t expect = off >= o->len ? 0 : o->len - off;

	if (expect > want)
		expect = want;
	if (n < expect && n > 0 && S.interrupts) {
		S.n_interrupted++;	/* cut short: check what came */
		expect = n;
	}
	if (n != expect) {
		mismatch("%s %s: %zu bytes at %zu, the model has %zu", what,
			 path, n, off, expect);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		if (got[k] != o->data[off + k]) {
			mismatch("%s %s: byte %zu is %#x, the model has %#x",
				 what, path, off + k, got[k],
				 o->data[off + k]);
			return;
		}
	}
}

/* ---- the ops ---- */

static void op_write(void)
{
	struct name p = pick_file();
	bool trunc = chance(8);
	size_t off = rnd(MAX_OFF), len = 1 + rnd(MAX_IO);
	int fd = (int)sys(open(p.s, O_WRONLY | O_CREAT | O_NOFOLLOW |
				       (trunc ? O_TRUNC : 0), 0644),
			  "open", p.s);
	struct obj *o;
	ssize_t n;

	if (fd < 0)
		return;
	o = model_open_created(p.s);
	if (trunc)
		obj_resize(o, 0);
	fill(wbuf, len);
	n = pwrite(fd, wbuf, len, (off_t)off);
	all_io(n, len, "pwrite", p.s);
	if (n > 0)
		obj_write(o, off, wbuf, (size_t)n);
	close_fd(fd, p.s);
}

static void op_append(void)
{
	struct name p = pick_file();
	size_t len = 1 + rnd(MAX_IO / 4);
	int fd = (int)sys(open(p.s, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
			       0644), "open", p.s);
	struct obj *o;
	ssize_t n;

	if (fd < 0)
		return;
	o = model_open_created(p.s);
	fill(wbuf, len);
	n = write(fd, wbuf, len);
	all_io(n, len, "append", p.s);
	if (n > 0)
		obj_write(o, o->len, wbuf, (size_t)n);
	close_fd(fd, p.s);
}

static void op_read(void)
{
	struct name p = pick_file_or_link();
	size_t off = rnd(MAX_OFF + MAX_IO), len = 1 + rnd(MAX_IO);
	int fd = (int)sys(open(p.s, O_RDONLY), "open", p.s);
	struct obj *o;
	ssize_t n;

	if (fd < 0)
		return;
	n = sys(pread(fd, rbuf, len, (off_t)off), "pread", p.s);
	o = resolve(p.s);
	if (n >= 0 && o)
		check_data("pread", p.s, o, off, len, rbuf, (size_t)n);
	else if (n >= 0)
		mismatch("pread %s: read a file the model does not have", p.s);
	close_fd(fd, p.s);
}

static void op_mmap_read(void)
{
	struct name p = pick_file_or_link();
	int fd = (int)sys(open(p.s, O_RDONLY), "open", p.s);
	struct stat st;
	struct obj *o;
	void *m;

	if (fd < 0)
		return;
	o = resolve(p.s);
	if (sys(fstat(fd, &st), "fstat", p.s) < 0 || !S_ISREG(st.st_mode)) {
		close_fd(fd, p.s);
		return;
	}
	if (st.st_size == 0) {	/* nothing to map */
		if (o && o->len)
			mismatch("fstat %s: empty, the model has %zu bytes",
				 p.s, o->len);
		close_fd(fd, p.s);
		return;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		sys(-1, "mmap", p.s);
	} else {
		hold_alarm(true);
		if (o)
			check_data("mmap", p.s, o, 0, (size_t)st.st_size, m,
				   (size_t)st.st_size);
		else
			mismatch("mmap %s: a file the model does not have",
				 p.s);
		hold_alarm(false);
		sys(munmap(m, (size_t)st.st_size), "munmap", p.s);
	}
	close_fd(fd, p.s);
}

static void op_ftruncate(void)
{
	struct name p = pick_file();
	size_t size = rnd(MAX_OFF);
	int fd = (int)sys(open(p.s, O_WRONLY | O_NOFOLLOW), "open", p.s);
	struct node *n;

	if (fd < 0)
		return;
	if (sys(ftruncate(fd, (off_t)size), "ftruncate", p.s) == 0) {
		n = find(p.s);
		if (n && !n->obj->is_link)
			obj_resize(n->obj, size);
		else
			mismatch("ftruncate %s: a file the model does not have",
				 p.s);
	}
	close_fd(fd, p.s);
}

static void op_truncate(void)
{
	struct name p = pick_file_or_link();
	size_t size = rnd(MAX_OFF);
	struct obj *o;

	if (sys(truncate(p.s, (off_t)size), "truncate", p.s) < 0)
		return;
	o = resolve(p.s);
	if (o)
		obj_resize(o, size);
	else
		mismatch("truncate %s: a file the model does not have", p.s);
}

static void op_fallocate(void)
{
	static const int modes[] = {
		0, FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE,
	};
	struct name p = pick_file();
	int mode = modes[rnd(4)];
	size_t off = rnd(MAX_OFF), len = 1 + rnd(4 * MAX_IO);
	int fd = (int)sys(open(p.s, O_WRONLY | O_NOFOLLOW), "open", p.s);
	struct node *n;

	if (fd < 0)
		return;
	if (sys(fallocate(fd, mode, (off_t)off, (off_t)len), "fallocate",
		p.s) == 0) {
		n = find(p.s);
		if (!n || n->obj->is_link) {
			mismatch("fallocate %s: a file the model does not have",
				 p.s);
		} else {
			if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
				obj_zero(n->obj, off, len);
			if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > n->obj->len)
				obj_resize(n->obj, off + len);
		}
	}
	close_fd(fd, p.s);
}

/*
 * Two names for a rename: mostly of one kind (files within or across
 * directories, symlinks, subdirectories), sometimes a file onto a
 * subdirectory's name or the other way round.
 */
static void pick_pair(struct name *a, struct name *b)
{
	int dir;

	switch (rnd(10)) {
	case 0: *a = pick_file(); *b = pick_subdir(); break;
	case 1: *a = pick_subdir(); *b = pick_file(); break;
	case 2: case 3: *a = pick_subdir(); *b = pick_subdir(); break;
	case 4: *a = pick_link(); *b = pick_link(); break;
	default:
		dir = pick_dir();
		*a = pick_file_in(dir);
		*b = pick_file_in(chance(2) ? dir : pick_dir());
		break;
	}
}

static void do_rename(unsigned flags, const char *call)
{
	struct name a, b;
	int rc;

	pick_pair(&a, &b);
	/* Moving a directory into itself (or, exchanging, the reverse). */
	if (under(b.s, a.s) || under(a.s, b.s))
		S.also = EINVAL;
	rc = flags ? renameat2(AT_FDCWD, a.s, AT_FDCWD, b.s, flags)
		   : rename(a.s, b.s);
	if (sys(rc, call, a.s) == 0)
		model_rename(a.s, b.s, flags);
}

static void op_rename(void)
{
	do_rename(0, "rename");
}

static void op_rename_noreplace(void)
{
	do_rename(RENAME_NOREPLACE, "renameat2(NOREPLACE)");
}

static void op_rename_exchange(void)
{
	do_rename(RENAME_EXCHANGE, "renameat2(EXCHANGE)");
}

static void op_unlink(void)
{
	struct name p = pick_any();
	struct node *n;

	if (sys(unlink(p.s), "unlink", p.s) < 0)
		return;
	n = find(p.s);
	if (n)
		drop_name(n);
	else
		mismatch("unlink %s: a name the model does not have", p.s);
}

static void op_link(void)
{
	struct name a, b;
	struct node *n;

	if (chance(4)) {
		a = pick_link();
		b = pick_link();
	} else {
		a = pick_file();
		b = pick_file();
	}
	if (sys(link(a.s, b.s), "link", a.s) < 0)
		return;
	n = find(a.s);
	if (n)
		add_name(b.s, n->obj);
	else
		mismatch("link %s: a name the model does not have", a.s);
}

static void op_symlink(void)
{
	struct name p = pick_link();
	char target[NAME_LEN];
	struct obj *o;

	switch (rnd(8)) {
	case 0: snprintf(target, sizeof(target), "d%u", rnd(NSUBDIRS)); break;
	case 1: snprintf(target, sizeof(target), "nowhere"); break;
	case 2: snprintf(target, sizeof(target), "l%u", rnd(S.links)); break;
	default: snprintf(target, sizeof(target), "f%u", rnd(S.files)); break;
	}
	if (sys(symlink(target, p.s), "symlink", p.s) < 0)
		return;
	o = new_obj();
	o->is_link = true;
	o->target = xstrdup(target);
	add_name(p.s, o);
}

static void op_mkdir(void)
{
	struct name p = pick_subdir();

	sys(mkdir(p.s, 0755), "mkdir", p.s);
}

static void op_rmdir(void)
{
	struct name p = chance(4) ? pick_file() : pick_subdir();

	if (sys(rmdir(p.s), "rmdir", p.s) < 0)
		return;
	for (size_t i = 0; i < S.nnodes; i++)
		if (under(S.nodes[i].path, p.s))
			mismatch("rmdir %s: the model has %s there", p.s,
				 S.nodes[i].path);
	drop_tree(p.s);
}

/*
 * Call fn for each entry of directory dir but "." and "..", with its path
 * as the model names it ("f1" in ".", "d0/f1" in "d0"). Errors go through
 * sys(); -1 when dir cannot be opened.
 */
static int each_entry(const char *dir,
		      void (*fn)(const char *path, const struct dirent *e,
				 void *arg),
		      void *arg)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	if (!dp)
		return (int)sys(-1, "opendir", dir);
	for (;;) {
		char path[2 * NAME_LEN + 256];

		errno = 0;
		e = readdir(dp);
		if (!e) {
			if (errno)
				sys(-1, "readdir", dir);
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!strcmp(dir, "."))
			snprintf(path, sizeof(path), "%s", e->d_name);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fn(path, e, arg);
	}
	sys(closedir(dp), "closedir", dir);
	return 0;
}

static void unlink_entry(const char *path, const struct dirent *e,
			 void *arg)
{
	struct node *n;

	(void)arg;
	if (e->d_type == DT_DIR || sys(unlink(path), "unlink", path) < 0)
		return;
	n = find(path);
	if (n)
		drop_name(n);
	else
		mismatch("unlink %s: a name the model does not have", path);
}

/* Unlink what a subdirectory holds (directories in it stay), then rmdir. */
static void op_empty_rmdir(void)
{
	struct name d = pick_subdir();

	if (each_entry(d.s, unlink_entry, NULL) < 0)
		return;
	if (sys(rmdir(d.s), "rmdir", d.s) == 0)
		drop_tree(d.s);
}

static void op_fsync(void)
{
	bool dir = chance(5), data = chance(2);
	struct name p = dir ? pick_subdir() : pick_file_or_link();
	int fd = (int)sys(open(p.s, O_RDONLY | (dir ? O_DIRECTORY : 0)),
			  "open", p.s);

	if (fd < 0)
		return;
	sys(data ? fdatasync(fd) : fsync(fd), data ? "fdatasync" : "fsync",
	    p.s);
	close_fd(fd, p.s);
}

static void op_chmod(void)
{
	struct name p = pick_any();

	/* The owner keeps rwx, so unprivileged runs can go on using it. */
	sys(chmod(p.s, 0700 | rnd(0100)), "chmod", p.s);
}

static void op_utimens(void)
{
	struct name p = pick_any();
	bool nofollow = chance(2);
	struct timespec ts[2];
	struct stat st;

	for (int k = 0; k < 2; k++) {
		ts[k].tv_sec = 1000000000 + rnd(700000000);
		ts[k].tv_nsec = 1000 * (long)rnd(1000000);
	}
	if (chance(8))
		ts[0].tv_nsec = UTIME_NOW;
	if (sys(utimensat(AT_FDCWD, p.s, ts,
			  nofollow ? AT_SYMLINK_NOFOLLOW : 0),
		"utimensat", p.s) < 0)
		return;
	if (sys(nofollow ? lstat(p.s, &st) : stat(p.s, &st), "stat", p.s) < 0)
		return;
	/* Nanoseconds may be lost on a file system without them. */
	if (st.st_mtim.tv_sec != ts[1].tv_sec ||
	    (st.st_mtim.tv_nsec != ts[1].tv_nsec && st.st_mtim.tv_nsec != 0))
		mismatch("utimensat %s: mtime %ld.%09ld, set %ld.%09ld", p.s,
			 (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			 (long)ts[1].tv_sec, ts[1].tv_nsec);
}

static void op_xattr(void)
{
	struct name p = pick_any();
	char key[NAME_LEN], val[64], got[64];
	size_t len = 1 + rnd(sizeof(val));
	ssize_t n;

	snprintf(key, sizeof(key), "user.opmix%u", rnd(3));
	if (chance(3)) {
		/* Maybe set before, maybe not. */
		sys(getxattr(p.s, key, got, sizeof(got)), "getxattr", p.s);
		return;
	}
	fill((unsigned char *)val, len);
	if (sys(setxattr(p.s, key, val, len, 0), "setxattr", p.s) < 0)
		return;
	n = sys(getxattr(p.s, key, got, sizeof(got)), "getxattr", p.s);
	if (n >= 0 && ((size_t)n != len || memcmp(got, val, len)))
		mismatch("getxattr %s %s: %zd bytes, not the %zu just set",
			 p.s, key, n, len);
}

struct listing {
	const char *dir;
	bool *seen;		/* indexed like S.nodes */
};

static void see_entry(const char *path, const struct dirent *e, void *arg)
{
	struct listing *l = arg;
	struct node *n = find(path);

	if (n)
		l->seen[n - S.nodes] = true;
	else if (e->d_type == DT_REG || e->d_type == DT_LNK)
		mismatch("readdir %s: lists %s, not in the model", l->dir,
			 path);
}

static void op_readdir(void)
{
	struct name d = chance(3) ? (struct name){ "." } : pick_subdir();
	size_t size = (S.nnodes + 1) * sizeof(bool);
	struct listing l = { d.s, memset(xrealloc(NULL, size), 0, size) };

	if (each_entry(d.s, see_entry, &l) == 0)
		for (size_t i = 0; i < S.nnodes; i++)
			if (!l.seen[i] && directly_in(S.nodes[i].path, d.s))
				mismatch("readdir %s: %s is missing", d.s,
					 S.nodes[i].path);
	free(l.seen);
}

static void op_stat(void)
{
	struct name p = pick_any();
	struct stat st;
	struct node *n;

	if (sys(lstat(p.s, &st), "lstat", p.s) < 0)
		return;
	n = find(p.s);
	if (!n) {
		if (!S_ISDIR(st.st_mode))
			mismatch("lstat %s: mode %o, not in the model", p.s,
				 st.st_mode);
	} else if (n->obj->is_link) {
		if (!S_ISLNK(st.st_mode) ||
		    (size_t)st.st_size != strlen(n->obj->target))
			mismatch("lstat %s: mode %o size %lld, the model has "
				 "a symlink to %s", p.s, st.st_mode,
				 (long long)st.st_size, n->obj->target);
	} else if (!S_ISREG(st.st_mode) ||
		   (size_t)st.st_size != n->obj->len ||
		   st.st_nlink != (nlink_t)n->obj->names) {
		mismatch("lstat %s: mode %o size %lld nlink %lu, the model "
			 "has a file of %zu bytes with %d names", p.s,
			 st.st_mode, (long long)st.st_size,
			 (unsigned long)st.st_nlink, n->obj->len,
			 n->obj->names);
	}
}

/* OP(name, weight, extra expected errors...): runs op_<name>. The order
 * is part of what a seed means: a new op goes at the end. */
#define OP(n, w, ...) { .name = #n, .weight = w, .run = op_##n, \
			.expect = { __VA_ARGS__ } }

static const struct op ops[] = {
	/* data */
	OP(write, 12), OP(append, 5), OP(read, 10), OP(mmap_read, 4),
	OP(ftruncate, 3), OP(truncate, 3), OP(fallocate, 4, EOPNOTSUPP),
	/* names; link fails EPERM on a directory */
	OP(rename, 6), OP(rename_noreplace, 3), OP(rename_exchange, 3),
	OP(unlink, 5), OP(link, 3, EPERM), OP(symlink, 3),
	/* directories */
	OP(mkdir, 3), OP(rmdir, 2), OP(empty_rmdir, 1),
	/* metadata, and a listing */
	OP(fsync, 3), OP(chmod, 3), OP(utimens, 3),
	OP(xattr, 3, ENOTSUP, ENODATA), OP(readdir, 4), OP(stat, 6),
};
#define NOPS ARRAY_SIZE(ops)

static struct op_stats stats[NOPS];

static const struct op *pick_op(void)
{
	static int total;
	int r;

	if (!total)
		for (size_t i = 0; i < NOPS; i++)
			total += ops[i].weight;
	r = (int)rnd((unsigned)total);
	for (size_t i = 0; i < NOPS; i++) {
		if (r < ops[i].weight)
			return &ops[i];
		r -= ops[i].weight;
	}
	return &ops[0];
}

/* ---- the final comparison ---- */

static void verify_file(const struct node *n)
{
	const struct obj *o = n->obj;
	int fd = (int)sys(open(n->path, O_RDONLY | O_NOFOLLOW), "open",
			  n->path);
	struct stat st;
	size_t off = 0;

	if (fd < 0) {
		mismatch("%s: cannot open a file the model has", n->path);
		return;
	}
	if (sys(fstat(fd, &st), "fstat", n->path) < 0) {
		close_fd(fd, n->path);
		return;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size != o->len ||
	    st.st_nlink != (nlink_t)o->names) {
		mismatch("%s: mode %o size %lld nlink %lu, the model has a "
			 "file of %zu bytes with %d names", n->path,
			 st.st_mode, (long long)st.st_size,
			 (unsigned long)st.st_nlink, o->len, o->names);
		close_fd(fd, n->path);
		return;
	}
	for (;;) {
		ssize_t got = sys(pread(fd, rbuf, sizeof(rbuf), (off_t)off),
				  "pread", n->path);

		if (got < 0)
			break;
		check_data("final read", n->path, o, off, sizeof(rbuf), rbuf,
			   (size_t)got);
		if (got == 0 || (size_t)got < sizeof(rbuf))
			break;
		off += (size_t)got;
	}
	close_fd(fd, n->path);
}

static void verify_link(const struct node *n)
{
	char buf[PATH_MAX];
	ssize_t len = sys(readlink(n->path, buf, sizeof(buf) - 1), "readlink",
			  n->path);

	if (len < 0) {
		mismatch("%s: no symlink, the model has one to %s", n->path,
			 n->obj->target);
		return;
	}
	buf[len] = '\0';
	if (strcmp(buf, n->obj->target))
		mismatch("%s: symlink to %s, the model has %s", n->path, buf,
			 n->obj->target);
}

/* Every regular file and symlink in DIR must be in the model. */
static int walk_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (!strncmp(path, "./", 2))
		path += 2;
	if (flag == FTW_NS || flag == FTW_DNR)
		unexpected("walk %s: cannot stat or read it", path);
	else if ((flag == FTW_F || flag == FTW_SL || flag == FTW_SLN) &&
		 !find(path))
		mismatch("%s: in DIR but not in the model", path);
	return 0;
}

static void verify(void)
{
	S.op = NULL;
	S.i = S.n_ops;
	for (size_t i = 0; i < S.nnodes; i++) {
		if (S.nodes[i].obj->is_link)
			verify_link(&S.nodes[i]);
		else
			verify_file(&S.nodes[i]);
		S.n_checked++;
	}
	if (nftw(".", walk_one, 16, FTW_PHYS) < 0)
		unexpected("nftw: %s", strerror(errno));
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: opmix DIR [-n OPS] [-f FILES] [-s SEED] [-i USEC] [-v]\n");
	exit(2);
}

static unsigned long number(const char *s, unsigned long min,
			    unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		usage();
	return v;
}

static bool dir_is_empty(void)
{
	DIR *dp = opendir(".");
	struct dirent *e;
	bool empty = true;

	if (!dp)
		return false;
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(dp);
	return empty;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only to cut a waiting syscall short */
}

/* Start (usec > 0) or stop SIGALRM every usec microseconds. */
static void interrupt_every(unsigned long usec)
{
	struct itimerval it = {
		.it_interval = { .tv_sec = (time_t)(usec / 1000000),
				 .tv_usec = (suseconds_t)(usec % 1000000) },
	};
	struct sigaction sa = { .sa_handler = on_alarm };

	it.it_value = it.it_interval;
	if (usec && sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("opmix: sigaction");
		exit(2);
	}
	if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
		perror("opmix: setitimer");
		exit(2);
	}
}

/* Block (true) or unblock SIGALRM, under -i. */
static void hold_alarm(bool block)
{
	sigset_t set;

	if (!S.interrupts)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int main(int argc, char **argv)
{
	unsigned long nops = 2000, seed = 1, interrupt_us = 0;
	bool verbose = false;
	const char *dir;
	int c;

	S.files = 16;
	while ((c = getopt(argc, argv, "n:f:s:i:v")) != -1) {
		switch (c) {
		case 'n': nops = number(optarg, 0, LONG_MAX); break;
		case 'i': interrupt_us = number(optarg, 1, 10000000); break;
		case 'f': S.files = (unsigned)number(optarg, 1, 100000); break;
		case 's': seed = number(optarg, 0, ULONG_MAX); break;
		case 'v': verbose = true; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	dir = argv[optind];
	if (chdir(dir) < 0) {
		fprintf(stderr, "opmix: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	if (!dir_is_empty()) {
		fprintf(stderr, "opmix: %s: must be an empty directory\n", dir);
		return 2;
	}
	S.links = S.files / 4 + 1;
	rnd_seed(seed);
	S.interrupts = interrupt_us > 0;
	if (S.interrupts)
		interrupt_every(interrupt_us);
	for (S.i = 0; S.i < (long)nops && !S.gone; S.i++) {
		S.op = pick_op();
		S.stats = &stats[S.op - ops];
		S.stats->runs++;
		S.also = 0;
		S.op->run();
		S.n_ops++;
	}
	S.stats = NULL;
	if (S.interrupts) {
		hold_alarm(true);
		interrupt_every(0);
		S.interrupts = false;
	}
	if (S.gone)
		fprintf(stderr, "opmix: the file system is gone, stopped\n");
	else
		verify();
	for (size_t i = 0; verbose && i < NOPS; i++)
		fprintf(stderr, "opmix: %-16s %5ld runs, %5ld expected errors\n",
			ops[i].name, stats[i].runs, stats[i].expected);
	printf("opmix: %ld ops, %ld expected errors, %ld unexpected, "
	       "%ld files checked, %ld mismatches, %ld interrupted\n",
	       S.n_ops, S.n_expected, S.n_unexpected, S.n_checked,
	       S.n_mismatches, S.n_interrupted);
	return S.n_unexpected || S.n_mismatches ? 1 : 0;
}
