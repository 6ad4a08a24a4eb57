/*
 * ops: the FUSE operations lagfs knows by name, in one table: the enum, the
 * name rules and the log use, and what sets an op apart for dispatch and
 * logging. Adding an op is a line in LAG_OPS below and its handler in
 * passthrough.c.
 *
 * forget has a name but never reaches the rules: its handler answers at
 * once (a forget has no reply to delay).
 */
#ifndef OPS_H
#define OPS_H

#include <stdbool.h>
#include <stdint.h>

/* What an op is, as far as dispatch and the log care. */
enum lag_op_prop {
	/* Acts on an open file: its path is the open file's, which survives
	 * the name being unlinked or renamed. */
	LAG_OP_ON_FILE = 1 << 0,
	/* Logged every time, parked or not: the open/close life of a file
	 * that lagrace reads. */
	LAG_OP_LOGGED = 1 << 1,
	/* Opens a file: its open(2) flags go in the log, and a rule for it
	 * may set direct_io. */
	LAG_OP_OPENS = 1 << 2,
};

/*
 * X(ID, name, properties), in the order of the enum. The properties are
 * the names above without LAG_OP_; only ops.c expands them.
 */
#define LAG_OPS(X)                                                           \
	X(LOOKUP, "lookup", 0)     X(FORGET, "forget", 0)                    \
	X(GETATTR, "getattr", 0)   X(SETATTR, "setattr", 0)                  \
	X(READLINK, "readlink", 0) X(MKNOD, "mknod", 0) X(MKDIR, "mkdir", 0) \
	X(UNLINK, "unlink", 0)     X(RMDIR, "rmdir", 0)                      \
	X(SYMLINK, "symlink", 0)   X(RENAME, "rename", 0) X(LINK, "link", 0) \
	X(OPEN, "open", LOGGED | OPENS)                                      \
	X(READ, "read", ON_FILE)   X(WRITE, "write", ON_FILE)                \
	X(FLUSH, "flush", ON_FILE | LOGGED)                                  \
	X(RELEASE, "release", ON_FILE | LOGGED)                              \
	X(FSYNC, "fsync", ON_FILE)                                           \
	X(OPENDIR, "opendir", 0)   X(READDIR, "readdir", 0)                  \
	X(RELEASEDIR, "releasedir", 0)  X(FSYNCDIR, "fsyncdir", 0)           \
	X(STATFS, "statfs", 0)                                               \
	X(SETXATTR, "setxattr", 0) X(GETXATTR, "getxattr", 0)                \
	X(LISTXATTR, "listxattr", 0)    X(REMOVEXATTR, "removexattr", 0)     \
	X(CREATE, "create", LOGGED | OPENS)                                  \
	X(FALLOCATE, "fallocate", ON_FILE)                                   \
	X(READDIRPLUS, "readdirplus", 0)

enum lag_op {
#define LAG_OP_ENUM(id, name, props) LAG_OP_##id,
	LAG_OPS(LAG_OP_ENUM)
#undef LAG_OP_ENUM
	LAG_OP_COUNT
};

/* A rule set's op mask has a bit per op. */
_Static_assert(LAG_OP_COUNT <= 64, "an op mask is a uint64_t");

/* Lower-case op names, indexed by enum lag_op ("read", "readdirplus", ...). */
extern const char *const lag_op_names[LAG_OP_COUNT];

/* Returns the op for a name, or -1. */
int lag_op_from_name(const char *name);

/* Whether op (an enum lag_op; anything else has none) has every
 * property in props. */
bool lag_op_is(int op, enum lag_op_prop props);

#endif
