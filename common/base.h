/*
 * base: the few macros every part of lagfs and lagrace uses.
 */
#ifndef BASE_H
#define BASE_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + \
	0 * sizeof(struct { int not_an_array : \
		!__builtin_types_compatible_p(__typeof__(a), \
					      __typeof__(&(a)[0])); }))

#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/*
 * In a printf-like function whose last named parameter is fmt: the array
 * buf gets the text of fmt and the function's other arguments, cut to fit
 * (needs <stdarg.h> and <stdio.h>).
 */
#define VA_FORMAT(buf, fmt) do {					\
	va_list va_format_ap;						\
									\
	va_start(va_format_ap, fmt);					\
	vsnprintf(buf, ARRAY_SIZE(buf), fmt, va_format_ap);		\
	va_end(va_format_ap);						\
} while (0)
#define NORETURN __attribute__((noreturn))

#endif
