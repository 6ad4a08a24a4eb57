/*
 * report_err: how lagfs and lagrace say what went wrong, in the manner of
 * git's usage.c. Every message is one line, "PROG: what: why", where PROG
 * is the program's name (set once in main with set_prog_name()).
 *
 *   die()        an error that ends the program: exit status 1
 *   die_usage()  bad input from the user (usage error): exit status 2
 *   error()      print the line and return -1, for callers that go on
 *   errf()       format the message into a caller's buffer (for errors
 *                that travel up before anyone prints them): returns -1
 */
#ifndef REPORT_ERR_H
#define REPORT_ERR_H

#include <stdarg.h>
#include <stddef.h>

#include "base.h"

void set_prog_name(const char *name);
const char *prog_name(void);

PRINTF(1, 2) NORETURN void die(const char *fmt, ...);
PRINTF(1, 2) NORETURN void die_usage(const char *fmt, ...);
PRINTF(1, 2) int error(const char *fmt, ...);
PRINTF(3, 4) int errf(char *buf, size_t cap, const char *fmt, ...);

#endif
