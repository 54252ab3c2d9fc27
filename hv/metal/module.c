/* SPDX-License-Identifier: MIT */
/*
 * hv/metal/module.c: a guest module's command line.
 *
 *   [--name NAME] [--mem SIZE] [--ring auto|0|3] [--wait] ARGV0 [ARGS...]
 *
 * The options mean what `exo run`'s guest options mean on kvm (sizes and
 * rings through hv/core's parsers, so "64MiB" is accepted on both); ARGV0
 * and ARGS become the guest's argv, and ARGV0 is its name unless --name
 * gives one. --wait is metal's own: GRUB's modules all start at once, and
 * a guest that needs the whole pool (or must not overlap the others) waits
 * until every guest before it on the list has ended. Pure C over its
 * arguments, so the host's unit tests (tests/metal/test_module.c) run it.
 */
#include "metal.h"

static int is(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int metal_module_parse(const char *cmdline, uint64_t mem_default, struct metal_spec *s,
		       const char **why)
{
	uint64_t n = 0;
	while (cmdline[n])
		n++;
	s->name = 0;
	s->named = 0;
	s->mem_bytes = mem_default;
	s->ring = EXO_RING_AUTO;
	s->wait = 0;
	s->argc = 0;
	if (n >= sizeof s->buf) {
		*why = "command line too long";
		return -1;
	}
	memcpy(s->buf, cmdline, n + 1);
	char *word[METAL_ARGS_MAX + 8];
	int nw = 0;
	for (char *p = s->buf; *p;) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		if (nw == (int)(sizeof word / sizeof word[0])) {
			*why = "too many arguments";
			return -1;
		}
		word[nw++] = p;
		while (*p && *p != ' ')
			p++;
	}
	int i = 0;
	for (; i < nw && word[i][0] == '-' && word[i][1] == '-'; i++) {
		const char *opt = word[i], *val = i + 1 < nw ? word[i + 1] : 0;
		if (is(opt, "--wait")) {
			s->wait = 1;
			continue;
		}
		if (!is(opt, "--name") && !is(opt, "--mem") && !is(opt, "--ring")) {
			*why = "unknown option (the options are --name, --mem, --ring and --wait)";
			return -1;
		}
		if (!val) {
			*why = "option needs a value";
			return -1;
		}
		i++;
		if (is(opt, "--name")) {
			s->name = val;
			s->named = 1;
		} else if (is(opt, "--mem")) {
			if (hv_parse_size(val, &s->mem_bytes, why) < 0)
				return -1;
		} else if (hv_parse_ring(val, &s->ring) < 0) {
			*why = "--ring takes auto, 0 or 3";
			return -1;
		}
	}
	if (i == nw) {
		*why = "no guest named (the line ends after its options)";
		return -1;
	}
	if (nw - i > METAL_ARGS_MAX) {
		*why = "too many arguments";
		return -1;
	}
	for (; i < nw; i++)
		s->argv[s->argc++] = word[i];
	if (!s->name)
		s->name = s->argv[0];
	return 0;
}
