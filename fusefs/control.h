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
 *
 * The same thread also takes SIGHUP (through a signalfd) and reloads.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>

#include "lagfs.h"

struct control;

/*
 * Start serving. path may be NULL (no socket: SIGHUP only). sighup_fd is a
 * signalfd for SIGHUP or -1. NULL with err set (one line) on failure.
 */
struct control *control_start(struct lagfs *fs, const char *path,
			      int sighup_fd, char *err, size_t errlen);
/* Stop the thread, close and unlink the socket. */
void control_stop(struct control *ctl);

/* Run one command line, writing the one-line answer (no newline) to out. */
void control_command(struct lagfs *fs, const char *line, char *out,
		     size_t cap);

#endif
