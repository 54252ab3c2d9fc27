#!/bin/bash
# SPDX-License-Identifier: MIT
# tests/static/incremental.sh [BUILD]: after a build, a `make defconfig`
# that changes nothing must rebuild nothing: kconfig rewrites .config, but
# build/include/config.h, on which every object depends, is replaced only
# when its contents change (Makefile, "configuration"). Checked by running
# `make all` and watching what it runs: no compiler, archiver or Bochs
# run (`make -n` cannot tell: it assumes config.h's rule changes it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
B=${1:-build}
[ -f .config ] || { echo "incremental: no .config (run make first)" >&2; exit 1; }
cp .config "$B/.config.before"
make -s defconfig >/dev/null
cmp -s .config "$B/.config.before" || {
	cp "$B/.config.before" .config
	echo "incremental: .config is not the default configuration; skipped (make defconfig would change it)"
	exit 0
}
todo=$(make all B="$B" 2>&1 | grep -E '^(cc|gcc|clang|ar|ld|musl-gcc|grub-mkrescue|TERM=dumb timeout [0-9]+ bochs) ' || true)
if [ -n "$todo" ]; then
	echo "incremental: after an unchanged make defconfig, make all ran:" >&2
	echo "$todo" | cut -c1-160 | head -5 >&2
	exit 1
fi
echo "incremental: an unchanged make defconfig rebuilds nothing"
