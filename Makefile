# VFIO IOPF with BPF policies: build the patched guest kernel, the BPF
# policies, the loader and the tests, and run them in QEMU.
#
#   make demo    boot the guest and show the main job
#   make check   every test: host unit tests, harness self-tests, guest suite
#   make bench   policy experiments (results/)
#   make check-base  does the series apply to Debian's newest kernel source?
#
# Quiet unless V=1. The kernel and tools build in the cache
# (${XDG_CACHE_HOME:-~/.cache}/vfio-iopf); build/kernel points at the
# current one.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

B := build
K := $(B)/kernel
CLANG ?= clang-16
BPFTOOL := $(K)/bpftool
LIBBPF := $(K)/libbpf
UAPI := $(K)/include
KSTAMP := $(K)/done

WARN := -Wall -Wextra -Werror
CFLAGS_COMMON := -O2 -g -std=gnu11 $(WARN) -Iinclude -Itests/lib -I$(B)
# Guest programs: static, against the patched kernel's UAPI and libbpf.
GUEST_CFLAGS := $(CFLAGS_COMMON) -isystem $(UAPI) -I$(LIBBPF)/include -Itests/guest \
	-I$(K)/src/drivers/vfio -I$(K)/src/drivers/iommu/iommufd -Iloader
GUEST_LDLIBS := $(LIBBPF)/lib64/libbpf.a -lelf -lz -lzstd
GUEST_LDFLAGS := -static
# Host unit tests: with sanitizers.
HOST_CFLAGS := $(CFLAGS_COMMON) -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 $(WARN) -Wno-unused-function \
	-Wno-unused-parameter \
	-I$(B) -Iinclude -I$(LIBBPF)/include

