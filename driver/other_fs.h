/*
 * other_fs: the lane's mount when the child's files are not on lagfs
 * (--fs tmpfs, --fs-dir DIR), for the scenarios that need no hold. Each
 * iteration mounts afresh on the lane's mountpoint, in the lane's own
 * mount namespace, and unmounts as with lagfs, so the kernel's EBUSY and
 * the MNT_EXPIRE probe say alone whether the child's file outlived the
 * reap:
 *   tmpfs   a new tmpfs, with the engine's files made in it;
 *   DIR     a bind mount of a directory lagrace makes in DIR (and removes
 *           when the lane ends): the files live on DIR's filesystem, and
 *           the user's own mount of it is never unmounted.
 */
#ifndef OTHER_FS_H
#define OTHER_FS_H

#include <stddef.h>

#include "iteration.h"

/* The engine's files (ENGINE_FILE_FMT, cfg->eo.nfiles of them) in dir:
 * 0, or -1 with err. */
int fs_make_files(const struct race_cfg *cfg, const char *dir, char *err,
		  size_t errlen);

/* Once a lane: for --fs-dir, its directory in DIR with the files (in
 * env->back). 0, or -1 with err. */
int other_fs_setup(struct lane_env *env, char *err, size_t errlen);
/* Each iteration: mount on env->mnt. 0, or -1 with err. */
int other_fs_mount(struct lane_env *env, char *err, size_t errlen);
/* When the lane ends: remove what other_fs_setup made. */
void other_fs_leave(struct lane_env *env);

#endif
