# SPDX-License-Identifier: MIT
# exo: top-level build.
#
#   make demo       install what is missing, build, run the demo guests
#   make check      install what is missing, build, run every test
#   make            build build/exo and the guest images
#   make deps       install missing Debian packages (apt-get, as root)
#   make install    exo, exo-cc, guest libraries and headers, exo(1) under
#                   PREFIX (/usr/local), DESTDIR; make uninstall
#   make defconfig | olddefconfig | menuconfig
#
# Host code (hv/) is ordinary C; guest code (guestlib/, libos/, apps/,
# tests/guest/images/) runs in guest ring 0 and is built like a kernel:
# freestanding, no SSE, no red zone, linked in the top 2 GiB.

B := build
CC ?= cc
KCONFIG := kconfig-conf

PACKAGES := gcc make libc6-dev linux-libc-dev kconfig-frontends-nox \
	libcriterion-dev util-linux musl-tools musl-dev \
	dpkg-dev tcl file xz-utils bzip2 patch \
	bochs bochs-term bochsbios vgabios grub-pc-bin grub-common xorriso mtools gdb

WARN := -Wall -Wextra -Werror
# include/exo/abi.h is the one header hv and guests share; hv's include
# path has nothing of guestlib's. -MMD -MP: every object's header
# dependencies come from the compiler (build/**/*.d).
DEPFLAGS := -MMD -MP
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEPFLAGS) -Iinclude -I$(B)/include
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEPFLAGS) -Iinclude -Iguestlib/include -Iguestlib/src -Ilibos \
	-ffreestanding -fno-pie -fno-pic -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-omit-frame-pointer
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guestlib/guest.ld -L$(B)/guestlib \
	-Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack

CONFIG_H := $(B)/include/config.h

