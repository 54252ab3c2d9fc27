/* SPDX-License-Identifier: MIT */
/*
 * apps/guests/pingpong.h: the two roles of pingpong.c, for main.c.
 */
#ifndef GUESTS_PINGPONG_H
#define GUESTS_PINGPONG_H

/* Time round trips with the guest named peer (rounds: a decimal count,
 * 1..PINGPONG_ROUNDS_MAX) and print one line per measurement; 0, or 1
 * after a one-line reason. */
int pingpong_ping(const char *peer, const char *rounds);
/* Answer one guest's requests until it says it is done; 0, or 1 after a
 * one-line reason. */
int pingpong_pong(void);

#define PINGPONG_ROUNDS_MAX 1000u

#endif
