/* SPDX-License-Identifier: MIT */
/*
 * tests/guest/images/doorbell: doorbells between guests, both ways of
 * taking them (exo_doorbell_wait with interrupts off, the interrupt with
 * them on) and the ABI's rules about rings.
 *
 *   doorbell bell HOST   grant HOST a frame read-write, ring it, then obey
 *                        the commands HOST writes into the frame
 *   doorbell host        with one bell: the tests below
 *   doorbell many N      with N bells: each bell's ring is reported once,
 *                        by the pending set, whoever rang at the same time
 *
 * host's tests, each one line "doorbell: host: ...":
 *   - three rings made while it is busy (interrupts off, no exit) coalesce:
 *     the next wait returns 1 and the handler runs once, the one after 0;
 *   - a wait with no ring times out (0) after at least its timeout;
 *   - with interrupts on, a ring arrives as an interrupt on the doorbell's
 *     vector while host spins without exits: the handler runs from the
 *     IDT and returns with iretq to the spin; a wait after it returns 1
 *     (the ring happened) but the handler is not run again;
 *   - with the doorbell turned off (vector 0), a ring is EXO_ENOENT.
 * Exit status 0, or 1 with a line "doorbell: ROLE: FAIL ...".
 */
#include "exo/exo.h"

#define VECTOR 0x43
#define MS 1000000ull
#define TIMEOUT (10000 * MS)

enum { CMD_NONE, CMD_RING3, CMD_RING_LATER, CMD_RING_REPORT, CMD_DONE };

/* The bell's frame: its owner's id, and a command from the host. */
struct mailbox {
	volatile uint64_t owner, cmd, seq, ack;
	volatile int64_t result;
};

static const char *role;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	exo_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	exo_printf("doorbell: %s: FAIL %s\n", role, buf);
	return 1;
}

/* Who rang, counted by the handler; spinning says host is in a loop that
 * makes no hypercall, so a handler run then came by interrupt. */
static volatile uint64_t calls, async_calls;
static volatile uint32_t last_from;
static volatile int spinning;
static uint8_t seen[EXO_GUESTS_MAX];

static void rung(uint32_t from)
{
	calls++;
	last_from = from;
	seen[from] = 1;
	if (spinning)
		async_calls++;
}

/* Wait (10 s at most) for the next handler call. */
static int wait_call(const char *what)
{
	uint64_t c = calls;
	while (calls == c) {
		int64_t rc = exo_doorbell_wait(TIMEOUT);
		if (rc <= 0)
			return fail("no ring in 10 s (%s): %s", what,
				    rc < 0 ? exo_strerror(rc) : "timeout");
	}
	return 0;
}

static uint64_t ticks_per_ms(void)
{
	return exo_page()->tsc_khz;
}

/* Spin without exits until *v == want (10 s at most). */
static int spin_until(volatile uint64_t *v, uint64_t want, const char *what)
{
	uint64_t t0 = exo_rdtsc(), limit = ticks_per_ms() * 10000;
	for (uint64_t n = 1; *v != want; n++)
		if (n % 1024 == 0 && (limit ? exo_rdtsc() - t0 > limit : n > (1u << 24)))
			return fail("%s did not happen in 10 s", what);
	return 0;
}

/* --- bell --- */

static int bell(const char *host_name)
{
	static uint64_t frame;
	uint64_t bad, seq = 0;
	int64_t rc;
	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	if ((rc = exo_lookup_wait(host_name, TIMEOUT)) < 0)
		return fail("no guest named %s: %s", host_name, exo_strerror(rc));
	uint32_t host = (uint32_t)rc;
	if ((rc = exo_frames_alloc(&frame, 1, EXO_FA_ANY, &bad)) != 1)
		return fail("frame alloc: %s", exo_strerror(rc));
	struct mailbox *m = exo_frame_ptr(frame);
	m->owner = exo_guest_id();
	if ((rc = exo_grant(host, &frame, 1, EXO_GRANT_RW, &bad)) != 1)
		return fail("grant: %s", exo_strerror(rc));
	for (int ms = 0; (rc = exo_doorbell_ring(host)) == -EXO_ENOENT && ms < 10000; ms++)
		exo_doorbell_wait(MS);
	if (rc < 0)
		return fail("ring %s: %s", host_name, exo_strerror(rc));

	for (;;) {
		if (wait_call("a command"))
			return 1;
		if (m->seq == seq)
			continue;
		seq = m->seq;
		switch (m->cmd) {
		case CMD_RING3:
			for (int i = 0; i < 3 && rc >= 0; i++)
				rc = exo_doorbell_ring(host);
			break;
		case CMD_RING_LATER:
			for (int i = 0; i < 20; i++)
				exo_doorbell_wait(MS);
			rc = exo_doorbell_ring(host);
			break;
		case CMD_RING_REPORT:
			m->result = exo_doorbell_ring(host);
			rc = 0;
			break;
		case CMD_DONE:
			/* The host no longer touches the frame; it may have
			 * ended (EXO_ENOENT: its grants went with it). */
			rc = exo_grant(host, &frame, 1, EXO_GRANT_REVOKE, &bad);
			if (rc < 0 && rc != -EXO_ENOENT)
				return fail("revoke: %s", exo_strerror(rc));
			if ((rc = exo_frames_release(&frame, 1, &bad)) != 1)
				return fail("release: %s", exo_strerror(rc));
			exo_printf("doorbell: bell: done\n");
			return 0;
		default:
			return fail("unknown command %lu", (unsigned long)m->cmd);
		}
		if (rc < 0)
			return fail("ring %s: %s", host_name, exo_strerror(rc));
		m->ack = seq;
	}
}