CORE_SRC := $(wildcard hv/core/*.c)
CORE_H := $(wildcard hv/core/*.h)
KVM_SRC := $(wildcard hv/kvm/*.c)
GUESTLIB := $(B)/guestlib/libguest.a
LIBVM := $(B)/libos/libvm.a
LIBGC := $(B)/libos/libgc.a
GUEST_LIBS := $(LIBGC) $(LIBVM) $(GUESTLIB)

SHIM_SRC := $(wildcard posix-shim/*.c posix-shim/*.S)
SHIM := $(B)/posix-shim/shim

# Apps that are ordinary Linux programs, built with musl and run under
# posix-shim; every other app is a guestlib image.
POSIX_APPS := syscalls
# Apps that tests/programs/build.sh builds against a third-party library
# it fetches (gcbench: bdwgc's libgc), into $(B)/programs/bin.
PROGRAM_APPS := gcbench
APPS := $(filter-out $(POSIX_APPS) $(PROGRAM_APPS),$(notdir $(patsubst %/,%,$(wildcard apps/*/))))
APP_IMAGES := $(addprefix $(B)/apps/,$(APPS)) $(addprefix $(B)/apps/,$(POSIX_APPS))
MUSL_CC := musl-gcc
MUSL_CFLAGS := -static -O2 $(WARN)
# Test programs for posix-shim: plain C, built with musl, run natively and
# under exo by the harnesses in tests/posix/.
POSIX_PROGS := $(patsubst tests/posix/progs/%.c,$(B)/tests/posix/progs/%,$(wildcard tests/posix/progs/*.c)) \
	$(B)/tests/posix/progs/pie-process $(B)/tests/posix/progs/pie-memory
TEST_IMAGES := $(patsubst tests/guest/images/%.c,$(B)/tests/guest/%,$(wildcard tests/guest/images/*.c))

UNIT_TESTS := $(patsubst tests/core/%.c,$(B)/tests/core/%,$(filter-out tests/core/fake_plat.c,$(wildcard tests/core/*.c))) \
	$(patsubst tests/kvm/%.c,$(B)/tests/kvm/%,$(wildcard tests/kvm/*.c))
GUEST_TESTS := $(patsubst tests/guest/%.c,$(B)/tests/guest/%,$(wildcard tests/guest/*.c)) \
	$(patsubst tests/posix/%.c,$(B)/tests/posix/%,$(wildcard tests/posix/*.c))

.PHONY: all deps check demo test bench bochs qemu defconfig olddefconfig menuconfig clean \
	docs-calls check-docs programs
.DELETE_ON_ERROR:

# The platforms Kconfig selects, and the tests that go with each.
-include .config
PLATFORMS := $(if $(CONFIG_PLATFORM_KVM),$(B)/exo) $(if $(CONFIG_PLATFORM_METAL),$(B)/metal/exo-metal)

all: $(PLATFORMS) $(SHIM) $(APP_IMAGES) $(TEST_IMAGES) $(POSIX_PROGS)

# --- configuration ---

.config:
	KCONFIG_CONFIG=.config $(KCONFIG) -s --alldefconfig Kconfig

defconfig:
	KCONFIG_CONFIG=.config $(KCONFIG) -s --alldefconfig Kconfig

olddefconfig:
	KCONFIG_CONFIG=.config $(KCONFIG) -s --olddefconfig Kconfig

menuconfig:
	KCONFIG_CONFIG=.config kconfig-mconf Kconfig

# kconfig-conf writes dependency files under the current directory; keep
# them inside build/. config.h is replaced only when its contents change,
# so a `make defconfig` that changes nothing rebuilds nothing (the rule
# itself then reruns, a few milliseconds, until .config changes).
$(CONFIG_H): .config Kconfig
	@mkdir -p $(B)/kconfig/include/config $(B)/include
	cd $(B)/kconfig && KCONFIG_CONFIG=../../.config \
		KCONFIG_AUTOHEADER=../include/config.h.new KCONFIG_AUTOCONFIG=auto.conf \
		KCONFIG_TRISTATE=tristate.conf $(KCONFIG) -s --silentoldconfig ../../Kconfig
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# --- host: hv ---

$(B)/hv/%.o: hv/%.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(B)/exo: $(patsubst %.c,$(B)/%.o,$(CORE_SRC) $(KVM_SRC))
	$(CC) -o $@ $^

# --- guests ---

# Guest code, C or assembly, compiled like a kernel.
$(B)/guest/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/guest/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

# The IDT's exception gates, for guestlib/guest.ld to lay out at link time:
# one line a vector, offset split as a 64-bit interrupt gate wants it;
# #DF (8) on IST 1. Every guest image links against it.
$(B)/guestlib/idt.ld: Makefile
	@mkdir -p $(dir $@)
	@for v in $$(seq 0 31); do ist=0; [ $$v = 8 ] && ist=1; \
		echo "SHORT(exo_vector_$$v & 0xffff) SHORT(0x08) BYTE($$ist) BYTE(0x8e)" \
		     "SHORT((exo_vector_$$v >> 16) & 0xffff) LONG(exo_vector_$$v >> 32) LONG(0)"; \
	done > $@.tmp && mv $@.tmp $@
$(GUESTLIB): $(B)/guestlib/idt.ld

# A guest library: archive $(1) of every .c and .S file in directory $(2).
define guest_lib
$(1): $(patsubst %,$(B)/guest/%.o,$(wildcard $(2)/*.c $(2)/*.S))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call guest_lib,$(GUESTLIB),guestlib/src))
$(eval $(call guest_lib,$(LIBVM),libos/vm))
$(eval $(call guest_lib,$(LIBGC),libos/gc))

# posix-shim: the guest image `exo run` boots for a program that is not
# linked with guestlib.
$(SHIM): $(SHIM_SRC) $(wildcard posix-shim/*.h) $(GUEST_LIBS) guestlib/guest.ld \
		$(wildcard include/exo/*.h guestlib/include/exo/*.h libos/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(SHIM_SRC) $(GUEST_LIBS)

# A guest image: its C files, linked with the library OSes and guestlib at
# the image window (archives: only what the guest uses is linked).
define guest_image
$(1): $(2) $(GUEST_LIBS) guestlib/guest.ld $(wildcard include/exo/*.h guestlib/include/exo/*.h libos/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(GUEST_CFLAGS) $$(GUEST_LDFLAGS) -o $$@ $(2) $$(GUEST_LIBS)
endef
$(foreach a,$(POSIX_APPS),$(eval $(B)/apps/$(a): $(wildcard apps/$(a)/*.c apps/$(a)/*.h)))
$(addprefix $(B)/apps/,$(POSIX_APPS)):
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -o $@ $(filter %.c,$^)

$(B)/tests/posix/progs/%: tests/posix/progs/%.c $(wildcard tests/posix/progs/*.h)
	@mkdir -p $(dir $@)
	$(MUSL_CC) $(MUSL_CFLAGS) -o $@ $<

# pie-NAME: progs/NAME.c as a static-pie (musl's rcrt1.o self-relocates),
# loaded by posix-shim at a base of its choosing.
MUSL_LIB := /usr/lib/x86_64-linux-musl
$(B)/tests/posix/progs/pie-%: tests/posix/progs/%.c $(wildcard tests/posix/progs/*.h)
	@mkdir -p $(dir $@)
	$(MUSL_CC) -O2 $(WARN) -fPIE -c -o $@.o $<
	$(CC) -nostdlib -static-pie -o $@ $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
		$$($(CC) -print-file-name=crtbeginS.o) $@.o -L$(MUSL_LIB) -lc \
		$$($(CC) -print-libgcc-file-name) $$($(CC) -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o

# progs/ring0 runs under --ring 0, where the host may emulate guest ring 0
# and SSE faults there: no libc, no FPU/SSE, its own _start.
$(B)/tests/posix/progs/ring0: tests/posix/progs/ring0.c
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -ffreestanding -fno-pie -no-pie -fno-stack-protector \
		-mgeneral-regs-only -O1 $(WARN) -o $@ $<

# Files named *_linux.c are the native-Linux side of an app (benchmarks).
$(foreach a,$(APPS),$(eval $(call guest_image,$(B)/apps/$(a),$(filter-out %_linux.c,$(wildcard apps/$(a)/*.c)))))
$(foreach t,$(TEST_IMAGES),$(eval $(call guest_image,$(t),tests/guest/images/$(notdir $(t)).c)))

# --- tests ---

$(B)/tests/core/%: tests/core/%.c tests/core/fake_plat.c $(CORE_SRC) $(CONFIG_H) $(CORE_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/core -o $@ $< tests/core/fake_plat.c $(CORE_SRC) -lcriterion

# hv/kvm's command line and host files, and its exception injection on a
# bare vCPU (test_exception needs /dev/kvm): what they need of hv/core is
# its parsing.
$(B)/tests/kvm/%: tests/kvm/%.c $(KVM_SRC) $(CORE_SRC) $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/kvm -o $@ $< hv/kvm/cli.c hv/kvm/forward.c hv/kvm/files.c hv/kvm/paths.c \
		hv/kvm/report.c hv/kvm/console.c hv/kvm/plat.c hv/kvm/exception.c hv/kvm/sandbox.c hv/kvm/maps.c \
		hv/core/parse.c -lcriterion

$(B)/tests/guest/%: tests/guest/%.c tests/guest/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< -lcriterion

$(B)/tests/posix/%: tests/posix/%.c tests/guest/harness.h $(wildcard tests/posix/*.h) apps/softdirty.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests/guest -o $@ $< -lcriterion

$(B)/tests/metal/test_caps: tests/metal/test_caps.c hv/metal/caps.c hv/metal/caps.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/metal -o $@ $< hv/metal/caps.c -lcriterion

# Module command lines: hv/metal/module.c and the hv/core parsers it uses.
$(B)/tests/metal/test_module: tests/metal/test_module.c hv/metal/module.c hv/core/parse.c \
		hv/metal/metal.h $(CORE_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/metal -o $@ $< hv/metal/module.c hv/core/parse.c -lcriterion

$(B)/tests/metal/test_bochs: tests/metal/test_bochs.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< -lcriterion

METAL_TESTS := $(B)/tests/metal/test_caps $(B)/tests/metal/test_module $(B)/tests/metal/test_bochs
RUN_TESTS := $(UNIT_TESTS) $(if $(CONFIG_PLATFORM_KVM),$(GUEST_TESTS)) \
	$(if $(CONFIG_PLATFORM_METAL),$(METAL_TESTS))

test: all $(RUN_TESTS) $(if $(CONFIG_PLATFORM_KVM),programs) \
		$(if $(CONFIG_PLATFORM_METAL),$(B)/metal/bochs.out $(B)/metal/bochs-novmx.out)
	@set -e; for t in $(RUN_TESTS); do echo "== $$t"; $$t --jobs 2; done
	@$(MAKE) --no-print-directory check-docs

# The table of calls in docs/posix-shim.md comes from posix-shim/calls.h.
CALLS_TABLE = awk -f posix-shim/calls-table.awk posix-shim/calls.h
docs-calls:
	@{ sed '/^<!-- BEGIN CALLS/q' docs/posix-shim.md; $(CALLS_TABLE); \
	   sed -n '/^<!-- END CALLS/,$$p' docs/posix-shim.md; } > docs/posix-shim.md.tmp
	@mv docs/posix-shim.md.tmp docs/posix-shim.md

check-docs:
	@mkdir -p $(B)
	@sed -n '/^<!-- BEGIN CALLS/,/^<!-- END CALLS/p' docs/posix-shim.md | sed '1d;$$d' > $(B)/docs-calls.doc
	@$(CALLS_TABLE) > $(B)/docs-calls.want
	@diff -u $(B)/docs-calls.want $(B)/docs-calls.doc > $(B)/docs-calls.diff || { \
		echo "docs/posix-shim.md's table of calls differs from posix-shim/calls.h" \
		     "(run make docs-calls):"; cut -c1-160 $(B)/docs-calls.diff | head -12; exit 1; }
	@echo "check-docs: docs/posix-shim.md matches posix-shim/calls.h"

# Real programs nobody here wrote (lua, bzip2, sqlite3), fetched as source
# from Debian's archive and built static with musl (once: build.sh keeps
# them under build/programs). tests/posix/test_programs runs them natively
# and under exo with the same inputs (tests/programs/run.sh): stdout, files
# written and exit status must match. build.sh also builds bdwgc (libgc)
# with its own test program, gctest, and apps/gcbench against it, which
# tests/posix/test_gc runs in incremental mode (docs/gc.md).
programs:
	bash tests/programs/build.sh $(B)

check:
	$(MAKE) deps
	$(MAKE) all
	$(MAKE) test

# The demo: a guest that greets, one that works its frames, one that forges
# hypercall arguments and carries on, one that touches a frame it does not
# own and is ended alone, and an ordinary static musl program under
# posix-shim (the one hv/metal runs too). Each line says the command and
# its status.
DEMO_RUNS := "--stats $(B)/apps/hello demo" \
	"--mem 1M $(B)/tests/guest/frames" \
	"$(B)/tests/guest/forged" \
	"$(B)/tests/guest/crash read-unowned" \
	"--stats $(B)/tests/metal/progs/compute a musl program status=7"

demo:
	$(MAKE) deps
	$(MAKE) all $(B)/tests/metal/progs/compute
	@for r in $(DEMO_RUNS); do echo; echo "\$$ $(B)/exo run $$r"; \
		$(B)/exo run $$r; echo "[exit status $$?]"; done

# --- exo-cc: POSIX programs that also call exo's library OSes ---
#
# build/exo-cc is musl-gcc plus -static, -Iinclude (<exo/vm.h>) and, when
# it links, build/lib/libexo.a: the program side of the exo calls
# (include/exo/exocall.h), which posix-shim serves (posix-shim/exocall.c).
# It is generated from posix-shim/lib/exo-cc.in with this tree's absolute
# paths. tests/exocc/: vmapi.c and gcapi.c (<exo/vm.h>, <exo/gc.h>),
# built with it, and test_exocc.c and test_gcapi.c, which run them on exo
# and natively.

EXO_MUSL_CC = $(or $(MUSL_CC),musl-gcc)
LIBEXO_SRC := $(wildcard posix-shim/lib/*.c)
LIBEXO_OBJ := $(patsubst posix-shim/lib/%.c,$(B)/lib/exo/%.o,$(LIBEXO_SRC))
LIBEXO := $(B)/lib/libexo.a
EXO_CC := $(B)/exo-cc
EXO_SPECS := $(B)/lib/exo.specs
EXOCC_PROGS := $(B)/tests/exocc/vmapi $(B)/tests/exocc/gcapi
EXOCC_TESTS := $(B)/tests/exocc/test_exocc $(B)/tests/exocc/test_gcapi

all: $(EXO_CC) $(EXOCC_PROGS)
$(SHIM): $(wildcard include/exo/*.h)

$(B)/lib/exo/%.o: posix-shim/lib/%.c $(wildcard include/exo/*.h posix-shim/lib/*.h)
	@mkdir -p $(dir $@)
	$(EXO_MUSL_CC) -std=gnu11 -O2 -g $(WARN) -Iinclude -c -o $@ $<

$(LIBEXO): $(LIBEXO_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(EXO_SPECS): posix-shim/lib/exo.specs.in
	@mkdir -p $(dir $@)
	sed 's|@LIBEXO@|$(abspath $(LIBEXO))|g' $< > $@

$(EXO_CC): posix-shim/lib/exo-cc.in $(LIBEXO) $(EXO_SPECS)
	sed -e 's|@INCLUDE@|$(abspath include)|g' -e 's|@SPECS@|$(abspath $(EXO_SPECS))|g' \
		-e 's|@LIBEXO@|$(abspath $(LIBEXO))|g' -e 's|@MUSL_CC@|$(EXO_MUSL_CC)|g' $< > $@.tmp
	chmod +x $@.tmp
	mv $@.tmp $@

$(EXOCC_PROGS): $(B)/tests/exocc/%: tests/exocc/%.c tests/exocc/prog.h $(EXO_CC) $(LIBEXO) $(wildcard include/exo/*.h)
	@mkdir -p $(dir $@)
	$(EXO_CC) -O2 $(WARN) -o $@ $<

$(EXOCC_TESTS): $(B)/tests/exocc/%: tests/exocc/%.c tests/exocc/transcript.h tests/guest/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itests/guest -o $@ $< -lcriterion

RUN_TESTS += $(if $(CONFIG_PLATFORM_KVM),$(EXOCC_TESTS))
test: $(if $(CONFIG_PLATFORM_KVM),$(EXOCC_TESTS))

# --- install: exo, exo-cc, posix-shim and what a guest is built with ---
#
# `make install [PREFIX=/usr/local] [DESTDIR=]` puts under PREFIX:
#   bin/exo, bin/exo-cc                 exo-cc with the installed paths
#   lib/exo/posix-shim/shim             the image `exo run PROG` boots
#   lib/exo/lib{guest,vm,gc}.a          GUEST_LIBS: guestlib, libos/vm, libos/gc
#   lib/exo/libexo.a, exo.specs         exo-cc's
#   lib/exo/guest.ld, lib/exo/idt.ld    the layout; guest.ld INCLUDEs idt.ld,
#                                       which ld finds through -L PREFIX/lib/exo
#   lib/exo/include/exo -> ../../../include/exo   exo-cc's -I: nothing but exo/
#   include/exo/*.h                     include/exo and guestlib/include/exo
#   include/exo/libos/{vm,gc}/*.h       libos: "vm/vm.h", "gc/gc.h"
#   lib/pkgconfig/exo-guest.pc          Cflags and Libs for a guest image
#   share/man/man1/exo.1
# docs/writing-a-guest.md builds guests from that tree alone;
# tests/install/test_install.sh (make test) checks it. `make uninstall`
# removes exactly those files, and the directories of exo's own it leaves
# empty.

PREFIX ?= /usr/local
DESTDIR ?=
# For install-check: pkg-config, and groff to check exo(1).
PACKAGES += pkgconf groff-base
INST_BIN := $(PREFIX)/bin
INST_LIB := $(PREFIX)/lib/exo
INST_INC := $(PREFIX)/include/exo
INST_PC := $(PREFIX)/lib/pkgconfig
INST_MAN := $(PREFIX)/share/man/man1
INST_HEADERS := $(addprefix $(INST_INC)/,$(notdir $(wildcard include/exo/*.h guestlib/include/exo/*.h))) \
	$(patsubst libos/%,$(INST_INC)/libos/%,$(wildcard libos/*/*.h))
