/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/cli.c: the `exo run` command line.
 *
 *   exo run [OPTIONS] IMAGE [ARGS...]
 *   exo run [OPTIONS] --guest [GUEST OPTIONS] IMAGE [ARGS...] [--guest ...]...
 *
 * OPTIONS: --pool SIZE, --stats, --timeout SECONDS and --cpu-limit
 * SECONDS, which are for the whole run, and the
 * defaults for every guest: --mem SIZE, --ring auto|0|3, --root DIR,
 * --env K=V. GUEST OPTIONS: --name NAME and the four defaults again, which
 * override them (a guest's --env replaces a default of the same name, or
 * adds to them). Options stop at IMAGE. In the first form everything after
 * IMAGE is the guest's; in the second a guest's ARGS run up to the next
 * argument that is exactly "--guest". "--" ends the options, so an IMAGE
 * may start with '-'.
 *
 * Sizes are hv_parse_size's (hv/core/parse.c) and no larger than this
 * machine's memory; rings are hv_parse_ring's. Without --pool the pool is
 * the configured default or the sum of the guests' --mem, whichever is
 * larger; with it, no guest's --mem may exceed it.
 *
 * SECONDS is a decimal number greater than 0 (at most 9 fraction digits
 * and 10^9 seconds): --timeout is wall time from exo's start, for every
 * guest; --cpu-limit is CPU time, each guest's own.
 *
 * Names: a guest is named by --name, or else by its IMAGE's basename
 * (characters a name cannot hold made '_', cut to EXO_NAME_MAX), and if
 * another guest has that name, basename-2, basename-3... An explicit name
 * that is not a valid name or that two guests give is a usage error.
 * Every error is one line that names the word at fault and says what
 * would be right, and HV_STATUS_USAGE.
 *
 * Every option that takes a value takes it as the next word or after
 * '=' (--mem 64M, --mem=64M), as getopt_long does; the hand parser stays
 * because a guest's ARGS after IMAGE must never be read as exo's.
 * --help (-h) anywhere among the options sets opts->help and stops.
 * --trace[=FILE] (trace.c) takes its FILE only after '=' (a bare --trace
 * is stderr), so that IMAGE is never taken for a FILE.
 *
 * --gdb PORT (or --gdb=PORT) debugs one guest (gdb.c): in the first form
 * before IMAGE, in the second among that guest's options after its
 * --guest (before the first --guest it is an error: it would name every
 * guest); two guests cannot share a PORT.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "config.h"

static uint64_t machine_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : UINT64_MAX;
}

/* What each option's value is, for "missing" errors. */
static const struct {
	const char *name, *what;
} values[] = {
	{ "--mem", "SIZE, e.g. --mem 64M" },
	{ "--pool", "SIZE, e.g. --pool 1G" },
	{ "--ring", "auto, 0 or 3" },
	{ "--root", "DIR" },
	{ "--env", "K=V" },
	{ "--name", "NAME" },
	{ "--gdb", "PORT, e.g. --gdb 1234" },
	{ "--timeout", "SECONDS, e.g. --timeout 10" },
	{ "--cpu-limit", "SECONDS, e.g. --cpu-limit 0.5" },
	{ "--user", "NAME" },
};

static int missing(const char *name)
{
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		if (!strcmp(values[i].name, name))
			return kvm_fail(HV_STATUS_USAGE, "%s: missing %s", name, values[i].what);
	return kvm_fail(HV_STATUS_USAGE, "%s: missing its value", name);
}

/* Whether argv[*i] is option name, as "NAME VALUE" or "NAME=VALUE": 1
 * with *v its value (NULL: there is none) and *i at the last word it
 * used; 0 if argv[*i] is another word. */
static int takes(int argc, char **argv, int *i, const char *name, char **v)
{
	char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return 0;
	if (a[n] == '=')
		*v = a + n + 1;
	else
		*v = *i + 1 < argc ? argv[++*i] : NULL;
	return 1;
}

static int is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

static int size_option(const char *name, const char *arg, uint64_t *out)
{
	const char *why;
	if (!arg)
		return missing(name);
	if (hv_parse_size(arg, out, &why) < 0)
		return kvm_fail(HV_STATUS_USAGE, "%s %s: %s", name, arg, why);
	if (*out > machine_bytes())
		return kvm_fail(HV_STATUS_USAGE, "%s %s: too large: this machine has %llu MiB "
				"of memory", name, arg,
				(unsigned long long)(machine_bytes() >> 20));
	return 0;
}

/* SECONDS: digits, optionally '.' and up to 9 more; more than 0 and at
 * most 10^9 seconds. Parsed by hand: strtod would take "inf", "nan", hex
 * and leading blanks. */
