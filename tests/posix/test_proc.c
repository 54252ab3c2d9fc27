/* SPDX-License-Identifier: MIT */
/*
 * tests/posix/test_proc.c: the program's own /proc files, which
 * posix-shim serves in the guest (posix-shim/proc.c): pagemap,
 * clear_refs, stat, maps, as /proc/self/NAME and /proc/<pid>/NAME.
 *
 * progs/pagemap prints a transcript per section. The sections that mean
 * the same on Linux (present and exclusive bits, holes, the read rules,
 * the descriptors, stat, maps) must print exactly the transcript below
 * under exo and natively; the native run is not chrooted, since it needs
 * the host's /proc. Soft-dirty, the PFN bits and the files' modes against
 * root are exo's alone: this host's kernel has no soft-dirty (bit 55
 * never sets), shows PFNs to root and lets root open any of these files
 * in any mode; those sections are checked under exo only.
 */
#include "posix.h"

#define PAGEMAP PROGS "pagemap"

/* progs/pagemap SECTION natively (in a scratch directory, with the
 * host's /proc) or under exo. */
static void run_section(struct exo_result *r, const char *section, int on_exo)
{
	char d[64];
	scratch_dir(d);
	if (on_exo) {
		char *argv[] = { "--", abs_path(PAGEMAP), (char *)section, NULL };
		exo_in(d, argv, r);
	} else {
		char *argv[] = { abs_path(PAGEMAP), (char *)section, NULL };
		struct run_opts o = { .cwd = d, .native_limits = 1 };
		run_with(&o, argv, r);
	}
	remove_tree(d);
}

/* got must equal want line by line; say where they first differ. */
static void assert_transcript(const char *what, const char *got, const char *want)
{
	int line = 1;
	const char *g = got, *w = want;
	while (*g && *w) {
		size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
		cr_assert(gl == wl && !strncmp(g, w, gl), "%s: line %d: want \"%.*s\", got \"%.*s\"\nwhole output:\n%s",
			  what, line, (int)wl, w, (int)gl, g, got);
		g += gl + (g[gl] == '\n');
		w += wl + (w[wl] == '\n');
		line++;
	}
	cr_assert(!*g && !*w, "%s: line %d: want \"%.40s\", got \"%.40s\"\nwhole output:\n%s", what, line, w, g,
		  got);
}

static void check_exo(const char *section, const char *want)
{
	struct exo_result *r = malloc(sizeof *r);
	run_section(r, section, 1);
	cr_assert_eq(r->status, 0, "exo: status %d\nstdout:\n%s\nstderr:\n%s", r->status, r->out, r->err);
	cr_assert_str_empty(r->err, "exo said: %s", r->err);
	assert_transcript("exo", r->out, want);
	free(r);
}

static void check_native(const char *section, const char *want)
{
	struct exo_result *r = malloc(sizeof *r);
	run_section(r, section, 0);
	cr_assert_eq(r->status, 0, "native: status %d\nstdout:\n%s\nstderr:\n%s", r->status, r->out, r->err);
	cr_assert_str_empty(r->err, "native: stderr: %s", r->err);
	assert_transcript("native", r->out, want);
	free(r);
}

/* Touched pages present (63) and exclusive (56), untouched ones not;
 * munmap'ed pages, the page between two mappings and the low pages of
 * the address space read exactly 0. */
static const char entries[] =
	"== entries\n"
	"fresh 8 pages: - - - - - - - -\n"
	"after writing 0 2 7: PE - PE - - - - PE\n"
	"the guard pages either side: -\n"
	": -\n"
	"munmap 2-3 = 0\n"
	"munmap'ed page 2 reads exactly 0: ok\n"
	"munmap'ed page 3 reads exactly 0: ok\n"
	"after munmap 2-3: PE - - - - - - PE\n"
	"after writing 1: PE PE - - - - - PE\n"
	"munmap the middle of 3 = 0\n"
	"the page between two mappings reads exactly 0: ok\n"
	"its neighbours are present: ok\n"
	"pread the first 16 pages of the address space = 128\n"
	"all 0: ok\n"
	"a PROT_READ mapping, untouched: - - - -\n"
	;

/* Offsets and sizes not multiples of 8: EINVAL; at and past the end of
 * the user address space: 0 bytes; straddling it: short; bad buffers:
 * EFAULT; a read of many chunks. */