INST_FILES := $(INST_BIN)/exo $(INST_BIN)/exo-cc $(INST_LIB)/posix-shim/shim \
	$(addprefix $(INST_LIB)/,$(notdir $(GUEST_LIBS)) libexo.a exo.specs guest.ld idt.ld include/exo) \
	$(INST_HEADERS) $(INST_PC)/exo-guest.pc $(INST_MAN)/exo.1
# exo's own directories, deepest first: uninstall removes those left empty.
INST_DIRS := $(sort $(dir $(patsubst libos/%,$(INST_INC)/libos/%,$(wildcard libos/*/*.h)))) \
	$(INST_INC)/libos/ $(INST_INC)/ $(INST_LIB)/posix-shim/ $(INST_LIB)/include/ $(INST_LIB)/
# exo-guest.pc: GUEST_CFLAGS less warnings, dependency files, -O2 -g and
# the tree's -I; GUEST_LDFLAGS less the tree's guest.ld and -L.
comma := ,
PC_CFLAGS := $(filter-out $(WARN) $(DEPFLAGS) -O2 -g -I%,$(GUEST_CFLAGS))
PC_LIBS := $(filter-out -Wl$(comma)-T$(comma)% -L%,$(GUEST_LDFLAGS))
PC_LINK := $(patsubst lib%.a,-l%,$(notdir $(GUEST_LIBS)))

.PHONY: install uninstall install-check
install: $(B)/exo $(SHIM) $(GUEST_LIBS) $(B)/guestlib/idt.ld $(LIBEXO) docs/exo.1
	install -d $(addprefix $(DESTDIR),$(INST_BIN) $(INST_LIB)/posix-shim $(INST_LIB)/include \
		$(INST_PC) $(INST_MAN) $(sort $(dir $(INST_HEADERS))))
	install -m 755 $(B)/exo $(DESTDIR)$(INST_BIN)/exo
	sed -e 's|@INCLUDE@|$(INST_LIB)/include|g' -e 's|@SPECS@|$(INST_LIB)/exo.specs|g' \
		-e 's|@LIBEXO@|$(INST_LIB)/libexo.a|g' -e 's|@MUSL_CC@|$(EXO_MUSL_CC)|g' \
		-e 's|the paths below are the build tree.s|the paths below are where make install put them|' \
		posix-shim/lib/exo-cc.in > $(DESTDIR)$(INST_BIN)/exo-cc
	chmod 755 $(DESTDIR)$(INST_BIN)/exo-cc
	sed 's|@LIBEXO@|$(INST_LIB)/libexo.a|g' posix-shim/lib/exo.specs.in > $(DESTDIR)$(INST_LIB)/exo.specs
	install -m 644 $(SHIM) $(DESTDIR)$(INST_LIB)/posix-shim/shim
	install -m 644 $(GUEST_LIBS) $(LIBEXO) guestlib/guest.ld $(B)/guestlib/idt.ld $(DESTDIR)$(INST_LIB)/
	ln -sfn ../../../include/exo $(DESTDIR)$(INST_LIB)/include/exo
	install -m 644 include/exo/*.h guestlib/include/exo/*.h $(DESTDIR)$(INST_INC)/
	for h in libos/*/*.h; do install -m 644 $$h $(DESTDIR)$(INST_INC)/$$h || exit 1; done
	{ echo 'prefix=$(PREFIX)'; echo 'libdir=$${prefix}/lib/exo'; echo 'includedir=$${prefix}/include'; \
	  echo; echo 'Name: exo-guest'; \
	  echo 'Description: guestlib, libos/vm and libos/gc: a guest image for exo run'; \
	  echo 'Version: 0'; \
	  echo 'Cflags: -I$${includedir} -I$${includedir}/exo/libos $(PC_CFLAGS)'; \
	  echo 'Libs: -L$${libdir} -Wl,-T,guest.ld $(PC_LIBS) $(PC_LINK)'; \
	} > $(DESTDIR)$(INST_PC)/exo-guest.pc
	install -m 644 docs/exo.1 $(DESTDIR)$(INST_MAN)/exo.1

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	rmdir $(addprefix $(DESTDIR),$(INST_DIRS)) 2>/dev/null || true

# make test: install into a temporary DESTDIR and build and run guests,
# and an exo-cc program, from it alone.
install-check: $(B)/exo $(SHIM) $(GUEST_LIBS) $(B)/guestlib/idt.ld $(LIBEXO)
	@MAKE="$(MAKE)" bash tests/install/test_install.sh $(B)
test: $(if $(CONFIG_PLATFORM_KVM),install-check)

# --- hv/metal: exo's own VMX root, booted from a GRUB ISO ---

METAL_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(DEPFLAGS) -Iinclude -I$(B)/include \
	-ffreestanding -fno-pie -fno-pic -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables -fcf-protection=none
METAL_SRC := $(wildcard hv/metal/*.c hv/metal/*.S) $(CORE_SRC)
METAL_OBJ := $(patsubst %,$(B)/metal/%.o,$(METAL_SRC))

$(B)/metal/%.c.o: %.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(METAL_CFLAGS) -c -o $@ $<

$(B)/metal/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(METAL_CFLAGS) -c -o $@ $<

# libgcc for the compiler's own helpers (hv/core divides 128-bit numbers:
# __udivti3), integer code only, which hv/metal may run without touching a
# guest's x87/SSE state.
$(B)/metal/exo-metal: $(METAL_OBJ) hv/metal/metal.ld
	$(CC) -nostdlib -static -no-pie -Wl,-T,hv/metal/metal.ld -Wl,-z,max-page-size=4096 \
		-Wl,--build-id=none -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -o $@ $(METAL_OBJ) \
		-lgcc

# Compute-only Linux programs for hv/metal (tests/metal/progs/): plain C,
# static musl, run natively and, under posix-shim, on metal.
METAL_PROGS := $(patsubst tests/metal/progs/%.c,$(B)/tests/metal/progs/%,$(wildcard tests/metal/progs/*.c))

$(B)/tests/metal/progs/%: tests/metal/progs/%.c
	@mkdir -p $(dir $@)
	musl-gcc -static -O2 $(WARN) -o $@ $<

# A GRUB ISO $(1): hv/metal as the multiboot2 kernel, each line of the
# list $(2) a module (the image, then its command line).
define metal_iso
$(1): $(B)/metal/exo-metal $(2) $(sort $(shell sed -e '/^\#/d' -e '/^ *$$$$/d' -e 's/ .*//' $(2)))
	rm -rf $$@.d && mkdir -p $$@.d/boot/grub
	cp $(B)/metal/exo-metal $$@.d/boot/
	{ echo 'set timeout=0'; echo 'menuentry "exo hv/metal" {'; \
	  echo '  multiboot2 /boot/exo-metal'; n=0; \
	  grep -v '^#' $(2) | while read -r image cmdline; do \
		n=$$$$((n + 1)); cp "$$$$image" $$@.d/boot/g$$$$n; \
		echo "  module2 /boot/g$$$$n $$$$cmdline"; done; \
	  echo '  boot'; echo '}'; } > $$@.d/boot/grub/grub.cfg
	grub-mkrescue -o $$@ $$@.d 2>$$@.log || { cat $$@.log; exit 1; }
endef
$(eval $(call metal_iso,$(B)/metal/exo-metal.iso,hv/metal/guests.list))

# vmbench's path length: apps/vmbench/metal.list on hv/metal under Bochs,
# whose TSC counts instructions (apps/vmbench/bench.sh reads the ticks).
$(eval $(call metal_iso,$(B)/metal/vmbench.iso,apps/vmbench/metal.list))
$(B)/bench/vmbench-bochs.out: $(B)/metal/vmbench.iso hv/metal/bochsrc
	@mkdir -p $(dir $@)
	sed -e 's|BUILD/metal/exo-metal.iso|$<|' -e 's|BUILD|$(B)|g' \
		-e 's|bochs.log|vmbench-bochs.log|' hv/metal/bochsrc > $(B)/metal/vmbench-bochs.rc
	printf 'c\nquit\n' > $(B)/metal/debugger.rc
	TERM=dumb timeout 600 bochs -q -f $(B)/metal/vmbench-bochs.rc -rc $(B)/metal/debugger.rc \
		< /dev/null > $@.tmp 2>&1; echo $$? > $@.status
	mv $@.tmp $@

# Boot it under Bochs (VT-x with EPT emulated), headless; its port 0xE9
# output is hv/metal's console. Then check what every guest printed.
# bochs-novmx: the same ISO on a CPU model without VT-x, which hv/metal
# must refuse with a clear message and a failing status.
$(B)/metal/bochs.out: CPU_MODEL := corei7_skylake_x
$(B)/metal/bochs-novmx.out: CPU_MODEL := ryzen
$(B)/metal/bochs.out $(B)/metal/bochs-novmx.out: $(B)/metal/exo-metal.iso hv/metal/bochsrc
	sed -e 's|BUILD|$(B)|g' -e 's|model=corei7_skylake_x|model=$(CPU_MODEL)|' \
		-e 's|bochs.log|$(notdir $(basename $@)).log|' hv/metal/bochsrc > $(basename $@).rc
	printf 'c\nquit\n' > $(B)/metal/debugger.rc
	TERM=dumb timeout 600 bochs -q -f $(basename $@).rc -rc $(B)/metal/debugger.rc \
		< /dev/null > $@.tmp 2>&1; echo $$? > $(basename $@).status
	mv $@.tmp $@

bochs: $(B)/metal/bochs.out $(B)/metal/bochs-novmx.out $(B)/tests/metal/test_bochs $(METAL_PROGS)
	$(B)/tests/metal/test_bochs

# A laptop with nested VT-x: the same ISO under QEMU/KVM. Exit status 1
# from isa-debug-exit means hv/metal finished.
qemu:
	@grep -qw vmx /proc/cpuinfo || { echo "make qemu: this machine's CPU shows no vmx flag:" \
		"hv/metal needs VT-x with nested VMX under KVM (use make bochs here)" >&2; exit 1; }
	$(MAKE) deps PACKAGES="$(PACKAGES) qemu-system-x86"
	$(MAKE) $(B)/metal/exo-metal.iso
	qemu-system-x86_64 -enable-kvm -cpu host -m 512 -cdrom $(B)/metal/exo-metal.iso -display none \
		-debugcon stdio -serial null -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-no-reboot; test $$? -eq 1

# --- benchmarks ---

BENCH_PACKAGES := gnuplot-nox

# An app's native-Linux build: the same sources with *_linux.c in place
# of the exo backend.
$(B)/bench/%-linux: $(wildcard apps/*/*.c apps/*/*.h apps/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $(filter-out %_exo.c,$(wildcard apps/$*/*.c))

# apps/guests' native programs, one file each (apps/guests/NAME_linux.c
# to $(B)/bench/guests-NAME): raw KVM, the pipe ping-pong, the timer.
GUESTS_BENCH := $(patsubst apps/guests/%_linux.c,$(B)/bench/guests-%,$(wildcard apps/guests/*_linux.c))
$(B)/bench/guests-%: apps/guests/%_linux.c apps/rawkvm.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

# apps/limits' raw KVM exit round trip (kvmexit_linux.c), sharing
# apps/rawkvm.h's minimal VM with guests-rawkvm.
$(B)/bench/limits-kvmexit: apps/limits/kvmexit_linux.c apps/rawkvm.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<
LIMITS_BENCH := $(B)/bench/limits-kvmexit $(B)/bench/guests-rawkvm $(B)/bench/guests-spawn

# apps/replace's native scan (scan_linux.c), for its comparison with Linux.
$(B)/bench/replace-scan: apps/replace/scan_linux.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $<

# vmbench (Appel and Li's primitives), then apps/syscalls: single system
# calls and real programs (tests/programs/build.sh), natively and on exo;
# then apps/guests: guest start, many guests, round trips between guests;
# then apps/replace: application-controlled replacement under revocation,
# and revocation's latency; then apps/gcbench: bdwgc's incremental
# collector with hardware dirty bits and with mprotect, on exo and Linux;
# then apps/limits: exo's hypercall, guest start and TRAP beside raw KVM's
# exit, create + first run and a bare #PF.
bench:
	$(MAKE) deps PACKAGES="$(PACKAGES) $(BENCH_PACKAGES)"
	$(MAKE) all programs $(B)/bench/vmbench-linux $(GUESTS_BENCH) $(B)/bench/replace-scan $(LIMITS_BENCH) \
		$(if $(CONFIG_PLATFORM_METAL),$(B)/bench/vmbench-bochs.out)
	bash apps/vmbench/bench.sh $(B)
	bash apps/syscalls/bench.sh $(B)
	bash apps/guests/bench.sh $(B)
	bash apps/replace/bench.sh $(B)
	bash apps/gcbench/bench.sh $(B)
	bash apps/limits/bench.sh $(B)

# The benchmarks in quick mode (part of make test), so that they cannot
# rot: apps/vmbench natively and on exo ring 3 (under a second), with the
# path-length column from hv/metal under Bochs where it is configured
# (about 20 s), and apps/limits (a few seconds). Fails unless every run
# passed its own checks and every row produced a number.
.PHONY: bench-check
bench-check: $(PLATFORMS) $(B)/apps/vmbench $(B)/bench/vmbench-linux \
		$(B)/apps/limits $(B)/apps/guests $(LIMITS_BENCH) \
		$(if $(CONFIG_PLATFORM_METAL),$(B)/bench/vmbench-bochs.out)
	bash apps/vmbench/bench.sh $(B) check
	bash apps/limits/bench.sh $(B) quick
test: $(if $(CONFIG_PLATFORM_KVM),bench-check)


# --- packages ---

deps:
	@missing=; for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
			|| missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "deps: missing$$missing; run 'make deps' as root" >&2; exit 1; fi; \
	echo "deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing

clean:
	rm -rf $(B)

-include $(shell find $(B) -name programs -prune -o -name '*.d' -type f -print 2>/dev/null)

# --- fuzz: libFuzzer harnesses for what guests and users hand hv ---
#
# tests/fuzz/fuzz_NAME.c, each with a header comment saying its input and
# what it checks: hypercall (three guests' hypercalls through hv_exit),
# forward (EXO_HC_FORWARD's decoder), elf (hv_elf_parse, hv_boot_load),
# cli (kvm_parse_run, hv_parse_size, hv_parse_ring). Built with clang's
# libFuzzer, AddressSanitizer and UBSan, with hv/core's sources and
# tests/fuzz/fuzz_plat.c (tests/core/fake_plat.c, checking hv/core's side
# of the hv_plat_* contracts); fuzz_cli links hv/kvm and hv/core.
# `make fuzz` runs each for FUZZ_SECONDS from its seeds
# (tests/fuzz/corpus/NAME), keeping what it finds in $(B)/fuzz/corpus/NAME;
# `make test` runs each for FUZZ_CHECK_SECONDS from the seeds alone. A
# crash leaves its input as $(B)/fuzz/NAME-crash-*; replay it with
# $(B)/fuzz/fuzz_NAME FILE. -close_fd_mask=3: the code under test prints
# a line per refused input (kvm_fail); libFuzzer's and the sanitizers'
# reports, and the harnesses' own (fuzz_fail), still appear.

PACKAGES += clang
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_CHECK_SECONDS ?= 10
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_plat.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(addprefix $(B)/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Iinclude -I$(B)/include -Ihv/core \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fsanitize-coverage-ignorelist=tests/fuzz/nocov.txt -DFAKE_CONSOLE_BYTES=64u
# All of hv/kvm but its main (libFuzzer has one), so that cli.c's
# neighbours can change without this list; vcpu.c puts KVM's
# variable-sized struct kvm_signal_mask inside another, which GCC allows
# and clang warns about.
FUZZ_CLI_SRC := $(filter-out hv/kvm/main.c,$(KVM_SRC)) $(CORE_SRC)
FUZZ_RUN = mkdir -p $(B)/fuzz/$(2)/$(1) && $(B)/fuzz/fuzz_$(1) -close_fd_mask=3 \
	-artifact_prefix=$(B)/fuzz/$(1)- -print_final_stats=1 $(3) $(B)/fuzz/$(2)/$(1) tests/fuzz/corpus/$(1)

.PHONY: fuzz fuzz-build fuzz-check

$(B)/fuzz/fuzz_cli: tests/fuzz/fuzz_cli.c tests/fuzz/fuzz_plat.h $(FUZZ_CLI_SRC) \
		$(wildcard hv/kvm/*.h) $(CORE_H) $(CONFIG_H) tests/fuzz/nocov.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-gnu-variable-sized-type-not-at-end -Ihv/kvm -o $@ $< \
		$(FUZZ_CLI_SRC) -lpthread

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_plat.c tests/fuzz/fuzz_plat.h \
		tests/core/fake_plat.c tests/core/fake_plat.h $(CORE_SRC) $(CORE_H) \
		$(CONFIG_H) tests/fuzz/nocov.txt
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< tests/fuzz/fuzz_plat.c $(CORE_SRC)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do echo "== fuzz $$n, $(FUZZ_SECONDS) s"; \
		$(call FUZZ_RUN,$$n,corpus,-max_total_time=$(FUZZ_SECONDS)); done

# A short run of each harness for make test: a fresh corpus each time,
# so that it takes FUZZ_CHECK_SECONDS whatever earlier runs found; its
# whole log when it fails.
fuzz-check: fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do rm -rf $(B)/fuzz/check/$$n; \
		if ! { $(call FUZZ_RUN,$$n,check,-max_total_time=$(FUZZ_CHECK_SECONDS)); } \
			> $(B)/fuzz/check-$$n.log 2>&1; then cat $(B)/fuzz/check-$$n.log; \
			echo "fuzz $$n: failed (log: $(B)/fuzz/check-$$n.log)" >&2; exit 1; fi; \
		echo "fuzz $$n: $(FUZZ_CHECK_SECONDS) s," \
			"$$(sed -n 's/^stat::number_of_executed_units: *//p' $(B)/fuzz/check-$$n.log) inputs," \
			"$$(grep -o 'cov: [0-9]* ft: [0-9]*' $(B)/fuzz/check-$$n.log | tail -1), no crash"; done

test: fuzz-check

# --- static: cppcheck and clang-tidy over hv/, the trusted core ---
#
# `make static` (part of make test and make check) runs clang-tidy on each
# of hv/'s C files with the flags its build gives it (hv/core and hv/kvm:
# HOST_CFLAGS; hv/metal: METAL_CFLAGS, freestanding), less -MMD/-MP and
# -Werror (clang-tidy's WarningsAsErrors makes every finding, clang's own
# warnings included, an error), and cppcheck on hv/core with hv/kvm and on
# hv/metal with the same -I/-D. Configuration: .clang-tidy (which checks
# and why) and tests/static/cppcheck.supp (what cppcheck leaves out and
# why); a finding either is fixed or is suppressed where it stands with a
# comment saying why it is not a bug. Each file's result is kept
# ($(B)/static/tidy/FILE.ok, its output beside it in FILE.log), so a
# rerun looks only at what changed; the files run in parallel.

PACKAGES += cppcheck clang-tidy clang-format
TIDY ?= clang-tidy
CPPCHECK ?= cppcheck
STATIC_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# vcpu.c puts KVM's variable-sized struct kvm_signal_mask inside another,
# which GCC allows and clang warns about (as for fuzz_cli).
TIDY_HOST_FLAGS := $(filter-out $(DEPFLAGS) -Werror,$(HOST_CFLAGS)) -Wno-gnu-variable-sized-type-not-at-end
TIDY_METAL_FLAGS := $(filter-out $(DEPFLAGS) -Werror,$(METAL_CFLAGS))
TIDY_OK := $(patsubst %,$(B)/static/tidy/%.ok,$(CORE_SRC) $(KVM_SRC) $(wildcard hv/metal/*.c))
STATIC_DEPS := $(wildcard hv/*/*.h include/exo/*.h) $(CONFIG_H) .clang-tidy Makefile
CPPCHECK_FLAGS := -q --std=c11 --enable=warning,style,performance,portability \
	--inline-suppr --suppressions-list=tests/static/cppcheck.supp --error-exitcode=1 \
	--template='{file}:{line}: {severity}: {message} [{id}]'

# On failure: the findings, and a line naming the file.
TIDY_RUN = @mkdir -p $(dir $@); echo "clang-tidy $<"; \
	$(TIDY) --quiet $< -- $(1) > $(@:.ok=.log) 2>&1 || { grep -v ' warnings\? generated\.$$' \
		$(@:.ok=.log); echo "clang-tidy $<: findings (see .clang-tidy)" >&2; exit 1; }; touch $@

$(B)/static/tidy/hv/metal/%.c.ok: hv/metal/%.c $(STATIC_DEPS)
	$(call TIDY_RUN,$(TIDY_METAL_FLAGS))

$(B)/static/tidy/hv/%.c.ok: hv/%.c $(STATIC_DEPS)
	$(call TIDY_RUN,$(TIDY_HOST_FLAGS))

$(B)/static/cppcheck.ok: $(CORE_SRC) $(KVM_SRC) $(wildcard hv/metal/*.c) $(STATIC_DEPS) \
		tests/static/cppcheck.supp
	@mkdir -p $(dir $@); echo "cppcheck hv/core hv/kvm hv/metal"
	@$(CPPCHECK) $(CPPCHECK_FLAGS) -j2 $(filter -I% -D%,$(HOST_CFLAGS)) hv/core hv/kvm
	@$(CPPCHECK) $(CPPCHECK_FLAGS) -j2 $(filter -I% -D%,$(METAL_CFLAGS)) hv/metal
	@touch $@

.PHONY: static static-files
static-files: $(TIDY_OK) $(B)/static/cppcheck.ok
	@echo "static: cppcheck and clang-tidy find nothing in hv/ ($(words $(TIDY_OK)) files)"

# In parallel unless this make already is.
static: $(CONFIG_H)
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(STATIC_JOBS)) static-files

test: static

# --- sanitizers: hv/core's unit tests under ASan and UBSan ---
#
# $(B)/asan/tests/core/test_NAME: tests/core/test_NAME.c with the fake
# platform and hv/core, built with AddressSanitizer (LeakSanitizer too)
# and UndefinedBehaviorSanitizer; any report ends the test that made it,
# which fails, and with it make test. hv/core and the fake platform are
# compiled once ($(B)/asan/**/*.o) for all of them.

SAN_CFLAGS := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
ASAN_TESTS := $(patsubst $(B)/tests/core/%,$(B)/asan/tests/core/%,$(filter $(B)/tests/core/%,$(UNIT_TESTS)))
ASAN_CORE_OBJ := $(patsubst %.c,$(B)/asan/%.o,$(CORE_SRC) tests/core/fake_plat.c)

$(B)/asan/%.o: %.c $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_CFLAGS) -Ihv/core -c -o $@ $<

$(ASAN_TESTS): $(B)/asan/tests/core/%: $(B)/asan/tests/core/%.o $(ASAN_CORE_OBJ)
	$(CC) $(SAN_CFLAGS) -o $@ $^ -lcriterion

RUN_TESTS += $(ASAN_TESTS)
test: $(ASAN_TESTS)

# Every source file names its licence (LICENSE, MIT) with an SPDX line
# first; tests/static/spdx.sh --fix adds it to new files.
.PHONY: spdx
spdx:
	@bash tests/static/spdx.sh
test: spdx

# An unchanged `make defconfig` rebuilds nothing (tests/static/incremental.sh).
.PHONY: incremental-check
incremental-check: all
	@bash tests/static/incremental.sh $(B)
test: incremental-check

# --- format: .clang-format on the C files a change touches ---
#
# `make format` rewrites, in place, the C files that differ from HEAD
# (staged, unstaged or new); FILES=... names others. Applying it to the
# whole tree changes little: .clang-format is the style the code has.
FORMAT_FILES = $(or $(FILES),$(shell { git diff --name-only HEAD; \
	git ls-files --others --exclude-standard; } 2>/dev/null | grep -E '\.(c|h)$$' | sort -u))
.PHONY: format
format:
	@$(if $(strip $(FORMAT_FILES)),clang-format -i $(FORMAT_FILES) && \
		echo "format: $(words $(FORMAT_FILES)) files",echo "format: no C file changed")