static int seconds_option(const char *name, const char *arg, uint64_t *ns)
{
	uint64_t sec = 0, frac = 0, scale = 1000000000u;
	const char *c = arg;
	if (!arg)
		return missing(name);
	for (; *c >= '0' && *c <= '9'; c++)
		if ((sec = sec * 10 + (uint64_t)(*c - '0')) > 1000000000u)
			sec = 1000000001u; /* too many: said below */
	int digits = c != arg;
	if (*c == '.')
		for (c++; *c >= '0' && *c <= '9' && scale > 1; c++, digits = 1)
			frac += (uint64_t)(*c - '0') * (scale /= 10);
	if (digits && *c >= '0' && *c <= '9')
		return kvm_fail(HV_STATUS_USAGE, "%s %s: at most 9 digits after the point "
				"(nanoseconds)", name, arg);
	if (!digits || *c)
		return kvm_fail(HV_STATUS_USAGE, "%s %s: SECONDS must be a decimal number such as "
				"10 or 0.5", name, arg);
	if (sec > 1000000000u || (sec == 1000000000u && frac))
		return kvm_fail(HV_STATUS_USAGE, "%s %s: more than 1000000000 seconds", name, arg);
	*ns = sec * 1000000000u + frac;
	if (!*ns)
		return kvm_fail(HV_STATUS_USAGE, "%s %s: must be more than 0", name, arg);
	return 0;
}

/* --gdb PORT or --gdb=PORT at argv[*i]: 1 (*i moved past PORT), 0 if it
 * is another option, or -status. PORT: decimal, 1 to 65535. */
static int gdb_option(int argc, char **argv, int *i, unsigned *port)
{
	char *v;
	if (!takes(argc, argv, i, "--gdb", &v))
		return 0;
	if (!v)
		return -missing("--gdb");
	unsigned long n = 0;
	const char *c = v;
	for (; *c >= '0' && *c <= '9' && n <= 65535; c++)
		n = n * 10 + (unsigned long)(*c - '0');
	if (c == v || *c || n == 0 || n > 65535)
		return -kvm_fail(HV_STATUS_USAGE, "--gdb %s: PORT must be a TCP port number, "
				 "1 to 65535", v);
	*port = (unsigned)n;
	return 1;
}

/* Add kv to the guest's environment; with replace, in place of one of the
 * same name (a guest's own --env over the defaults). */
static int env_option(struct kvm_guest_opts *g, char *kv, int replace)
{
	if (!kv)
		return missing("--env");
	if (kv[0] == '=' || !strchr(kv, '='))
		return kvm_fail(HV_STATUS_USAGE, "--env %s: must be NAME=VALUE", kv);
	size_t klen = (size_t)(strchr(kv, '=') - kv) + 1;
	for (int i = 0; replace && i < g->envc; i++)
		if (!strncmp(g->envp[i], kv, klen)) {
			g->envp[i] = kv;
			return 0;
		}
	if (g->envc == EXO_ARGC_MAX)
		return kvm_fail(HV_STATUS_USAGE, "--env: more than %u variables", EXO_ARGC_MAX);
	g->envp[g->envc++] = kv;
	return 0;
}

/* One of the options a guest takes (its default or its own) at argv[*i]:
 * 1 if it was one (*i moved past its argument), 0 if not, or -status. */
static int guest_option(int argc, char **argv, int *i, struct kvm_guest_opts *g, int own)
{
	char *v;
	int rc;
	if (takes(argc, argv, i, "--mem", &v)) {
		if ((rc = size_option("--mem", v, &g->mem_bytes)))
			return -rc;
	} else if (takes(argc, argv, i, "--ring", &v)) {
		if (!v)
			return -missing("--ring");
		if (hv_parse_ring(v, &g->ring) < 0)
			return -kvm_fail(HV_STATUS_USAGE, "--ring %s: must be auto, 0 or 3", v);
	} else if (takes(argc, argv, i, "--root", &v)) {
		if (!v || !*v)
			return -missing("--root");
		g->root = v;
	} else if (takes(argc, argv, i, "--env", &v)) {
		if ((rc = env_option(g, v, own)))
			return -rc;
	} else {
		return 0;
	}
	return 1;
}

/* A name a guest can have: hv_guest_add's rule, checked here so that a
 * bad --name is a usage error before anything starts. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > EXO_NAME_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f || *s == '/')
			return 0;
	return 1;
}

/* Whether a guest other than self has name. */
static int name_taken(const struct kvm_options *o, const struct kvm_guest_opts *self,
		      const char *name)
{
	for (int i = 0; i < o->nguests; i++)
		if (&o->guest[i] != self && !strcmp(o->guest[i].name, name))
			return 1;
	return 0;
}

/* The default name: IMAGE's basename made a valid name, numbered past
 * the names other guests have. */
