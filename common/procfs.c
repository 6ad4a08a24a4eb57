#include "procfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "small_file.h"

int proc_stat_read(pid_t pid, struct proc_stat *ps)
{
	char path[64], buf[1024], *p, *name;
	unsigned long long ut, st;
	int ppid, pgrp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (small_file_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	/* The name (field 2) may hold spaces and parens: the fields we want
	 * follow its last ')': state (3), ppid (4), pgrp (5), flags (9),
	 * utime (14), stime (15). */
	p = strrchr(buf, ')');
	name = strchr(buf, '(');
	if (!p || !name || name > p ||
	    sscanf(p + 1, " %c %d %d %*d %*d %*d %lu %*u %*u %*u %*u %llu %llu",
		   &ps->state, &ppid, &pgrp, &ps->flags, &ut, &st) != 6) {
		errno = EINVAL;
		return -1;
	}
	snprintf(ps->comm, sizeof(ps->comm), "%.*s", (int)(p - name - 1),
		 name + 1);
	ps->ppid = ppid;
	ps->pgrp = pgrp;
	ps->cpu_us = (ut + st) * 1000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	return 0;
}

int proc_status_read(pid_t pid, struct proc_status *ps)
{
	char path[64], line[256];
	FILE *f;

	ps->threads = ps->vmrss_kb = ps->vmhwm_kb = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Threads: %ld", &ps->threads);
		sscanf(line, "VmRSS: %ld", &ps->vmrss_kb);
		sscanf(line, "VmHWM: %ld", &ps->vmhwm_kb);
	}
	fclose(f);
	if (ps->threads < 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