static const char reads[] =
	"== reads\n"
	"pread 4 entries = 32\n"
	"only page 1 present: ok\n"
	"pread at a misaligned offset = -1 EINVAL\n"
	"pread at offset 1 = -1 EINVAL\n"
	"pread of 12 bytes = -1 EINVAL\n"
	"pread of 4 bytes = -1 EINVAL\n"
	"pread of 0 bytes = 0\n"
	"pread at the end of the user address space = 0\n"
	"pread past it = 0\n"
	"pread far past it = 0\n"
	"pread of 64 bytes straddling the end by 2 entries = 16\n"
	"pread of the last entry = 8\n"
	"pread into a NULL buffer = -1 EFAULT\n"
	"pread into a read-only buffer = -1 EFAULT\n"
	"pread 4096 entries = 32768\n"
	"present: 5, the pages written: yes\n"
	;

/* lseek SEEK_SET/SEEK_CUR (SEEK_END: EINVAL), fstat's type, size and
 * modes, clear_refs' parsing, access modes, dup/dup2/close/F_GETFL,
 * mmap (ENODEV), /proc/<getpid()>/. */
static const char files[] =
	"== files\n"
	"lseek SEEK_SET to page 2's entry = ok\n"
	"read 8 = 8\n"
	"it is page 2's: present: ok\n"
	"lseek SEEK_CUR 0 is past it = ok\n"
	"lseek SEEK_CUR -16 = ok\n"
	"read 16 = 16\n"
	"pages 1 and 2: absent, present: ok\n"
	"lseek SEEK_END = -1 EINVAL\n"
	"lseek whence 7 = -1 EINVAL\n"
	"position unchanged by those = ok\n"
	"lseek SEEK_SET past the end = 1\n"
	"read there = 0\n"
	"fstat pagemap: regular size 0 mode 0400\n"
	"fstat clear_refs: regular size 0 mode 0200\n"
	"fstat stat: regular size 0 mode 0444\n"
	"fstat maps: regular size 0 mode 0444\n"
	"write \"9\" to clear_refs = -1 EINVAL\n"
	"write \"x\" to clear_refs = -1 EINVAL\n"
	"write \"0\" to clear_refs = -1 EINVAL\n"
	"write \"4\\n\" to clear_refs = 2\n"
	"write \"5\" to clear_refs = 1\n"
	"read clear_refs = -1 EBADF\n"
	"write pagemap = -1 EBADF\n"
	"fcntl F_GETFL pagemap & O_ACCMODE = 0\n"
	"fcntl F_GETFL clear_refs & O_ACCMODE = 1\n"
	"dup pagemap = ok\n"
	"the dup shares the position = ok\n"
	"read 8 through the dup = 8\n"
	"page 2's entry: ok\n"
	"dup2 to 50 = 50\n"
	"close the dup = 0\n"
	"pread through 50 = 8\n"
	"page 2's entry again: ok\n"
	"fcntl F_GETFL 50 & O_ACCMODE = 0\n"
	"dup2 clear_refs over 50 = 50\n"
	"write \"4\" through 50 = 1\n"
	"pread through 50 now = -1 EBADF\n"
	"close 50 = 0\n"
	"close 50 again = -1 EBADF\n"
	"pread through the closed dup = -1 EBADF\n"
	"mmap the pagemap descriptor = -1 ENODEV\n"
	"mmap it MAP_SHARED = -1 ENODEV\n"
	"open /proc/<getpid()>/pagemap = ok\n"
	"pread 4 entries there = 32\n"
	"and through /proc/self = 32\n"
	"the same: ok\n"
	"write \"4\" to /proc/<getpid()>/clear_refs = 1\n"
	;

/* stat: pid, comm, startcode/endcode around main, startstack where argc
 * is (argv 8 bytes above it, within 64 KiB of main's frames). */
static const char stat_file[] =
	"== stat\n"
	"one line: ok\n"
	"field 1 is getpid(): ok\n"
	"field 2: (pagemap)\n"
	"field 3 (state): R\n"
	"fields: 52\n"
	"fields 26 and 27 (startcode, endcode) bracket main: ok\n"
	"field 28 (startstack) is above this frame: ok\n"
	"within 64 KiB of it: ok\n"
	"argv is 8 bytes above it (it is where argc is): ok\n"
	"argc there: ok\n"
	"field 4 (ppid) is getppid(): ok\n"
	"pread at offset 5 gives the rest: ok\n"
	"pread past the end = 0\n"
	;

static const char maps[] =
	"== maps\n"
	"ascending, non-empty ranges: ok\n"
	"one line holds the fresh mapping, rw-p: ok\n"
	"one line holds the read-only one, r--p: ok\n"
	"one [stack] line holds a local variable: ok\n"
	;

/* exo: bit 55 is the D bit or a mapping made (or grown, or merged with
 * one made) since the last clear_refs "4", which clears it for every page
 * of every mapping. */
