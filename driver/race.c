/*
 * race: the names of race.h's enums (--mitigate, --expect, reports and the
 * JSON document), one table each.
 */
#include "race.h"

const char *const mitigation_names[MIT_N] = {
	[MIT_NONE] = "none",
	[MIT_RETRY] = "retry",
	[MIT_WAIT_RELEASE] = "wait-release",
	[MIT_LAZY] = "lazy",
};

const char *const expect_names[EXPECT_N] = {
	[EXPECT_RACE] = "race",
	[EXPECT_CLEAN] = "clean",
};

const char *const fs_names[FS_N] = {
	[FS_LAGFS] = "lagfs",
	[FS_TMPFS] = "tmpfs",
};

const char *fs_key(unsigned fs)
{
	return fs == FS_DIR ? "dir" : fs < FS_N ? fs_names[fs] : "?";
}
