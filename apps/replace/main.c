/* SPDX-License-Identifier: MIT */
/*
 * apps/replace: the guest image of the replacement benchmark
 * (apps/replace/bench.sh): Cao, Felten and Li's application-controlled
 * replacement on exo, and how long revocation takes.
 *
 *   replace scan PAGES PASSES [policy=clock|mru] [notify=NAME]
 *        libos/vm guest: PAGES pages that must be kept (no rebuild
 *        handler: what it gives up goes to libos/vm's swap file), written
 *        once, then PASSES cyclic scans in less memory than that once
 *        NAME has taken its frames (scan.c)
 *   replace press FRAMES [rings=K] [done=NAME]
 *        raw guest: takes FRAMES frames after K guests rang it, timing
 *        each allocation, rings NAME and holds them until NAME ends
 *        (press.c)
 *
 * Exit status 0; 1 with a "replace: MODE: ..." line saying what went
 * wrong; 2 for a usage error.
 */
#include "replace.h"

static const char *mode = "?";

int replace_fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("replace: %s: %s\n", mode, buf);
	return 1;
}

uint64_t replace_ns(uint64_t cycles)
{
	return cycles * 1000000 / exo_page()->tsc_khz;
}

/* A decimal number, or 0 for anything else. */
static uint64_t parse(const char *s)
{
	uint64_t n = 0;
	for (; *s >= '0' && *s <= '9' && n < 100000000; s++)
		n = n * 10 + (uint64_t)(*s - '0');
	return *s ? 0 : n;
}

static int usage(void)
{
	exo_printf("replace: usage: replace scan PAGES PASSES [policy=clock|mru] [notify=NAME] | "
		   "replace press FRAMES [rings=K] [done=NAME]; PAGES 1..%u, PASSES 1..1000, "
		   "FRAMES 1..%u\n", REPLACE_PAGES_MAX, REPLACE_FRAMES_MAX);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	mode = argv[1];
	if (!exo_page()->tsc_khz)
		return replace_fail("the host gives no TSC rate: nothing to time with");
	if (!strcmp(mode, "scan")) {
		uint64_t pages = parse(argv[2]), passes = argc > 3 ? parse(argv[3]) : 0;
		const char *notify = NULL;
		int mru = 0;
		for (int i = 4; i < argc; i++) {
			if (!strcmp(argv[i], "policy=mru"))
				mru = 1;
			else if (!strcmp(argv[i], "policy=clock"))
				mru = 0;
			else if (!strncmp(argv[i], "notify=", 7) && argv[i][7])
				notify = argv[i] + 7;
			else
				return usage();
		}
		if (!pages || pages > REPLACE_PAGES_MAX || !passes || passes > 1000)
			return usage();
		return replace_scan(pages, passes, mru, notify);
	}
	if (!strcmp(mode, "press")) {
		uint64_t frames = parse(argv[2]), rings = 0;
		const char *done = NULL;
		for (int i = 3; i < argc; i++) {
			if (!strncmp(argv[i], "rings=", 6) && parse(argv[i] + 6))
				rings = parse(argv[i] + 6);
			else if (!strncmp(argv[i], "done=", 5) && argv[i][5])
				done = argv[i] + 5;
			else
				return usage();
		}
		if (!frames || frames > REPLACE_FRAMES_MAX)
			return usage();
		return replace_press(frames, rings, done);
	}
	return usage();
}
