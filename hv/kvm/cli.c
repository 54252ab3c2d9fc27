/*
 * hv/kvm/cli.c: the `exo run` command line.
 *
 *   exo run [--mem SIZE] [--pool SIZE] [--ring auto|0|3] [--stats]
 *           [--root DIR] [--env K=V]... IMAGE [ARGS...]
 *
 * Options stop at IMAGE; everything after it belongs to the guest. Sizes
 * take K, M or G (powers of 1024, an optional "iB" or "B" after) and must be
 * whole 4 KiB frames, non-zero and no larger than this machine's memory.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "kvm.h"
#include "config.h"


int kvm_parse_size(const char *s, uint64_t *bytes, const char **why)
{
	char *end;
	if (!isdigit((unsigned char)s[0])) {
		*why = "malformed size (use e.g. 64M, 1G or 4096)";
		return -1;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	}
	if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
		end += strlen(end);
	if (*end != '\0' || errno == ERANGE) {
		*why = "malformed size (use e.g. 64M, 1G or 4096)";
		return -1;
	}
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
	return 0;
}

static uint64_t machine_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

static int size_option(const char *name, const char *arg, uint64_t *out)
{
	const char *why;
	if (!arg)
		return kvm_fail(HV_STATUS_USAGE, "%s: missing SIZE\n" KVM_USAGE, name);
	if (kvm_parse_size(arg, out, &why) < 0)
		return kvm_fail(HV_STATUS_USAGE, "%s %s: %s", name, arg, why);
	if (*out > machine_bytes())
		return kvm_fail(HV_STATUS_USAGE, "%s %s: larger than this machine's memory (%llu MiB)",
				name, arg, (unsigned long long)(machine_bytes() >> 20));
	return 0;
}

int kvm_parse_run(int argc, char **argv, struct kvm_options *o)
{
	int i, rc;
	*o = (struct kvm_options){
		.mem_bytes = (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB << 20,
		.pool_bytes = (uint64_t)CONFIG_POOL_DEFAULT_MIB << 20,
		.ring = EXO_RING_AUTO,
		.root = ".",
	};
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--mem")) {
			if ((rc = size_option(a, argv[i + 1], &o->mem_bytes)))
				return rc;
			i++;
		} else if (!strcmp(a, "--pool")) {
			if ((rc = size_option(a, argv[i + 1], &o->pool_bytes)))
				return rc;
			i++;
		} else if (!strcmp(a, "--ring")) {
			const char *r = argv[i + 1];
			if (!r)
				return kvm_fail(HV_STATUS_USAGE, "--ring: missing auto, 0 or 3\n" KVM_USAGE);
			if (!strcmp(r, "auto"))
				o->ring = EXO_RING_AUTO;
			else if (!strcmp(r, "0"))
				o->ring = EXO_RING_0;
			else if (!strcmp(r, "3"))
				o->ring = EXO_RING_3;
			else
				return kvm_fail(HV_STATUS_USAGE, "--ring %s: must be auto, 0 or 3", r);
			i++;
		} else if (!strcmp(a, "--root")) {
			if (!argv[i + 1])
				return kvm_fail(HV_STATUS_USAGE, "--root: missing DIR\n" KVM_USAGE);
			o->root = argv[++i];
		} else if (!strcmp(a, "--env")) {
			const char *kv = argv[i + 1];
			if (!kv)
				return kvm_fail(HV_STATUS_USAGE, "--env: missing K=V\n" KVM_USAGE);
			if (kv[0] == '=' || !strchr(kv, '='))
				return kvm_fail(HV_STATUS_USAGE, "--env %s: must be NAME=VALUE", kv);
			if (o->envc == EXO_ARGC_MAX)
				return kvm_fail(HV_STATUS_USAGE, "--env: more than %u variables",
						EXO_ARGC_MAX);
			o->envp[o->envc++] = argv[++i];
		} else if (!strcmp(a, "--stats")) {
			o->stats = 1;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else {
			return kvm_fail(HV_STATUS_USAGE, "unknown option %s\n" KVM_USAGE, a);
		}
	}
	if (i >= argc)
		return kvm_fail(HV_STATUS_USAGE, "missing IMAGE\n" KVM_USAGE);
	if (o->mem_bytes > o->pool_bytes)
		return kvm_fail(HV_STATUS_USAGE, "--mem (%llu KiB) is larger than --pool (%llu KiB)",
				(unsigned long long)(o->mem_bytes >> 10),
				(unsigned long long)(o->pool_bytes >> 10));
	o->image = argv[i];
	o->argc = argc - i;
	o->argv = argv + i;
	return 0;
}