GUEST_SRCS := $(wildcard tests/guest/*.c) tests/lib/ktest.c loader/iopfctl_lib.c
TEST_BPF := $(wildcard tests/guest/progs/*.bpf.c)
POLICY_BPF := $(wildcard bpf/*.bpf.c)
TEST_SKELS := $(patsubst tests/guest/progs/%.bpf.c,$(B)/%.skel.h,$(TEST_BPF))
POLICY_OBJS := $(patsubst bpf/%.bpf.c,$(B)/bpf/%.bpf.o,$(POLICY_BPF))

INITRD := $(B)/initramfs.cpio.gz
LOGCHECK := $(B)/logcheck
GUEST_BINS := $(B)/guest/iopf-tests $(B)/guest/iopf-demo $(B)/guest/iopf-bench \
	$(B)/guest/iopf-vmbench $(B)/guest/iopfctl
TEST_BPF_OBJS := $(patsubst tests/guest/progs/%.bpf.c,$(B)/%.bpf.o,$(TEST_BPF))

.PHONY: all check check-base demo bench deps kernel userspace host-tests clean distclean

all: deps kernel
	$(Q)$(MAKE) --no-print-directory userspace

deps:
	$(Q)kernel/scripts/install-deps.sh

# make check runs a debug kernel (KASAN, lockdep, kmemleak, ...); demo and
# bench a plain one. Each flavor builds incrementally in its own directory.
KFLAVOR ?=
KCONFIG_EXTRA ?= test.config iommufd.config

kernel: deps
	$(Q)KFLAVOR="$(KFLAVOR)" KCONFIG_EXTRA="$(KCONFIG_EXTRA)" kernel/scripts/build-kernel.sh

userspace: $(INITRD) $(LOGCHECK) $(POLICY_OBJS)

check:
	$(Q)$(MAKE) --no-print-directory all KFLAVOR=debug KCONFIG_EXTRA="test.config iommufd.config debug.config iommufd-test.config"
	$(Q)$(MAKE) --no-print-directory host-tests
	$(Q)GUEST_TESTS="$(GUEST_TESTS)" tests/harness/check.sh

# Does the series apply to the newest linux-source-6.12 in Debian's archive?
# (kernel/BASE pins the one it is built on; rebase.sh moves it.)
check-base:
	$(Q)kernel/scripts/check-series.sh --newest

bench: all
	$(Q)tests/bench/bench.sh

demo: all
	$(Q)KERNEL=$(K)/bzImage INITRD=$(INITRD) LOGCHECK=$(LOGCHECK) \
		tests/harness/run-guest.sh -m demo -t 600 -o $(B)/demo

# --- BPF ------------------------------------------------------------------
$(B)/vmlinux.h: $(KSTAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(K)/vmlinux format c > $@

$(B)/%.bpf.o: tests/guest/progs/%.bpf.c $(B)/vmlinux.h $(wildcard include/*.h)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(B)/bpf/%.bpf.o: bpf/%.bpf.c $(B)/vmlinux.h $(wildcard include/*.h)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(Q)$(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

$(B)/%.skel.h: $(B)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

# --- guest programs ----------------------------------------------------------
$(B)/guest/iopf-tests: $(GUEST_SRCS) $(TEST_SKELS) $(wildcard tests/guest/*.h tests/lib/*.h include/*.h) $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.c,$^) $(GUEST_LDLIBS)

$(B)/guest/iopf-demo: tests/demo/demo.c tests/guest/vfio_util.c tests/guest/iopf_util.c tests/guest/vm_util.c loader/iopfctl_lib.c $(wildcard tests/guest/*.h) $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.c,$^)

$(B)/guest/iopf-bench: tests/bench/bench.c tests/guest/vfio_util.c tests/guest/iopf_util.c loader/iopfctl_lib.c $(wildcard tests/guest/*.h) $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.c,$^)

$(B)/guest/iopf-vmbench: tests/bench/vmbench.c tests/guest/vm_util.c tests/guest/vm_util.h $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.c,$^)

$(B)/guest/iopfctl: loader/iopfctl.c loader/iopfctl_lib.c loader/iopfctl.h $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(filter %.c,$^) $(GUEST_LDLIBS)

# The guest gets the programs, bpftool, and every policy and test object
# in /lib/iopf.
# The nested VMs' payload goes there too, and Debian's QEMU is appended.
$(INITRD): $(GUEST_BINS) $(POLICY_OBJS) $(TEST_BPF_OBJS) $(B)/vm/payload.elf $(B)/qemu.cpio.gz \
		tests/harness/init tests/harness/mkinitramfs.sh
	$(call msg,CPIO,$@)
	$(Q)BPF_OBJS="$(POLICY_OBJS) $(TEST_BPF_OBJS) $(B)/vm/payload.elf" \
		APPEND=$(B)/qemu.cpio.gz tests/harness/mkinitramfs.sh $@ $(GUEST_BINS) $(BPFTOOL)

# --- nested VMs: the payload OS and Debian's QEMU for the guest ---------------
# The payload: freestanding 32-bit multiboot ELF. No SSE (CR4 is not set up
# for it) and no libgcc (there is no 32-bit one without gcc-multilib).
PAYLOAD_CFLAGS := -m32 -ffreestanding -nostdlib -fno-pic -fno-stack-protector -O2 $(WARN) \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables
PAYLOAD_LDFLAGS := -static -no-pie -Wl,-T,tests/vm/payload.ld -Wl,--build-id=none

$(B)/vm/payload.elf: tests/vm/payload.c tests/vm/payload.ld
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(PAYLOAD_CFLAGS) $(PAYLOAD_LDFLAGS) -o $@ $<

# QEMU, its libraries, modules and firmware: appended to the initramfs.
$(B)/qemu.cpio.gz: tests/harness/pack-qemu.sh /usr/bin/qemu-system-x86_64
	$(call msg,CPIO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)tests/harness/pack-qemu.sh $@

# --- host programs and unit tests ---------------------------------------------
$(LOGCHECK): tests/harness/logcheck.c tests/harness/logcheck.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS_COMMON) -o $@ $<

$(B)/host/test_logcheck: tests/host/test_logcheck.c tests/harness/logcheck.c tests/lib/ktest.c tests/harness/logcheck.h tests/lib/ktest.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -DLOGCHECK_NO_MAIN -Itests/harness -o $@ $(filter %.c,$^)

$(B)/host/test_iopfctl: tests/host/test_iopfctl.c loader/iopfctl_lib.c tests/lib/ktest.c loader/iopfctl.h tests/lib/ktest.h $(KSTAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -isystem $(UAPI) -Iloader -o $@ $(filter %.c,$^)

HOST_TESTS := $(B)/host/test_logcheck $(B)/host/test_iopfctl

host-tests: $(HOST_TESTS)

clean:
	rm -rf $(B) results/*.tmp

distclean: clean
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/vfio-iopf"
