/*
 * inode_table: the inodes lagfs has told the kernel about. Each holds an
 * O_PATH descriptor of its backing file, so every later operation is relative
 * to a descriptor and never re-resolves a path (nothing escapes the backing
 * directory, renames underneath are harmless). The FUSE inode number is the
 * address of the struct lag_inode; the root is FUSE_ROOT_ID. The event log
 * names an inode by a small number instead (num), the same for as long as
 * the inode lives.
 *
 * Inodes are keyed by (st_dev, st_ino) so hard links share one entry, and
 * live until the kernel forgets every lookup of them.
 *
 * Each inode also remembers the directory and name it was last looked up,
 * created or renamed under: lagfs names files through /proc, which cannot
 * name one whose absolute path reaches PATH_MAX, and then needs another way
 * (see deep_path.h).
 */
#ifndef INODE_TABLE_H
#define INODE_TABLE_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <fuse_lowlevel.h>

struct lag_inode {
	int fd;                 /* O_PATH | O_NOFOLLOW */
	dev_t dev;
	ino_t ino;
	mode_t type;            /* S_IFMT bits */
	uint64_t num;           /* for the log: 1 the root, then 2, 3, ... */
	uint64_t nlookup;       /* guarded by the table's lock */
	struct lag_inode *next; /* hash chain */
	/* where it was last seen; guarded by the table's lock */
	dev_t pdev;
	ino_t pino;
	char *name;             /* NULL: not known */
};

struct inode_table;

/*
 * root_fd: O_PATH descriptor of the backing directory (taken over).
 * numbers: the last inode number handed out, shared by the tables of
 * successive mounts so that none is given twice.
 */
struct inode_table *inode_table_new(int root_fd,
				    atomic_uint_fast64_t *numbers);
void inode_table_free(struct inode_table *t);

/* The inode for a FUSE inode number (FUSE_ROOT_ID is the root). */
struct lag_inode *inode_table_get(struct inode_table *t, fuse_ino_t ino);
fuse_ino_t inode_table_ino(struct inode_table *t, struct lag_inode *in);
int inode_table_root_fd(struct inode_table *t);

/*
 * Account one lookup of the file that fd (O_PATH) refers to, with stat st.
 * If the table already has it, fd is closed and the existing inode returned;
 * otherwise fd is taken over by a new inode. NULL on ENOMEM (fd closed).
 */
struct lag_inode *inode_table_ref(struct inode_table *t, int fd,
				  const struct stat *st);

/* Forget n lookups; the inode is freed (and its fd closed) at zero. */
void inode_table_forget(struct inode_table *t, struct lag_inode *in,
			uint64_t n);

/* Remember that in was seen as name in directory parent. Best effort: on
 * ENOMEM the old name stays. */
void inode_table_seen(struct inode_table *t, struct lag_inode *in,
		      const struct lag_inode *parent, const char *name);

/* The same for the inode whose stat is st, if the table has it (a rename
 * moves a file without a lookup). */
void inode_table_moved(struct inode_table *t, const struct stat *st,
		       const struct lag_inode *parent, const char *name);

/* Where in was last seen: 0 with *name malloc'd, or -1 if not known. */
int inode_table_seen_as(struct inode_table *t, struct lag_inode *in,
			dev_t *pdev, ino_t *pino, char **name);

/* A new O_PATH descriptor of the inode (dev, ino), or -1 if the table does
 * not have it (or dup fails). Safe against a concurrent forget. */
int inode_table_dup_fd(struct inode_table *t, dev_t dev, ino_t ino);

/* Number of inodes in the table (not counting the root). */
size_t inode_table_count(struct inode_table *t);

#endif
