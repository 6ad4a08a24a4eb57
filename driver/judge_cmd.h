/*
 * judge_cmd: `lagrace judge LOG --mark TEXT | --reaped-at NS` gives the
 * verdict of lagrace's iterations (verdict.c, the same code) for a lagfs
 * log written under any harness: the harness kills and reaps its workload,
 * marks the reap in the log (the control channel's "mark TEXT") and says
 * whether its first unmount after the reap failed with EBUSY (--ebusy).
 * Every file opened on the mount before the reap counts as the workload's.
 */
#ifndef JUDGE_CMD_H
#define JUDGE_CMD_H

/* argv[0] is "judge". Exit status: as lagrace's --expect (0 met, 1 not,
 * or without --expect 1 only when the verdict is an error); 2 for usage
 * errors, a log that cannot be read or lacks the mark. */
int judge_main(int argc, char **argv);

#endif
