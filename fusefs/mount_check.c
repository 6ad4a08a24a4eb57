#include "mount_check.h"

#include <string.h>

#include "mountinfo.h"

static int is_point(const char *point, const char *fstype, void *path)
{
	(void)fstype;
	return strcmp(point, path) == 0;
}

bool mount_check_mounted(const char *path)
{
	return mountinfo_each(is_point, (void *)path) == 1;
}
