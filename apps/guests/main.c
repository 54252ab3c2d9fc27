/* SPDX-License-Identifier: MIT */
/*
 * apps/guests: the guest image of the many-guests benchmark
 * (apps/guests/bench.sh).
 *
 *   guests                      return 0 at once: the smallest guest, whose
 *                               start `exo run` is timed against raw KVM
 *   guests pong                 answer PEER's requests until told it is done
 *   guests ping PEER [ROUNDS]   time ROUNDS (default 100) doorbell round
 *                               trips, grant round trips and grant+revoke
 *                               pairs with PEER (pingpong.c)
 *
 * With no arguments nothing runs but guestlib's start and main's return:
 * the other modes live in the same image only because the Makefile builds
 * one image per apps/ directory.
 */
#include "exo/exo.h"

#include "pingpong.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 0;
	if (argc == 2 && !strcmp(argv[1], "pong"))
		return pingpong_pong();
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "ping"))
		return pingpong_ping(argv[2], argc == 4 ? argv[3] : "100");
	exo_printf("usage: guests | guests pong | guests ping PEER [ROUNDS]\n");
	return 2;
}
