#include "xpthread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_err.h"

void pthread_check(int rc, const char *what)
{
	if (rc == 0)
		return;
	fprintf(stderr, "%s: %s: %s\n", prog_name(), what, strerror(rc));
	abort();
}