static const char softdirty[] =
	"== softdirty\n"
	"fresh 8 pages: d d d d d d d d\n"
	"after writing 1 4, reading 6, clear: . . . . . . . .\n"
	"present: - PE - - PE - PE -\n"
	"after writing 4: . . . . d . . .\n"
	"after writing 4 0, reading 1: d . . . d . . .\n"
	"after clear: . . . . . . . .\n"
	"after writing 7: . . . . . . . d\n"
	"a mapping made since: d d d d\n"
	"its pages: - - - -\n"
	"after writing its page 2: d d d d\n"
	"the old one, unchanged: . . . . . . . d\n"
	"the new one after clear: . . . .\n"
	"after writing its page 3: . . . d\n"
	"mprotect the old one PROT_READ = 0\n"
	"the old one: . . . . . . . .\n"
	"mprotect it RW = 0\n"
	"after writing 5: . . . . . d . .\n"
	"mmap MAP_FIXED over 2-3: ok\n"
	"after clear, a new mapping over 2-3 (merged: all of it): d d d d d d d d\n"
	"after clear: . . . . . . . .\n"
	"brk grows by 2 pages: ok\n"
	"the new brk pages: d d\n"
	"after clear, writing page 1: . d\n"
	"150 mappings, each written: ok\n"
	"after clear: 0 soft-dirty, 150 present\n"
	"after writing the first and the last: those 2 soft-dirty\n"
	;

/* exo: PFN bits 0, the files' modes hold for root too, only the
 * program's own pid is served. */
static const char exo_only[] =
	"== exo\n"
	"4 pages present, PFN bits 0-54 all 0: ok\n"
	"lseek SEEK_SET -8 = -1 EINVAL\n"
	"open pagemap O_WRONLY = -1 EACCES\n"
	"open pagemap O_RDWR = -1 EACCES\n"
	"open clear_refs O_RDONLY = -1 EACCES\n"
	"open clear_refs O_RDWR = -1 EACCES\n"
	"open stat O_WRONLY = -1 EACCES\n"
	"open pagemap O_DIRECTORY = -1 ENOTDIR\n"
	"another pid's pagemap is not served as the program's: ok\n"
	;

Test(pagemap, present_and_exclusive_bits_and_holes_on_exo)
{
	check_exo("entries", entries);
}

Test(pagemap, present_and_exclusive_bits_and_holes_natively)
{
	check_native("entries", entries);
}

Test(pagemap, read_rules_on_exo)
{
	check_exo("reads", reads);
}

Test(pagemap, read_rules_natively)
{
	check_native("reads", reads);
}

Test(pagemap, descriptors_on_exo)
{
	check_exo("files", files);
}

Test(pagemap, descriptors_natively)
{
	check_native("files", files);
}

Test(stat, fields_on_exo)
{
	check_exo("stat", stat_file);
}

Test(stat, fields_natively)
{
	check_native("stat", stat_file);
}

Test(maps, lines_on_exo)
{
	check_exo("maps", maps);
}

Test(maps, lines_natively)
{
	check_native("maps", maps);
}

Test(pagemap, soft_dirty_and_clear_refs_on_exo)
{
	check_exo("softdirty", softdirty);
}

Test(pagemap, pfn_bits_and_access_modes_on_exo)
{
	check_exo("exo", exo_only);
}

/* The transcripts say what they claim: every check line is "ok", and the
 * soft-dirty one is not trivially clean or trivially dirty. */
Test(pagemap, transcripts_hold_no_failed_check)
{
	const char *all[] = { entries, reads, files, stat_file, maps, softdirty, exo_only };
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
		cr_assert(!strstr(all[i], "FAILED") && !strstr(all[i], "wrong"), "%s", all[i]);
	cr_assert(strstr(softdirty, "fresh 8 pages: d d d d d d d d\n"));
	cr_assert(strstr(softdirty, "after writing 4: . . . . d . . .\n"));
}

/* Every section at once, as a collector would use them together. */
Test(pagemap, all_sections_in_one_run_on_exo)
{
	struct exo_result *r = malloc(sizeof *r);
	char d[64];
	scratch_dir(d);
	char *argv[] = { "--", abs_path(PAGEMAP), "entries", "softdirty", "reads", "files", "stat", "maps", "exo", NULL };
	exo_in(d, argv, r);
	remove_tree(d);
	cr_assert_eq(r->status, 0, "status %d\n%s\n%s", r->status, r->out, r->err);
	char *want = malloc(1 << 16);
	snprintf(want, 1 << 16, "%s%s%s%s%s%s%s", entries, softdirty, reads, files, stat_file, maps, exo_only);
	assert_transcript("exo", r->out, want);
	free(want);
	free(r);
}
