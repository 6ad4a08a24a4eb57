/*
 * utf8: the one UTF-8 validator, for the event log (a path that is not
 * valid UTF-8 is logged lossy, with its bytes in hex) and the SVG (text
 * that is not valid UTF-8 is drawn as '?').
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/*
 * Length of the valid UTF-8 sequence starting at p (1..4) within the n
 * bytes there, or 0 if none starts at p. Follows Unicode's table 3-7, which
 * rules out overlongs, UTF-16 surrogates and code points above U+10FFFF.
 */
size_t utf8_len(const unsigned char *p, size_t n);

#endif
