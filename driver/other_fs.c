#include "other_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workdir.h"

int fs_make_files(const struct race_cfg *cfg, const char *dir, char *err,
		  size_t errlen)
{
	static char block[65536];
	unsigned n = cfg->eo.nfiles;

	memset(block, 'l', sizeof(block));
	for (unsigned i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), ENGINE_FILE_FMT, dir, i);
		/* --mount: a file there already at full size is kept */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size >= ENGINE_FILE_SIZE)
			continue;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			goto fail;
		for (size_t off = 0; off < ENGINE_FILE_SIZE; off += sizeof(block))
			if (write(fd, block, sizeof(block)) != sizeof(block)) {
				close(fd);
				goto fail;
			}
		if (close(fd) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "files in %s: %s", dir, strerror(errno));
	return -1;
}

int other_fs_setup(struct lane_env *env, char *err, size_t errlen)
{
	const struct race_cfg *cfg = env->cfg;

	if (cfg->fs != FS_DIR)
		return 0;
	/* Named after the lane and lagrace's pid: lanes and runs that
	 * share DIR do not meet. */
	snprintf(env->back, sizeof(env->back), "%s/lagrace-%d-lane%u",
		 cfg->fs_dir, (int)getppid(), env->lane);
	if (mkdir(env->back, 0700) < 0) {
		snprintf(err, errlen, "--fs-dir: %s: %s", env->back,
			 strerror(errno));
		env->back[0] = '\0';
		return -1;
	}
	return fs_make_files(cfg, env->back, err, errlen);
}

int other_fs_mount(struct lane_env *env, char *err, size_t errlen)
{
	if (env->cfg->fs == FS_DIR) {
		if (mount(env->back, env->mnt, NULL, MS_BIND, NULL) == 0)
			return 0;
		snprintf(err, errlen, "bind mount of %s: %s", env->back,
			 strerror(errno));
		return -1;
	}
	if (mount("lagrace-fs", env->mnt, "tmpfs", MS_NOSUID | MS_NODEV,
		  "mode=0700") < 0) {
		snprintf(err, errlen, "tmpfs on %s: %s", env->mnt,
			 strerror(errno));
		return -1;
	}
	if (fs_make_files(env->cfg, env->mnt, err, errlen) == 0)
		return 0;
	umount2(env->mnt, MNT_DETACH);
	return -1;
}

void other_fs_leave(struct lane_env *env)
{
	char what[PATH_MAX];

	if (env->cfg->fs != FS_DIR || !env->back[0])
		return;
	if (workdir_remove_tree(env->back, what, sizeof(what)) < 0 &&
	    errno != ENOENT)
		fprintf(stderr, "lagrace: lane %u: %s: %s\n", env->lane, what,
			strerror(errno));
}