/* --- host --- */

static uint64_t seq;

/* Have the bell whose mailbox is m do cmd; ring it (it may have to wait
 * for host's ring to see the command). */
static int command(struct mailbox *m, uint64_t cmd)
{
	m->cmd = cmd;
	m->seq = ++seq;
	int64_t rc = exo_doorbell_ring((uint32_t)m->owner);
	return rc < 0 ? fail("ring guest %lu: %s", (unsigned long)m->owner, exo_strerror(rc)) : 0;
}

static int host(void)
{
	int64_t rc;
	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	if (wait_call("the bell's first ring"))
		return 1;
	uint32_t b = last_from;
	uint64_t f = exo_granted_next(0, 1);
	if (f == EXO_FRAME_NONE)
		return fail("rung by guest %u, but nothing is granted read-write", b);
	struct mailbox *m = exo_frame_ptr(f);
	if (m->owner != b)
		return fail("frame %lu names guest %lu, the ring came from %u", (unsigned long)f,
			    (unsigned long)m->owner, b);
	exo_printf("doorbell: host: rung by guest %u, which shares frame %lu\n", b, (unsigned long)f);

	/* Coalescing: three rings while busy. */
	if (command(m, CMD_RING3) || spin_until(&m->ack, seq, "the bell's three rings"))
		return 1;
	uint64_t c0 = calls;
	int64_t w1 = exo_doorbell_wait(0);
	uint64_t c1 = calls - c0;
	int64_t w2 = exo_doorbell_wait(0);
	exo_printf("doorbell: host: 3 rings while busy: wait %ld, handler ran %lu time(s) "
		   "(guest %u), then wait %ld\n", (long)w1, (unsigned long)c1, last_from, (long)w2);

	/* A timeout. */
	uint64_t t0 = exo_rdtsc();
	int64_t w = exo_doorbell_wait(5 * MS);
	uint64_t ms = ticks_per_ms() ? (exo_rdtsc() - t0) / ticks_per_ms() : 5;
	exo_printf("doorbell: host: wait of 5 ms with no ring: %ld after %s5 ms\n", (long)w,
		   ms >= 5 ? ">= " : "< ");

	/* By interrupt, while spinning with interrupts on. */
	c0 = calls;
	if (command(m, CMD_RING_LATER))
		return 1;
	spinning = 1;
	exo_irq_enable();
	int late = spin_until(&async_calls, 1, "the interrupt");
	exo_irq_disable();
	spinning = 0;
	if (late || spin_until(&m->ack, seq, "the bell's ack"))
		return 1;
	exo_printf("doorbell: host: interrupt on vector 0x%x while spinning: handler ran %lu "
		   "time(s) (guest %u), and the spin went on\n", VECTOR,
		   (unsigned long)(calls - c0), last_from);
	c0 = calls;
	w = exo_doorbell_wait(0);
	exo_printf("doorbell: host: wait after the interrupt took the ring: %ld, handler ran "
		   "%lu time(s)\n", (long)w, (unsigned long)(calls - c0));

	/* Off. */
	rc = exo_doorbell_setup(0, 0);
	if (rc < 0 || command(m, CMD_RING_REPORT) || spin_until(&m->ack, seq, "the bell's report"))
		return rc < 0 ? fail("doorbell off: %s", exo_strerror(rc)) : 1;
	exo_printf("doorbell: host: a ring with the doorbell off: %s\n", exo_strerror(m->result));
	/* After this the bell may revoke the frame: not touched again. */
	return command(m, CMD_DONE);
}

/* --- many --- */

static int many(const char *arg)
{
	uint64_t n = 0;
	for (const char *s = arg; *s; s++)
		n = *s >= '0' && *s <= '9' && n < EXO_GUESTS_MAX ? n * 10 + (uint64_t)(*s - '0')
							       : EXO_GUESTS_MAX;
	if (n == 0 || n >= EXO_GUESTS_MAX)
		return fail("N must be 1..%u, not '%s'", EXO_GUESTS_MAX - 1, arg);
	int64_t rc;
	if ((rc = exo_doorbell_setup(VECTOR, rung)) < 0)
		return fail("doorbell setup: %s", exo_strerror(rc));
	while (calls < n)
		if (wait_call("the bells' rings"))
			return 1;
	char ids[4 * EXO_GUESTS_MAX] = "";
	size_t len = 0, distinct = 0;
	for (uint32_t id = 0; id < EXO_GUESTS_MAX; id++)
		if (seen[id]) {
			distinct++;
			len += (size_t)exo_snprintf(ids + len, sizeof ids - len, " %u", id);
		}
	exo_printf("doorbell: many: %lu rings reported, from %lu guests:%s\n", (unsigned long)calls,
		   (unsigned long)distinct, ids);
	for (uint64_t f = exo_granted_next(0, 1); f != EXO_FRAME_NONE; f = exo_granted_next(f + 1, 1))
		if (command(exo_frame_ptr(f), CMD_DONE))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	role = argc > 1 ? argv[1] : "?";
	if (argc == 3 && !strcmp(role, "bell"))
		return bell(argv[2]);
	if (argc == 2 && !strcmp(role, "host"))
		return host();
	if (argc == 3 && !strcmp(role, "many"))
		return many(argv[2]);
	role = "usage";
	return fail("doorbell bell HOST | doorbell host | doorbell many N");
}
