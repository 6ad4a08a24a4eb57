#include "report_err.h"

#include <stdio.h>
#include <stdlib.h>

static const char *prog = "lagfs";

void set_prog_name(const char *name)
{
	prog = name;
}

const char *prog_name(void)
{
	return prog;
}

static void vreport(const char *fmt, va_list ap)
{
	/* One write of the whole line, so lines of several processes
	 * sharing stderr do not interleave. */
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		n = 0;
	fprintf(stderr, "%s: %.*s\n", prog, n < (int)sizeof(line) ? n
						: (int)sizeof(line) - 1, line);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(1);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	exit(2);
}

int error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	return -1;
}

int errf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (buf && cap) {
		va_start(ap, fmt);
		vsnprintf(buf, cap, fmt, ap);
		va_end(ap);
	}
	return -1;
}
