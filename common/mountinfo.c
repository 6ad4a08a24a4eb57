#include "mountinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mountinfo_unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int mountinfo_each(int (*fn)(const char *point, const char *fstype,
			     void *arg), void *arg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, *save, *point, *dash, *fstype;
	size_t cap = 0;
	int r = 0;

	if (!f)
		return -1;
	while (!r && getline(&line, &cap, f) > 0) {
		/* id, parent, major:minor, root, then the mount point; after
		 * the optional fields, " - " and the filesystem type */
		dash = strstr(line, " - ");
		fstype = dash ? strtok_r(dash + 3, " \n", &save) : NULL;
		if (dash)
			*dash = '\0';
		point = strtok_r(line, " ", &save);
		for (int i = 0; point && i < 4; i++)
			point = strtok_r(NULL, " ", &save);
		if (!point)
			continue;
		mountinfo_unescape(point);
		r = fn(point, fstype ? fstype : "?", arg);
	}
	free(line);
	fclose(f);
	return r;
}
