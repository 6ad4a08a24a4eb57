/*
 * control: lagfs's control channel, a unix stream socket (mode 0600) taking
 * one command per line and answering each with one line, "ok ..." or
 * "error: ...". Commands:
 *
 *   ping                 ok
 *   release [GLOB]       let parked requests go now (those whose path
 *                        matches GLOB, or all): "ok released N"
 *   add RULE             append a rule: "ok N rules"
 *   set RULE [; RULE]... replace all rules: "ok N rules"
 *   clear                remove all rules: "ok 0 rules"
 *   reload               re-read --rule and --rules FILE (as SIGHUP does;
 *                        rules added here are dropped): "ok N rules"
 *   rules                "ok N rules: RULE; RULE; ..."
 *   stats                "ok {JSON object of counters}"
 *   help [COMMAND]       "ok commands: ping, release [GLOB], ..." or what
 *                        COMMAND does
 *
 * The commands are a table in control.c (name, arguments, handler, help
 * line); help answers from it.
 *
 * The same thread also takes SIGHUP (through a signalfd) and reloads.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

#include "lagfs.h"

struct control;

/*
 * Make the socket (before mounting, so that a bad path stops lagfs before
 * anything is mounted). path (absolute) may be NULL: no socket, SIGHUP
 * only; shown is the path as the user gave it, for messages. A socket that
 * refuses connections is replaced; anything else at path (a file, a
 * directory, a live socket) is left alone and is an error. NULL with err
 * set (one line) on failure.
 */
struct control *control_open(const char *path, const char *shown, char *err,
			     size_t errlen);
/*
 * Start the thread that serves the socket and sighup_fd (a signalfd for
 * SIGHUP, or -1). After daemonizing: fork keeps no threads. -1 with err set.
 */
int control_start(struct control *ctl, struct lagfs *fs, int sighup_fd,
		  char *err, size_t errlen);
/* Stop the thread (if started), close the socket and remove its file. */
void control_stop(struct control *ctl);

/* Run one command line, writing the one-line answer (no newline) to out. */
void control_command(struct lagfs *fs, const char *line, char *out,
		     size_t cap);

#endif
