/* SPDX-License-Identifier: MIT */
/*
 * apps/gcbench/gcbench.c: GCBench (John Ellis and Pete Kovac's benchmark,
 * as Hans Boehm published it for the Boehm-Demers-Weiser collector),
 * written here from the published description, on bdwgc (libgc).
 *
 * The benchmark:
 *   - "stretch" the heap with a bottom-up binary tree of depth
 *     kStretchTreeDepth (18), dropped at once;
 *   - build a long-lived tree of depth kLongLivedTreeDepth (16), top down,
 *     and a long-lived array of kArraySize (500000) doubles, half of them
 *     set to 1/i; both stay reachable to the end;
 *   - for depth d = kMinTreeDepth (4), 6, ... kMaxTreeDepth (16): build
 *     NumIters(d) = 2 * TreeSize(kStretchTreeDepth) / TreeSize(d)
 *     short-lived trees of depth d top down (Populate: allocate a node,
 *     then its children, recursively), dropping each, and as many bottom
 *     up (MakeTree: the children first, then the node);
 *   - check that the long-lived tree and array survived.
 * TreeSize(d) = 2^(d+1) - 1 nodes. A node is two pointers and two ints,
 * allocated with GC_MALLOC; the array with GC_MALLOC_ATOMIC.
 *
 *   gcbench [-i] [-q] [-d MAXDEPTH]
 *
 * -i (or GCBENCH_INCREMENTAL=1 in the environment) calls
 * GC_enable_incremental() first; -d lowers kMaxTreeDepth (4..16, even) for
 * quick runs; -q prints only the result line. The last line of output is
 * machine readable:
 *
 *   gcbench: ok wall_ms=W gc_no=N pauses=P pause_total_ms=T pause_max_ms=M
 *            mark_total_ms=T mark_max_ms=M full=F incremental=0|1 vdb=V
 *            heap_kib=H
 *
 * Pauses are taken from the collector's own event callback
 * (GC_set_on_collection_event), timed with CLOCK_MONOTONIC: a pause starts
 * at GC_EVENT_START (a stop-the-world collection, which ends at
 * GC_EVENT_END) or, outside one, at GC_EVENT_MARK_START (the world-stopped
 * final mark of an incremental collection, which ends after its sweep
 * setup at GC_EVENT_RECLAIM_END). mark_* is GC_EVENT_MARK_START to
 * GC_EVENT_MARK_END alone. The small marking steps an incremental
 * collector does inside allocations raise no event and are not counted.
 * vdb: how the collector learns of writes: "off" (not incremental),
 * "mprotect" (GC_incremental_protection_needs() says it write-protects
 * the heap: SIGSEGV per first write) or "dirty-bits" (GC_PROTECTS_NONE:
 * on Linux, soft-dirty bits read from /proc/self/pagemap). Status 0 when
 * the check passed, 1 when it failed, 2 for a bad command line.
 */
#include <gc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
	kStretchTreeDepth = 18,
	kLongLivedTreeDepth = 16,
	kArraySize = 500000,
	kMinTreeDepth = 4,
	kMaxTreeDepth = 16,
};

struct node {
	struct node *left, *right;
	int i, j;
};

static int quiet;

static struct node *new_node(struct node *l, struct node *r)
{
	struct node *n = GC_MALLOC(sizeof *n);
	if (!n) {
		fprintf(stderr, "gcbench: out of memory\n");
		exit(1);
	}
	n->left = l;
	n->right = r;
	return n;
}

static long tree_size(int depth) { return (1L << (depth + 1)) - 1; }
static long num_iters(int depth) { return 2 * tree_size(kStretchTreeDepth) / tree_size(depth); }

/* Top down: the node exists before its children. */
static void populate(int depth, struct node *n)
{
	if (depth <= 0)
		return;
	n->left = new_node(NULL, NULL);
	n->right = new_node(NULL, NULL);
	populate(depth - 1, n->left);
	populate(depth - 1, n->right);
}