static void default_name(struct kvm_options *o, struct kvm_guest_opts *g)
{
	char base[EXO_NAME_MAX + 1];
	/* Every guest has its image by now (kvm_parse_run fails without one):
	 * NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	const char *slash = strrchr(g->image, '/');
	snprintf(base, sizeof base, "%s", slash ? slash + 1 : g->image);
	if (!base[0])
		snprintf(base, sizeof base, "guest");
	for (char *c = base; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			*c = '_';
	snprintf(g->name, sizeof g->name, "%s", base);
	for (unsigned n = 2; name_taken(o, g, g->name); n++) {
		char suffix[16];
		int sl = snprintf(suffix, sizeof suffix, "-%u", n);
		snprintf(g->name, sizeof g->name, "%.*s%s", EXO_NAME_MAX - sl, base, suffix);
	}
}

/* Every guest's name: the explicit ones first, so that a default never
 * takes a name some later guest asks for. */
static int name_guests(struct kvm_options *o)
{
	for (int i = 0; i < o->nguests; i++) {
		struct kvm_guest_opts *g = &o->guest[i];
		if (!g->name_given)
			continue;
		if (!name_ok(g->name_given))
			return kvm_fail(HV_STATUS_USAGE, "--name %s: a name is 1 to %u printable "
					"characters without spaces or '/'", g->name_given,
					EXO_NAME_MAX);
		if (name_taken(o, g, g->name_given))
			return kvm_fail(HV_STATUS_USAGE, "--name %s: two guests have that name",
					g->name_given);
		snprintf(g->name, sizeof g->name, "%s", g->name_given);
	}
	for (int i = 0; i < o->nguests; i++)
		if (!o->guest[i].name_given)
			default_name(o, &o->guest[i]);
	return 0;
}

/* An option of the whole run (its word, with or without "=VALUE"). */
static int run_option(const char *a)
{
	static const char *const run[] = { "--pool", "--stats", "--timeout", "--cpu-limit",
					    "--user", "--trace" };
	for (size_t i = 0; i < sizeof run / sizeof run[0]; i++) {
		size_t n = strlen(run[i]);
		if (!strncmp(a, run[i], n) && (!a[n] || a[n] == '='))
			return 1;
	}
	return 0;
}

/* The --guest form from argv[i], which is "--guest": each guest's options
 * over the defaults d, its IMAGE and its ARGS. */
static int parse_guests(int argc, char **argv, int i, const struct kvm_guest_opts *d,
			struct kvm_options *o)
{
	int rc;
	o->several = 1;
	while (i < argc) {
		/* argv[i] is "--guest": ARGS stop only there. */
		if (o->nguests == EXO_GUESTS_MAX - 1)
			return kvm_fail(HV_STATUS_USAGE, "--guest: more than %u guests",
					EXO_GUESTS_MAX - 1);
		struct kvm_guest_opts *g = &o->guest[o->nguests++];
		*g = *d;
		for (i++; i < argc && argv[i][0] == '-'; i++) {
			char *a = argv[i], *v;
			if (!strcmp(a, "--guest"))
				break;
			if (!strcmp(a, "--")) {
				i++;
				break;
			}
			if (is_help(a)) {
				o->help = 1;
				return 0;
			}
			if (takes(argc, argv, &i, "--name", &v)) {
				if (!v)
					return missing("--name");
				g->name_given = v;
			} else if ((rc = gdb_option(argc, argv, &i, &g->gdb_port)) != 0) {
				if (rc < 0)
					return -rc;
				for (int n = 0; n < o->nguests - 1; n++)
					if (o->guest[n].gdb_port == g->gdb_port)
						return kvm_fail(HV_STATUS_USAGE, "--gdb %u: two guests "
								"cannot share a PORT", g->gdb_port);
			} else if ((rc = guest_option(argc, argv, &i, g, 1)) < 0) {
				return -rc;
			} else if (rc == 0 && run_option(a)) {
				return kvm_fail(HV_STATUS_USAGE, "%s is for the whole run: put it "
						"before the first --guest", a);
			} else if (rc == 0) {
				return kvm_fail(HV_STATUS_USAGE, "%s: unknown guest option (exo run "
						"--help lists them)", a);
			}
		}
		if (i >= argc || !strcmp(argv[i], "--guest"))
			return kvm_fail(HV_STATUS_USAGE, "--guest: missing IMAGE (each --guest is "
					"followed by its options, then its IMAGE)");
		g->image = argv[i];
		g->argv = argv + i;
		for (g->argc = 1; i + g->argc < argc && strcmp(argv[i + g->argc], "--guest"); )
			g->argc++;
		i += g->argc;
	}
	return 0;
}

int kvm_parse_run(int argc, char **argv, struct kvm_options *o)
{
	int i, rc;
	const char *pool_given = NULL;
	struct kvm_guest_opts d = {
		.mem_bytes = (uint64_t)CONFIG_GUEST_MEM_DEFAULT_MIB << 20,
		.ring = EXO_RING_AUTO,
		.root = ".",
	};
	o->pool_bytes = (uint64_t)CONFIG_POOL_DEFAULT_MIB << 20;
	o->stats = o->several = o->nguests = 0;
	o->timeout_ns = o->cpu_limit_ns = 0;
	o->timeout_text = o->cpu_limit_text = NULL;
	o->user = o->trace = NULL;
	o->help = o->tracing = 0;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		char *a = argv[i], *v;
		if (!strcmp(a, "--guest"))
			break;
		if (is_help(a)) {
			o->help = 1;
			return 0;
		}
		if (takes(argc, argv, &i, "--pool", &v)) {
			if ((rc = size_option("--pool", v, &o->pool_bytes)))
				return rc;
			pool_given = v;
		} else if (!strcmp(a, "--stats")) {
			o->stats = 1;
		} else if (!strcmp(a, "--trace") || !strncmp(a, "--trace=", 8)) {
			o->tracing = 1;
			o->trace = a[7] ? a + 8 : NULL;
			if (o->trace && !*o->trace)
				return kvm_fail(HV_STATUS_USAGE, "--trace=: missing FILE (--trace "
						"alone traces to stderr)");
		} else if (takes(argc, argv, &i, "--timeout", &v)) {
			if ((rc = seconds_option("--timeout", v, &o->timeout_ns)))
				return rc;
			o->timeout_text = v;
		} else if (takes(argc, argv, &i, "--cpu-limit", &v)) {
			if ((rc = seconds_option("--cpu-limit", v, &o->cpu_limit_ns)))
				return rc;
			o->cpu_limit_text = v;
		} else if (takes(argc, argv, &i, "--user", &v)) {
			if (!v || !*v)
				return missing("--user");
			o->user = v;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if ((rc = gdb_option(argc, argv, &i, &d.gdb_port)) != 0) {
			if (rc < 0)
				return -rc;
		} else if ((rc = guest_option(argc, argv, &i, &d, 0)) < 0) {
			return -rc;
		} else if (rc == 0 && (!strcmp(a, "--name") || !strncmp(a, "--name=", 7))) {
			return kvm_fail(HV_STATUS_USAGE, "--name names one guest: put it after "
					"--guest");
		} else if (rc == 0) {
			return kvm_fail(HV_STATUS_USAGE, "%s: unknown option (exo run --help lists "
					"them)", a);
		}
	}
	if (i < argc && !strcmp(argv[i], "--guest") && (i == 0 || strcmp(argv[i - 1], "--"))) {
		if (d.gdb_port)
			return kvm_fail(HV_STATUS_USAGE, "--gdb %u debugs one guest: put it after "
					"that guest's --guest", d.gdb_port);
		if ((rc = parse_guests(argc, argv, i, &d, o)) || o->help)
			return rc;
	} else {
		if (i >= argc)
			return kvm_fail(HV_STATUS_USAGE, "missing IMAGE: what to run (exo run "
					"[OPTIONS] IMAGE [ARGS...])");
		/* One guest: everything after IMAGE is its own. */
		o->nguests = 1;
		o->guest[0] = d;
		o->guest[0].image = argv[i];
		o->guest[0].argc = argc - i;
		o->guest[0].argv = argv + i;
	}
	if ((rc = name_guests(o)))
		return rc;
	for (int n = 0; n < o->nguests; n++) {
		o->guest[n].timeout_ns = o->timeout_ns;
		o->guest[n].timeout_text = o->timeout_text;
		o->guest[n].cpu_limit_ns = o->cpu_limit_ns;
		o->guest[n].cpu_limit_text = o->cpu_limit_text;
	}
	uint64_t sum = 0;
	for (int n = 0; n < o->nguests; n++)
		sum += o->guest[n].mem_bytes;
	if (!pool_given && sum > o->pool_bytes)
		o->pool_bytes = sum;
	for (int n = 0; n < o->nguests; n++) {
		const struct kvm_guest_opts *g = &o->guest[n];
		if (g->mem_bytes > o->pool_bytes)
			return kvm_fail(HV_STATUS_USAGE, "%s%s%s--mem (%llu KiB) is too large: more "
					"than --pool %s (%llu KiB): raise --pool, or leave it out "
					"(it defaults to the sum of the guests' --mem)",
					o->several ? "guest " : "", o->several ? g->name : "",
					o->several ? ": " : "", (unsigned long long)(g->mem_bytes >> 10),
					pool_given ? pool_given : "(default)",
					(unsigned long long)(o->pool_bytes >> 10));
	}
	return 0;
}
