/*
 * procfs: what /proc says of a process that lagrace and the benchmarks
 * ask: its name, state, parent, group, flags and CPU time (/proc/PID/stat),
 * and its threads and memory (/proc/PID/status).
 */
#ifndef PROCFS_H
#define PROCFS_H

#include <stdint.h>
#include <sys/types.h>

#define PROC_PF_EXITING 0x4  /* task flag: do_exit() has begun */

struct proc_stat {
	char comm[32];            /* its name (field 2), cut to fit */
	char state;               /* R, S, D, Z, ... */
	pid_t ppid, pgrp;         /* its parent, its process group */
	unsigned long flags;      /* PF_* */
	uint64_t cpu_us;          /* user + system time so far */
};

/* 0, or -1 with errno set (e.g. ENOENT: the process is gone). */
int proc_stat_read(pid_t pid, struct proc_stat *ps);

struct proc_status {
	long threads, vmrss_kb, vmhwm_kb;   /* -1 where not found */
};

/* 0, or -1 with errno set. */
int proc_status_read(pid_t pid, struct proc_status *ps);

#endif
