/*
 * json.h - the small pieces every JSON-writing renderer needs: strings
 * escaped so that the output is valid JSON and safe inside an HTML
 * <script> element, and integers written without printf.
 *
 * Input strings are UTF-8 (the .pyro reader sanitizes every string); they
 * are copied as is except for the characters JSON or HTML give a meaning.
 */
#ifndef PYRO_UTIL_JSON_H
#define PYRO_UTIL_JSON_H

#include <stdint.h>
#include <stdio.h>

/* Write s as a quoted JSON string. '"', '\\' and control characters are
 * escaped as JSON requires; '<', '>', '&' and U+2028/U+2029 as \uXXXX so
 * that the text can sit in a <script> block without ending it. */
void pyro_json_str(FILE *out, const char *s);
/* The same, for n bytes (may hold NUL). */
void pyro_json_strn(FILE *out, const char *s, size_t n);
void pyro_json_u64(FILE *out, uint64_t v);
void pyro_json_i64(FILE *out, int64_t v);
/* A finite double with up to `digits` significant digits; NaN and
 * infinities (which JSON lacks) are written as 0. */
void pyro_json_double(FILE *out, double v, int digits);

#endif
