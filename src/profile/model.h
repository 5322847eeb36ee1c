/*
 * model.h - internal helpers shared by the .pyro writer and reader.
 */
#ifndef PYRO_PROFILE_MODEL_H
#define PYRO_PROFILE_MODEL_H

#include "profile/profile.h"

/* Grow *v to hold want elements. Returns 0, -E2BIG past PYRO_MAX_TABLE, or
 * -ENOMEM; *v is unchanged on failure. */
int pyro_grow(void **v, size_t *cap, size_t want, size_t elem);
/* Append a copy of s (n bytes, may hold NULs) to the string table. */
int pyro_profile_add_string(struct pyro_profile *p, const char *s, size_t n);

#endif
