/* SPDX-License-Identifier: MIT */
/*
 * tests/core/fake_plat.h: a fake platform for hv/core unit tests.
 *
 * fake_plat.c implements the hv_plat_* functions that hv/core calls, in
 * plain host memory, and records every call so that tests can assert on
 * them. It also builds test pools and guests the way a real platform does:
 * an owner table, grant tables and pool memory from calloc, an exo area
 * for each guest (hv_guest_add), and the exo page GPA just past the pool.
 */
#ifndef TESTS_CORE_FAKE_PLAT_H
#define TESTS_CORE_FAKE_PLAT_H

#include <stdint.h>

#include "core.h"

/* The console bytes a fake guest keeps. The fuzz harnesses, which create
 * guests for every input and never read the console, build with less. */
#ifndef FAKE_CONSOLE_BYTES
#define FAKE_CONSOLE_BYTES 65536u
#endif

/* The owner table has one entry past the pool, owned by guest 1, and pool
 * memory one frame more: a range check that reads one entry too far then
 * accepts what it must refuse, and the tests see it. */
#define FAKE_CANARY_OWNER 1u

/* Grant table entries in a fake pool (entry 0 is never used). */
#define FAKE_GRANTS_MAX 64u

/* A pool of nframes frames: the owner table and the frames themselves. */
struct fake_pool {
	struct hv_pool pool;
	uint32_t *owner;
	uint8_t *host;
	uint32_t *grant_head;
	struct hv_grant *grant;
	int locked;              /* the pool lock is held */
	unsigned locks;          /* times it was taken */
	uint64_t frames_scrubbed;
};

/* One guest and what the platform saw of it; g.plat points back here. */
struct fake_guest {
	struct hv_guest g;
	uint8_t *exo_area;         /* exo page, then the ownership bitmap */
	uint8_t *bound;            /* per frame: FAKE_RW or FAKE_RO while bound */
	unsigned bind_calls, unbind_calls;
	uint64_t bind_first, bind_n;     /* the last bind */
	uint64_t unbind_first, unbind_n; /* the last unbind */
	uint64_t frames_bound, frames_unbound; /* totals over all calls */
	unsigned fail_bind_in;     /* the n-th bind from now fails; 0: never */
	unsigned failed_binds;
	unsigned misuse;           /* binds that change nothing, unbinds of unbound */
	unsigned injects, kicks, wakes, deadlines, exceptions;
	uint32_t exception_vector; /* the last hv_plat_exception */
	uint32_t inject_vector;    /* the last hv_plat_inject */
	uint64_t deadline_ns;      /* the last hv_plat_deadline */
	unsigned console_calls;
	uint64_t console_len;      /* bytes written, all calls together */
	char console[FAKE_CONSOLE_BYTES + 1]; /* the first bytes, NUL-ended */
	unsigned notices;
	char notice[EXO_NOTICE_MAX + 1];      /* the last notice */
	unsigned forwards;                    /* calls the platform ran */
	struct hv_fwd fwd;                    /* the last one, as checked */
	char fwd_path[2][EXO_FWD_PATH_MAX];   /* its paths, copied */
	int64_t fwd_ret;                      /* what the next call returns */
	uint64_t fwd_scribble_gpa;            /* if set, the guest's bytes here
						 change while the call runs */
};

/* hv_plat_now_ns's clock: tests move it. */
extern uint64_t fake_now_ns;

/* A zeroed pool of nframes frames; aborts if memory runs out. */
struct fake_pool *fake_pool_create(uint64_t nframes);
void fake_pool_destroy(struct fake_pool *fp);

#define FAKE_RW 1
#define FAKE_RO 2

/* A guest of fp with this name and cap, entered with hv_guest_add (ids
 * are given in creation order: the first guest of a pool is 1). Aborts
 * if hv_guest_add refuses. */
struct fake_guest *fake_guest_create(struct fake_pool *fp, const char *name,
				     uint64_t cap_frames);
void fake_guest_destroy(struct fake_guest *fg);

/* Whether frame f's bit is set in fg's ownership bitmap. */
int fake_bitmap_bit(const struct fake_guest *fg, uint64_t f);

/* NULL if the owner table, fg's bitmaps, fg->g.owned and granted, the exo
 * page's counts, the pool's free count and the platform's bindings (owned
 * frames read-write, granted ones as granted) all agree; else a
 * description of the first disagreement. */
const char *fake_disagreement(const struct fake_guest *fg);

#endif
