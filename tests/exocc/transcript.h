/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/transcript.h: the exo-cc tests' one comparison: a program's
 * output against the transcript it must print, line by line, saying where
 * they first differ.
 */
#ifndef TESTS_EXOCC_TRANSCRIPT_H
#define TESTS_EXOCC_TRANSCRIPT_H

#include <criterion/criterion.h>
#include <string.h>

static inline void assert_transcript(const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;
	while (*g && *w) {
		size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
		cr_assert(gl == wl && !strncmp(g, w, gl), "line %d: want \"%.*s\", got \"%.*s\"\nwhole output:\n%s",
			  line, (int)wl, w, (int)gl, g, got);
		g += gl + (g[gl] == '\n');
		w += wl + (w[wl] == '\n');
		line++;
	}
	cr_assert(!*g && !*w, "line %d: want \"%.40s\", got \"%.40s\"\nwhole output:\n%s", line, w, g, got);
}

#endif
