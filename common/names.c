#include "names.h"

#include <stdio.h>
#include <string.h>

int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

const char *name_join(const char *const *names, size_t n, const char *sep,
		      const char *last, char *buf, size_t cap)
{
	size_t len = 0, left = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		left += names[i] != NULL;
	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		len += (size_t)snprintf(buf + (len < cap ? len : cap),
					len < cap ? cap - len : 0, "%s%s",
					!k ? "" : k + 1 == left ? last : sep,
					names[i]);
		k++;
	}
	return buf;
}
