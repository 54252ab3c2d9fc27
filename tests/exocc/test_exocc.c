/* SPDX-License-Identifier: MIT */
/*
 * tests/exocc/test_exocc.c: build/exo-cc and the exo calls of <exo/vm.h>.
 *
 * build/tests/exocc/vmapi (tests/exocc/vmapi.c, built with build/exo-cc)
 * prints a transcript of what every call did; here it is run on exo, in
 * each ring the host can run it in, and compared line by line with the
 * one below, and run natively, where every call must fail with ENOSYS.
 * Then exo-cc itself: cc's informational flags pass through, -c does not
 * link, and a link adds libexo.a and -static.
 */
#include "harness.h"
#include "transcript.h"

#include <elf.h>
#include <fcntl.h>

#define VMAPI "build/tests/exocc/vmapi"
#define EXO_CC "build/exo-cc"

/* The transcript on exo; RING is replaced by the ring it ran in. */
static const char exo_transcript[] =
	"exo: yes\n"
	"info: size 24 version 1 ring RING page 4096\n"
	"== PROTN\n"
	"protect pages 0-3 PROT_READ: 0\n"
	"read page 0: ok, 7\n"
	"read page 3: ok, 0\n"
	"write page 0: SIGSEGV SEGV_ACCERR at +0x0\n"
	"write page 2: SIGSEGV SEGV_ACCERR at +0x2000\n"
	"write page 3: SIGSEGV SEGV_ACCERR at +0x3000\n"
	"write page 4: ok\n"
	"mprotect pages 0-3 RW: 0\n"
	"write page 0: ok\n"
	"write page 2: ok\n"
	"mprotect pages 0-1 PROT_NONE: 0\n"
	"read page 1: SIGSEGV SEGV_ACCERR at +0x1000\n"
	"unprot pages 0-1: 0\n"
	"read page 0: ok, 8\n"
	"write page 1: ok\n"
	"protect pages 0-7 PROT_NONE: 0\n"
	"read page 7: SIGSEGV SEGV_ACCERR at +0x7000\n"
	"protect pages 0-7 RW: 0\n"
	"read page 7: ok, 0\n"
	"== PROT1/UNPROT\n"
	"prot1 page 5 PROT_NONE: 0\n"
	"read page 4: ok, 4\n"
	"read page 5: SIGSEGV SEGV_ACCERR at +0x5000\n"
	"read page 6: ok, 0\n"
	"unprot page 5: 0\n"
	"write page 5: ok\n"
	"read page 5: ok, 5\n"
	"prot1 page 6 PROT_READ: 0\n"
	"write page 6 with an UNPROT handler: 1 fault, at +0x6000, reads 42\n"
	"== DIRTY\n"
	"dirty, fresh: 0:\n"
	"dirty after reading 1 2: 0:\n"
	"dirty after writing 3 17 40 63: 4: 3 17 40 63\n"
	"dirty again: 0:\n"
	"dirty after writing 17 17 0: 2: 0 17\n"
	"dirty of pages 16-23 (20 written): 1: 4\n"
	"dirty of pages 0-63 (30 written): 1: 30\n"
	"protect page 9 PROT_NONE: 0\n"
	"dirty with page 9 written, then PROT_NONE: 1: 9\n"
	"unprot page 9: 0\n"
	"page 9 reads 4\n"
	"== ACCESSED\n"
	"accessed after touching 5 9: 5 and 9 set\n"
	"accessed again: 5 and 9 clear\n"
	"dirty after accessed: 1: 9\n"
	"== errors\n"
	"protect misaligned: -1 EINVAL\n"
	"protect 0 pages: -1 EINVAL\n"
	"protect prot 8: -1 EINVAL\n"
	"protect prot -1: -1 EINVAL\n"
	"prot1 prot 0x10: -1 EINVAL\n"
	"protect NULL: -1 ENOMEM\n"
	"protect beyond the lower half: -1 ENOMEM\n"
	"protect the upper half: -1 ENOMEM\n"
	"protect npages SIZE_MAX: -1 ENOMEM\n"
	"protect 5 pages of 4: -1 ENOMEM\n"
	"protect over a hole: -1 ENOMEM\n"
	"write (unchanged) page 0: ok\n"
	"prot1 the hole: -1 ENOMEM\n"
	"unprot over the hole: -1 ENOMEM\n"
	"dirty over the hole: -1 ENOMEM\n"
	"accessed over the hole: -1 ENOMEM\n"
	"dirty misaligned: -1 EINVAL\n"
	"dirty 0 pages: -1 EINVAL\n"
	"dirty, bits NULL: -1 EFAULT\n"
	"dirty, bits read-only: -1 EFAULT\n"
	"dirty, bits in the upper half: -1 EFAULT\n"
	"dirty, bits unmapped: -1 EFAULT\n"
	"dirty, bits straddling the end: -1 EFAULT\n"
	"dirty after those (page 1 written): 1: 1\n"
	"accessed, bits NULL: -1 EFAULT\n"
	"info NULL: -1 EFAULT\n"
	"info read-only: -1 EFAULT\n"
	"info: 0\n"
	"unknown exo call: -1 ENOSYS\n"
	"linux call 0x3fff: -1 ENOSYS\n"
	"done\n"
	;

