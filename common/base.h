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
#define NORETURN __attribute__((noreturn))

#endif