/* Bottom up: the children exist before the node. */
static struct node *make_tree(int depth)
{
	if (depth <= 0)
		return new_node(NULL, NULL);
	struct node *l = make_tree(depth - 1);
	struct node *r = make_tree(depth - 1);
	return new_node(l, r);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ pauses */

static uint64_t pause_t0, mark_t0, pause_total, pause_max, mark_total, mark_max;
static unsigned long npauses, nfull;
static int pause_kind; /* 0: none; 1: full (START..END); 2: final mark (MARK_START..RECLAIM_END) */

static void pause_end(uint64_t t)
{
	uint64_t d = t - pause_t0;
	pause_total += d;
	if (d > pause_max)
		pause_max = d;
	npauses++;
	pause_kind = 0;
}

static void GC_CALLBACK on_event(GC_EventType e)
{
	uint64_t t = now_ns();
	switch (e) {
	case GC_EVENT_START:
		if (pause_kind == 2) /* a final mark inside a full collection's start */
			pause_kind = 0;
		if (pause_kind == 0) {
			pause_kind = 1;
			pause_t0 = t;
			nfull++;
		}
		break;
	case GC_EVENT_END:
		if (pause_kind == 1)
			pause_end(t);
		break;
	case GC_EVENT_MARK_START:
		mark_t0 = t;
		/* A MARK_START while one is open: the earlier world-stopped
		 * mark was abandoned (no event says so); start again. */
		if (pause_kind != 1) {
			pause_kind = 2;
			pause_t0 = t;
		}
		break;
	case GC_EVENT_MARK_END:
		if (mark_t0) {
			uint64_t d = t - mark_t0;
			mark_total += d;
			if (d > mark_max)
				mark_max = d;
			mark_t0 = 0;
		}
		break;
	case GC_EVENT_RECLAIM_END:
		if (pause_kind == 2)
			pause_end(t);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ benchmark */

static void time_construction(int depth)
{
	long iters = num_iters(depth);
	uint64_t t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		struct node *t = new_node(NULL, NULL);
		populate(depth, t);
	}
	uint64_t t1 = now_ns();
	for (long i = 0; i < iters; i++)
		(void)make_tree(depth);
	uint64_t t2 = now_ns();
	if (!quiet)
		printf("depth %2d: %7ld trees top down %6.1f ms, bottom up %6.1f ms\n", depth, iters,
		       (t1 - t0) / 1e6, (t2 - t1) / 1e6);
}

static const char *vdb_mode(void)
{
	if (!GC_is_incremental_mode())
		return "off";
	return GC_incremental_protection_needs() == GC_PROTECTS_NONE ? "dirty-bits" : "mprotect";
}

int main(int argc, char **argv)
{
	int incremental = 0, max_depth = kMaxTreeDepth;
	const char *e = getenv("GCBENCH_INCREMENTAL");
	if (e && *e && strcmp(e, "0") != 0)
		incremental = 1;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-i"))
			incremental = 1;
		else if (!strcmp(argv[a], "-q"))
			quiet = 1;
		else if (!strcmp(argv[a], "-d") && a + 1 < argc) {
			char *end;
			long d = strtol(argv[++a], &end, 10);
			if (*end || d < kMinTreeDepth || d > kMaxTreeDepth || d % 2) {
				fprintf(stderr, "gcbench: -d wants an even depth %d..%d\n", kMinTreeDepth,
					kMaxTreeDepth);
				return 2;
			}
			max_depth = (int)d;
		} else {
			fprintf(stderr, "usage: gcbench [-i] [-q] [-d MAXDEPTH]\n");
			return 2;
		}
	}

	GC_INIT();
	if (incremental)
		GC_enable_incremental();
	GC_set_on_collection_event(on_event);
	if (!quiet)
		printf("gcbench: stretch tree depth %d, long-lived tree depth %d, array %d doubles, "
		       "trees of depth %d..%d; incremental %s (vdb %s)\n",
		       kStretchTreeDepth, kLongLivedTreeDepth, kArraySize, kMinTreeDepth, max_depth,
		       incremental ? "asked" : "not asked", vdb_mode());

	uint64_t start = now_ns();

	(void)make_tree(kStretchTreeDepth);

	struct node *long_lived = new_node(NULL, NULL);
	populate(kLongLivedTreeDepth, long_lived);

	double *array = GC_MALLOC_ATOMIC(sizeof(double) * kArraySize);
	if (!array) {
		fprintf(stderr, "gcbench: out of memory\n");
		return 1;
	}
	for (int i = 0; i < kArraySize / 2; i++)
		array[i] = 1.0 / i;

	for (int d = kMinTreeDepth; d <= max_depth; d += 2)
		time_construction(d);

	int ok = long_lived != NULL && array[1000] == 1.0 / 1000;
	/* Keep both alive to here. */
	GC_reachable_here(long_lived);
	GC_reachable_here(array);
	uint64_t wall = now_ns() - start;

	printf("gcbench: %s wall_ms=%.1f gc_no=%lu pauses=%lu pause_total_ms=%.3f pause_max_ms=%.3f "
	       "mark_total_ms=%.3f mark_max_ms=%.3f full=%lu incremental=%d vdb=%s heap_kib=%lu\n",
	       ok ? "ok" : "FAILED", wall / 1e6, (unsigned long)GC_get_gc_no(), npauses, pause_total / 1e6,
	       pause_max / 1e6, mark_total / 1e6, mark_max / 1e6, nfull, GC_is_incremental_mode(),
	       vdb_mode(), (unsigned long)(GC_get_heap_size() / 1024));
	return ok ? 0 : 1;
}
