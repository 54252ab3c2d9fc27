/* SPDX-License-Identifier: MIT */
/*
 * hv/core/parse.c: the words of a guest's command line that both
 * platforms accept (`exo run` options on kvm, module command lines on
 * metal), parsed once so that they mean the same everywhere.
 */
#include "core.h"

static int is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int hv_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	uint64_t v = 0;
	*why = "malformed size (use e.g. 64M, 1G or 4096)";
	if (!s || *s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10) {
			*why = "size too large";
			return -1;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	unsigned shift = 0;
	switch (lower(*s)) {
	case 'k': shift = 10; break;
	case 'm': shift = 20; break;
	case 'g': shift = 30; break;
	case 't': shift = 40; break;
	}
	if (shift) {
		s++;
		if (lower(s[0]) == 'i' && lower(s[1]) == 'b' && !s[2])
			s += 2;
		else if (lower(s[0]) == 'b' && !s[1])
			s++;
	}
	if (*s)
		return -1;
	if (v > (UINT64_MAX >> shift)) {
		*why = "size too large";
		return -1;
	}
	v <<= shift;
	if (v == 0) {
		*why = "size must be greater than zero";
		return -1;
	}
	if (v % EXO_PAGE_SIZE) {
		*why = "size must be a whole number of 4 KiB frames";
		return -1;
	}
	*bytes = v;
	*why = 0;
	return 0;
}

int hv_parse_ring(const char *s, uint32_t *ring)
{
	if (is(s, "auto"))
		*ring = EXO_RING_AUTO;
	else if (is(s, "0"))
		*ring = EXO_RING_0;
	else if (is(s, "3"))
		*ring = EXO_RING_3;
	else
		return -1;
	return 0;
}
