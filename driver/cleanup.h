/*
 * cleanup: `lagrace cleanup` removes what runs of lagrace that are no longer
 * alive left behind, for when the kernel could not do it (lagrace and its
 * lanes killed at once with SIGKILL, a machine that lost power):
 *   - mounts under their temporary directories (a lagfs killed with
 *     --no-namespace or --fusermount leaves its mount dead: "Transport
 *     endpoint is not connected");
 *   - the directories themselves, $TMPDIR/lagrace.PID.XXXXXX;
 *   - tracefs instances named lagrace-PID, and kprobe events of the group
 *     lagrace_PID, whose PID is no running lagrace (tracefs.h reaches
 *     them whether or not tracefs is mounted anywhere).
 * It prints one line per thing removed, and never touches anything of a run
 * that is still alive (workdir.h says how it knows). Exit status 0 when
 * nothing is left behind, 1 when something could not be removed (one line
 * each, saying why), 2 on usage errors.
 */
#ifndef CLEANUP_H
#define CLEANUP_H

/* argv[0] is "cleanup". Returns the exit status. */
int cleanup_main(int argc, char **argv);

#endif
