/* SPDX-License-Identifier: MIT */
/*
 * hv/kvm/console.c: exo's stdout and stderr, which every guest shares.
 *
 * With one guest its output goes straight through, byte for byte, as it
 * always has. With several, each guest's output to each stream is held
 * until a line is whole and then printed as "NAME: line", so that a reader
 * can tell the guests apart and no line mixes two guests: every write to
 * exo's streams (lines of guests, hv's reports, --stats) is made under one
 * lock, whole lines in one write(2). What a guest leaves without a newline
 * is printed as a line when it ends; a line longer than LINE_MAX is cut
 * into lines of LINE_MAX bytes. Output is the guest's, not hv's: when a
 * stream is gone (a closed pipe) the output is dropped and the guest goes
 * on.
 *
 * A stream that is a terminal gets no control bytes from a guest: a
 * hostile guest must not drive the user's terminal (escape sequences can
 * retitle it, remap keys, or on some terminals answer back as if typed).
 * Every byte below 0x20 other than \n, \t and \r, and 0x7f, is shown as
 * \xHH. Pipes and files get the guest's bytes unchanged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

#define LINE_MAX_BYTES 65536u

static int several;
static int tty[3]; /* [stream]: 1 when exo's stdout/stderr is a terminal */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

void kvm_out_init(int on)
{
	several = on;
	tty[1] = isatty(1) == 1;
	tty[2] = isatty(2) == 1;
}

int kvm_out_several(void)
{
	return several;
}

int kvm_out_tty(int stream)
{
	return stream >= 1 && stream <= 2 && tty[stream];
}

static void write_all(int fd, const char *buf, uint64_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* the stream is gone: the output is lost, not hv */
		buf += w;
		len -= (uint64_t)w;
	}
}

void kvm_out_raw(int stream, const char *buf, uint64_t len)
{
	pthread_mutex_lock(&out_lock);
	write_all(stream, buf, len);
	pthread_mutex_unlock(&out_lock);
}

/* Print lines [buf, buf+len) of k's, each "NAME: line\n"; the last may
 * lack its newline (it is given one). One write under the lock. */
static void put_lines(const struct kvm_guest *k, int stream, const char *buf, uint64_t len)
{
	uint64_t nlines = 0, name = strlen(k->g.name);
	for (uint64_t i = 0; i < len; i++)
		nlines += buf[i] == '\n';
	if (len && buf[len - 1] != '\n')
		nlines++;
	uint64_t size = len + nlines * (name + 3);
	char *out = malloc(size), *o = out;
	if (!out)
		return; /* no memory for output: dropped, like a closed stream */
	for (uint64_t i = 0; i < len; ) {
		const char *nl = memchr(buf + i, '\n', len - i);
		uint64_t n = nl ? (uint64_t)(nl - (buf + i)) : len - i;
		memcpy(o, k->g.name, name);
		o += name;
		*o++ = ':';
		*o++ = ' ';
		memcpy(o, buf + i, n);
		o += n;
		*o++ = '\n';
		i += n + 1;
	}
	kvm_out_raw(stream, out, (uint64_t)(o - out));
	free(out);
}

static int line_grow(struct kvm_line *l, uint64_t want)
{
	if (want <= l->cap)
		return 0;
	uint64_t cap = l->cap ? l->cap : 256;
	while (cap < want)
		cap *= 2;
	char *b = realloc(l->buf, cap);
	if (!b)
		return -1;
	l->buf = b;
	l->cap = cap;
	return 0;
}

static void emit(struct kvm_guest *k, int stream, const char *buf, uint64_t len)
{
	if (!several) {
		write_all(stream, buf, len);
		return;
	}
	/* Only k's own thread writes k's lines: no lock until printing. */
	struct kvm_line *l = stream == 1 ? &k->out : &k->err;
	while (len > 0) {
		const char *nl = l->len ? NULL : memrchr(buf, '\n', len);
		if (nl) {
			/* Whole lines and nothing held: straight out. */
			uint64_t n = (uint64_t)(nl - buf) + 1;
			put_lines(k, stream, buf, n);
			buf += n, len -= n;
			continue;
		}
		/* Hold up to the first newline, then print what is held. */
		nl = memchr(buf, '\n', len);
		uint64_t n = nl ? (uint64_t)(nl - buf) + 1 : len;
		if (n > LINE_MAX_BYTES - l->len)
			n = LINE_MAX_BYTES - l->len;
		if (line_grow(l, l->len + n) < 0) {
			/* No memory to hold it: what there is, as lines. */
			put_lines(k, stream, l->buf, l->len);
			put_lines(k, stream, buf, n);
			l->len = 0;
		} else {
			memcpy(l->buf + l->len, buf, n);
			l->len += n;
			if (l->len == LINE_MAX_BYTES || l->buf[l->len - 1] == '\n') {
				put_lines(k, stream, l->buf, l->len);
				l->len = 0;
			}
		}
		buf += n, len -= n;
	}
}

static int control(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f;
}

void kvm_out_write(struct kvm_guest *k, int stream, const char *buf, uint64_t len)
{
	uint64_t n = 0;
	k->console_bytes += len;
	if (stream < 1 || stream > 2 || !tty[stream]) {
		emit(k, stream, buf, len);
		return;
	}
	for (uint64_t i = 0; i < len; i++)
		n += control((unsigned char)buf[i]);
	if (!n) {
		emit(k, stream, buf, len);
		return;
	}
	k->console_escaped += n;
	/* Each control byte becomes four; in pieces, so a large write costs
	 * no large buffer. */
	static const char hex[] = "0123456789abcdef";
	char out[4096];
	uint64_t o = 0;
	for (uint64_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (control(c)) {
			out[o++] = '\\', out[o++] = 'x', out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
		if (o > sizeof out - 4) {
			emit(k, stream, out, o);
			o = 0;
		}
	}
	emit(k, stream, out, o);
}

void kvm_out_flush(struct kvm_guest *k)
{
	struct kvm_line *l[2] = { &k->out, &k->err };
	for (int s = 0; s < 2; s++) {
		if (l[s]->len)
			put_lines(k, s + 1, l[s]->buf, l[s]->len);
		free(l[s]->buf);
		*l[s] = (struct kvm_line){ 0 };
	}
}
