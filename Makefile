# exo: top-level build.
#
#   make demo       install what is missing, build, run the demo guests
#   make check      install what is missing, build, run every test
#   make            build build/exo and the guest images
#   make deps       install missing Debian packages (apt-get, as root)
#   make defconfig | olddefconfig | menuconfig
#
# Host code (hv/) is ordinary C; guest code (guestlib/, libos/, apps/,
# tests/guest/images/) runs in guest ring 0 and is built like a kernel:
# freestanding, no SSE, no red zone, linked in the top 2 GiB.

B := build
CC ?= cc
KCONFIG := kconfig-conf

PACKAGES := gcc make libc6-dev linux-libc-dev kconfig-frontends-nox \
	libcriterion-dev util-linux

WARN := -Wall -Wextra -Werror
HOST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iguestlib/include -I$(B)/include
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iguestlib/include -Iguestlib/src -Ilibos \
	-ffreestanding -fno-pie -fno-pic -mcmodel=kernel -mno-red-zone \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -fno-omit-frame-pointer
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guestlib/guest.ld \
	-Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack

CONFIG_H := $(B)/include/config.h

CORE_SRC := $(wildcard hv/core/*.c)
KVM_SRC := $(wildcard hv/kvm/*.c)
GUESTLIB_SRC := $(wildcard guestlib/src/*.c guestlib/src/*.S)
GUESTLIB_OBJ := $(patsubst %,$(B)/%.o,$(GUESTLIB_SRC))
GUESTLIB := $(B)/guestlib/libguest.a
LIBVM_SRC := $(wildcard libos/vm/*.c libos/vm/*.S)
LIBVM_OBJ := $(patsubst %,$(B)/%.o,$(LIBVM_SRC))
LIBVM := $(B)/libos/libvm.a
GUEST_LIBS := $(LIBVM) $(GUESTLIB)

APPS := $(notdir $(wildcard apps/*))
APP_IMAGES := $(addprefix $(B)/apps/,$(APPS))
TEST_IMAGES := $(patsubst tests/guest/images/%.c,$(B)/tests/guest/%,$(wildcard tests/guest/images/*.c))

UNIT_TESTS := $(patsubst tests/core/%.c,$(B)/tests/core/%,$(filter-out tests/core/fake_plat.c,$(wildcard tests/core/*.c))) \
	$(patsubst tests/kvm/%.c,$(B)/tests/kvm/%,$(wildcard tests/kvm/*.c))
GUEST_TESTS := $(patsubst tests/guest/%.c,$(B)/tests/guest/%,$(wildcard tests/guest/*.c))

.PHONY: all deps check demo test bench defconfig olddefconfig menuconfig clean
.DELETE_ON_ERROR:

all: $(B)/exo $(APP_IMAGES) $(TEST_IMAGES)

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
# them inside build/.
$(CONFIG_H): .config Kconfig
	@mkdir -p $(B)/kconfig/include/config $(B)/include
	cd $(B)/kconfig && KCONFIG_CONFIG=../../.config \
		KCONFIG_AUTOHEADER=../include/config.h KCONFIG_AUTOCONFIG=auto.conf \
		KCONFIG_TRISTATE=tristate.conf $(KCONFIG) -s --silentoldconfig ../../Kconfig
	@touch $@

# --- host: hv ---

$(B)/hv/%.o: hv/%.c $(CONFIG_H) $(wildcard hv/*/*.h) guestlib/include/exo/abi.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(B)/exo: $(patsubst %.c,$(B)/%.o,$(CORE_SRC) $(KVM_SRC))
	$(CC) -o $@ $^

# --- guests ---

$(B)/guestlib/%.c.o: guestlib/%.c $(wildcard guestlib/include/exo/*.h guestlib/src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/guestlib/%.S.o: guestlib/%.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUESTLIB): $(GUESTLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/libos/%.c.o: libos/%.c $(wildcard guestlib/include/exo/*.h libos/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/libos/%.S.o: libos/%.S
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(LIBVM): $(LIBVM_OBJ)
	@rm -f $@
	ar rcs $@ $^

# A guest image: its C files, linked with the library OSes and guestlib at
# the image window (archives: only what the guest uses is linked).
define guest_image
$(1): $(2) $(GUEST_LIBS) guestlib/guest.ld $(wildcard guestlib/include/exo/*.h libos/*/*.h)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(GUEST_CFLAGS) $$(GUEST_LDFLAGS) -o $$@ $(2) $$(GUEST_LIBS)
endef
# Files named *_linux.c are the native-Linux side of an app (benchmarks).
$(foreach a,$(APPS),$(eval $(call guest_image,$(B)/apps/$(a),$(filter-out %_linux.c,$(wildcard apps/$(a)/*.c)))))
$(foreach t,$(TEST_IMAGES),$(eval $(call guest_image,$(t),tests/guest/images/$(notdir $(t)).c)))

# --- tests ---

$(B)/tests/core/%: tests/core/%.c tests/core/fake_plat.c $(CORE_SRC) $(CONFIG_H) hv/core/core.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/core -o $@ $< tests/core/fake_plat.c $(CORE_SRC) -lcriterion

$(B)/tests/kvm/%: tests/kvm/%.c $(KVM_SRC) $(CORE_SRC) $(CONFIG_H)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ihv/kvm -o $@ $< hv/kvm/cli.c hv/kvm/report.c -lcriterion

$(B)/tests/guest/%: tests/guest/%.c tests/guest/harness.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $< -lcriterion

test: all $(UNIT_TESTS) $(GUEST_TESTS)
	@set -e; for t in $(UNIT_TESTS) $(GUEST_TESTS); do \
		echo "== $$t"; $$t --jobs 2; done

check:
	$(MAKE) deps
	$(MAKE) all
	$(MAKE) test

# The demo: a guest that greets, one that works its frames, one that forges
# hypercall arguments and carries on, and one that touches a frame it does
# not own and is ended alone. Each line says the command and its status.
DEMO_RUNS := "--stats $(B)/apps/hello demo" \
	"--mem 1M $(B)/tests/guest/frames" \
	"$(B)/tests/guest/forged" \
	"$(B)/tests/guest/crash read-unowned"

demo:
	$(MAKE) deps
	$(MAKE) all
	@for r in $(DEMO_RUNS); do echo; echo "\$$ $(B)/exo run $$r"; \
		$(B)/exo run $$r; echo "[exit status $$?]"; done

# --- benchmarks ---

BENCH_PACKAGES := gnuplot-nox

# An app's native-Linux build: the same sources with *_linux.c in place
# of the exo backend.
$(B)/bench/%-linux: $(wildcard apps/*/*.c apps/*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $(filter-out %_exo.c,$(wildcard apps/$*/*.c))

bench:
	$(MAKE) deps PACKAGES="$(PACKAGES) $(BENCH_PACKAGES)"
	$(MAKE) all $(B)/bench/vmbench-linux
	bash apps/vmbench/bench.sh $(B)

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