static const char native_transcript[] =
	"exo: no\n"
	"info: -1 ENOSYS\n"
	"protect: -1 ENOSYS\n"
	"prot1: -1 ENOSYS\n"
	"unprot: -1 ENOSYS\n"
	"dirty: -1 ENOSYS\n"
	"accessed: -1 ENOSYS\n"
	"write after: ok\n";


static void assert_exo_run(const struct exo_result *r, const char *ring)
{
	cr_assert_eq(r->status, 0, "status %d\nstdout:\n%s\nstderr:\n%s", r->status, r->out, r->err);
	char want[sizeof exo_transcript];
	const char *at = strstr(exo_transcript, "ring RING page");
	cr_assert(at);
	snprintf(want, sizeof want, "%.*sring %s%s", (int)(at - exo_transcript), exo_transcript, ring,
		 at + strlen("ring RING"));
	assert_transcript(r->out, want);
	/* an exo call number the shim does not know is named once */
	const char *notice = "exo: posix-shim: unknown exo call 0x43ff: -ENOSYS\n";
	const char *first = strstr(r->err, notice);
	cr_assert(first, "stderr lacks \"%s\":\n%s", notice, r->err);
	cr_assert(!strstr(first + 1, notice), "named twice:\n%s", r->err);
}

Test(exocc, transcript_on_exo_ring_3)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", "3", VMAPI, NULL);
	assert_exo_run(&r, "3");
}

/* A musl program uses SSE, which a host that emulates guest ring 0 cannot
 * run there (exit status 123): then there is nothing to check. */
Test(exocc, transcript_on_exo_ring_0)
{
	struct exo_result r;
	exo_run(&r, "run", "--ring", "0", VMAPI, NULL);
	if (r.status == 123 && strstr(r.err, "emulation failure"))
		cr_skip_test("this host emulates guest ring 0 and cannot run the program there");
	assert_exo_run(&r, "0");
}

Test(exocc, transcript_on_exo_default_ring)
{
	struct exo_result r;
	exo_run(&r, "run", VMAPI, NULL);
	assert_exo_run(&r, strstr(r.out, "ring 0 page") ? "0" : "3");
}

Test(exocc, native_run_fails_cleanly_with_enosys)
{
	struct exo_result r;
	char *argv[] = { VMAPI, NULL };
	run_argv(argv, &r);
	cr_assert_eq(r.status, 0, "status %d\n%s%s", r.status, r.out, r.err);
	assert_transcript(r.out, native_transcript);
}

/* exo-cc's informational flags are cc's own. */
Test(exocc, version_and_v_pass_through)
{
	struct exo_result *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	char *cc[] = { "musl-gcc", "--version", NULL }, *ecc[] = { EXO_CC, "--version", NULL };
	run_argv(cc, a);
	run_argv(ecc, b);
	cr_assert_eq(b->status, 0, "%s", b->err);
	cr_assert_str_eq(b->out, a->out);
	char *v[] = { EXO_CC, "-v", NULL };
	run_argv(v, b);
	cr_assert_eq(b->status, 0, "%s", b->err);
	cr_assert(strstr(b->err, "gcc version"), "%s", b->err);
	cr_assert(!strstr(b->err, "libexo.a"), "-v alone must not link:\n%s", b->err);
	free(a);
	free(b);
}

static Elf64_Ehdr read_ehdr(const char *path, int *interp)
{
	Elf64_Ehdr h = { 0 };
	int fd = open(path, O_RDONLY);
	cr_assert(fd >= 0, "%s missing", path);
	cr_assert(read(fd, &h, sizeof h) == sizeof h);
	*interp = 0;
	for (int i = 0; i < h.e_phnum; i++) {
		Elf64_Phdr ph;
		cr_assert(pread(fd, &ph, sizeof ph, (off_t)(h.e_phoff + (uint64_t)i * h.e_phentsize)) == sizeof ph);
		*interp |= ph.p_type == PT_INTERP;
	}
	close(fd);
	return h;
}

/* -c compiles only (an object with the API unresolved); linking that
 * object adds libexo.a and -static; the result runs on exo. */
Test(exocc, compile_only_then_link)
{
	char dir[] = "/tmp/exocc-test-XXXXXX", obj[64], prog[64];
	cr_assert(mkdtemp(dir));
	snprintf(obj, sizeof obj, "%s/vmapi.o", dir);
	snprintf(prog, sizeof prog, "%s/vmapi", dir);
	struct exo_result r;
	char *c[] = { EXO_CC, "-O2", "-Wall", "-c", "-o", obj, "tests/exocc/vmapi.c", NULL };
	run_argv(c, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	int interp;
	Elf64_Ehdr h = read_ehdr(obj, &interp);
	cr_assert_eq(h.e_type, ET_REL);
	char *l[] = { EXO_CC, "-o", prog, obj, NULL };
	run_argv(l, &r);
	cr_assert_eq(r.status, 0, "%s", r.err);
	h = read_ehdr(prog, &interp);
	cr_assert(h.e_type == ET_EXEC && !interp, "not a static executable");
	exo_run(&r, "run", "--ring", "3", prog, NULL);
	unlink(obj);
	unlink(prog);
	rmdir(dir);
	assert_exo_run(&r, "3");
}
