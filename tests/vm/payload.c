// SPDX-License-Identifier: GPL-2.0
/*
 * payload: the guest OS of the nested VM in the VM tests and benchmarks.
 *
 * Inside the test guest, Debian's unmodified QEMU boots this freestanding
 * 32-bit multiboot program (-kernel payload.elf) with an edu device passed
 * through with vfio-pci. The nested VM's RAM is that device's IOVA space;
 * with an IOPF policy it is mapped in the (outer) IOMMU only when the
 * device first touches it. edu does not wait for such a fault to be
 * resolved: a DMA to a page that is not mapped yet completes without data.
 * That is how devices with "replayable" faults behave (GPUs, RDMA on-demand
 * paging): the DMA fails, the fault is fixed behind it, and the driver
 * replays the DMA. This payload is that driver: every DMA op is a round
 * trip whose data it verifies, re-issued (a "replay") until the data arrive.
 *
 * Command line (QEMU's -append: key=value words; QEMU puts the kernel's
 * file name first, that word is skipped):
 *   mode=M      stream (default), random, ring, check or idle, see below
 *   mib=N       work region in MiB (default 8), from REGION_BASE (4 MiB)
 *               up, clamped to usable RAM and to the device's DMA limit
 *   dmas=N      DMA ops, i.e. verified round trips (default 64)
 *   seed=N      seed of the page choice (random, ring) and of the data (1)
 *   ring=N      hot ring pages in ring mode (default 16)
 *   touch=PCT   before the DMAs, the CPU writes one byte in each 4 KiB page
 *               of PCT percent of RAM (ram_kb), from REGION_BASE up (0)
 *   replays=N   re-issues of one op before it counts as an error (200)
 *   backoff=US  busy-wait before re-issue k: k * US microseconds, at most
 *               100 ms (default 1000)
 *   dmabits=N   the device's DMA address width (default 28, edu's dma_mask)
 *   check=1     after the DMAs, re-verify every page with the CPU (lost=)
 *               and print a checksum of the region
 *   progress=N  print "payload: progress K ..." every N ops
 *   pause=1     after the result line, print "payload: paused" and wait for
 *               a byte on the serial port; then count the pages whose data
 *               did not survive (lost=), run the same pages again with new
 *               data and report again (phase=2)
 *   hold=1      at the end, whatever the outcome, print "payload: holding"
 *               and halt instead of exiting QEMU
 *   verbose=N   1: a line per replayed op; 2: a line per failed attempt
 *   dev=0       do not look for the device (mode=idle only)
 *   faultsim=N  self-test where nothing faults (no IOMMU): the first attempt
 *               of every Nth op runs with bus mastering off, so its DMAs
 *               fail without data like faulted ones and the op is replayed
 *
 * A DMA op on page P: the first half of P (2 KiB) is the source S, the
 * second half the destination D, so one op touches exactly one page. S gets
 * a pattern unique to (op, attempt), D a poison that differs from it in
 * every byte; edu copies S to its buffer (device address 0x40000), then its
 * buffer to D, 2048 bytes each way (QEMU 7.2's edu aborts the emulator on
 * a DMA of exactly 4096 bytes); every word of D is compared with S's
 * pattern. A DMA that faulted leaves D poisoned (device to RAM failed) or
 * holding an older pattern (RAM to device failed, stale buffer).
 * Pages by mode, "pages" being the region's page count:
 *   stream  op i on page i mod pages: page after page, wrapping
 *   random  op i on page xorshift() mod pages
 *   ring    of every four ops, the first three go to the hot ring, pages
 *           0..ring-1 in turn, the fourth to a random bulk page of
 *           ring..pages-1
 *   check   stream, with check=1
 *   idle    no DMA
 *
 * Serial lines (COM1, 0x3f8), each starting with "payload: ":
 *   payload: start                          always the first line
 *   payload: cmdline "..."
 *   payload: edu 00:DD.F bar0=0xADDR command=0xCMD
 *   payload: region 0xA-0xB pages=N ram_kb=K usable_top=0xT dma_limit=0xL
 *   payload: clamp ...                      a parameter was reduced
 *   payload: progress K replays=R errors=E  (progress=)
 *   payload: replayed op=I page=P attempts=A   (verbose=1)
 *   payload: attempt op=I page=P k=K bad_words=W poison_words=X   (verbose=2)
 *   payload: error op=I page=P addr=0xA attempts=A bad_words=W poison_words=X
 *   payload: lost page=P addr=0xA word=J    (check, pause)
 *   payload: checksum=0xC pages=N           (check)
 *   payload: time touch_ms=T dma_ms=D
 *   payload: mode=M dmas=N replays=R errors=E pages=P touched=T ram_kb=K
 *            [lost=L] [phase=F]             the result, one line
 *   payload: paused | payload: holding | payload: no edu device
 * pages= in the result is the number of distinct pages the ops used (in
 * this phase), touched= the pages the CPU touched, ram_kb= 1024 + the
 * loader's mem_upper: -m less the firmware's tables at the top of RAM
 * (65408 with -m 64M). The checksum takes each page as if its op had
 * verified at the first attempt, so it does not depend on replays. Times
 * are the VM's (PIT). The exit goes through isa-debug-exit
 * (port 0xf4, QEMU's exit status is 2 * V + 1): V = 0 when every op
 * verified (status 1), 1 on any error (status 3), 2 without the edu device
 * (status 5).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE	4096u
#define REGION_BASE	0x400000u	/* above the image and the loader's data */
#define MAX_PAGES	65536u		/* per-page records: a 256 MiB region */
#define CHUNK		2048u		/* bytes per DMA: half a page */
#define CHUNK_WORDS	(CHUNK / 4)
#define POISON		0x5a5a5a5au
#define TOUCH_BYTE	0x5a
#define MAX_REPORTS	16		/* error and lost lines printed */

#define COM1		0x3f8
#define DEBUG_EXIT_PORT	0xf4
#define ACPI_PM1A_CNT	0x604		/* SeaBIOS's PM base 0x600, q35 and PIIX */
#define PIT_CH0		0x40
#define PIT_MODE	0x43
#define PIT_HZ		1193182u
#define DMA_TIMEOUT_S	30
#define DMA_POLL_US	50

#define PCI_CFG_ADDR	0xcf8
#define PCI_CFG_DATA	0xcfc
#define PCI_COMMAND	0x04
#define PCI_HEADER_TYPE	0x0c		/* the dword holding it: byte 0x0e */
#define PCI_BAR0	0x10
#define PCI_BAR1	0x14
#define PCI_CMD_MEMORY	0x2
#define PCI_CMD_MASTER	0x4

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
#define EDU_REG_ID	0x00
#define EDU_ID_VALUE	0x010000edu
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_RUN	0x1
#define EDU_CMD_TO_RAM	0x2		/* direction: device buffer to RAM */
#define EDU_BUF		0x40000u

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_NODEV = 2 };

/* --- multiboot (v1) header and entry -------------------------------------- */

#define MB_HEADER_MAGIC	0x1badb002u
#define MB_HEADER_FLAGS	0x00000002u	/* we want the memory information */
#define MB_BOOT_MAGIC	0x2badb002u
#define MBI_MEM		(1u << 0)
#define MBI_CMDLINE	(1u << 2)
#define MBI_MMAP	(1u << 6)
#define MMAP_RAM	1

__attribute__((used, section(".multiboot"), aligned(4)))
static const uint32_t mb_header[3] = {
	MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS),
};

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;	/* KiB below 1 MiB, KiB above 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_mmap {
	uint32_t size;			/* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

void payload_main(uint32_t magic, uint32_t mbi_addr) __attribute__((noreturn));

/*
 * The loader enters in 32-bit protected mode, paging and interrupts off,
 * EAX = magic, EBX = the multiboot info, no stack. Zero .bss (QEMU already
 * does, other loaders need not), take the stack at its end and call
 * payload_main(magic, info).
 */
asm(".pushsection .text.entry, \"ax\", @progbits\n"
	".globl _start\n"
	".type _start, @function\n"
	"_start:\n"
	"	cli\n"
	"	cld\n"
	"	movl %eax, %esi\n"
	"	movl %ebx, %ebp\n"
	"	movl $__bss_start, %edi\n"
	"	movl $__bss_end, %ecx\n"
	"	subl %edi, %ecx\n"
	"	xorl %eax, %eax\n"
	"	rep stosb\n"
	"	movl $payload_stack_top, %esp\n"
	"	subl $8, %esp\n"
	"	pushl %ebp\n"
	"	pushl %esi\n"
	"	call payload_main\n"
	"0:	cli\n"
	"	hlt\n"
	"	jmp 0b\n"
	".popsection\n"
	".pushsection .bss\n"
	".balign 16\n"
	"payload_stack:\n"
	".skip 16384\n"
	"payload_stack_top:\n"
	".popsection\n");

/* --- CPU and port helpers ------------------------------------------------- */

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

/* MMIO, also a compiler barrier: RAM written before a DMA starts is there. */
static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
	asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory");
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t v;

	asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *dst, int c, size_t n)
{
	void *ret = dst;

	asm volatile("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
	return ret;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *ret = dst;

	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
	return ret;
}

/* --- serial console ------------------------------------------------------- */

static void serial_init(void)
{
	outb(COM1 + 1, 0x00);		/* no interrupts */
	outb(COM1 + 3, 0x80);		/* divisor latch */
	outb(COM1 + 0, 0x01);		/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);		/* 8N1 */
	outb(COM1 + 2, 0x07);		/* FIFOs on and cleared */
	outb(COM1 + 4, 0x03);		/* DTR, RTS */
}

static void serial_putc(char c)
{
	int i;

	for (i = 0; i < 1000000 && !(inb(COM1 + 5) & 0x20); i++)
		cpu_relax();
	outb(COM1, c);
}

static uint8_t serial_getc(void)
{
	while (!(inb(COM1 + 5) & 0x01))
		cpu_relax();
	return inb(COM1);
}

static void put_uint(uint32_t v, uint32_t base, int width, char pad)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (; width > n; width--)
		serial_putc(pad);
	while (n)
		serial_putc(buf[--n]);
}

/* A printf of %s %c %u %d %x, with an optional 0 flag and width. */
static void vprint(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		const char *s;
		int width = 0;
		char pad = ' ';
		int32_t d;

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		if (*++fmt == '0')
			pad = *fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		switch (*fmt) {
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				serial_putc(*s);
			break;
		case 'c':
			serial_putc((char)va_arg(ap, int));
			break;
		case 'u':
			put_uint(va_arg(ap, unsigned int), 10, width, pad);
			break;
		case 'x':
			put_uint(va_arg(ap, unsigned int), 16, width, pad);
			break;
		case 'd':
			d = va_arg(ap, int);
			if (d < 0)
				serial_putc('-');
			put_uint(d < 0 ? -(uint32_t)d : (uint32_t)d, 10, width, pad);
			break;
		case '\0':
			return;
		default:
			serial_putc(*fmt);
			break;
		}
	}
}

static void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void print(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

/* --- time: PIT channel 0, free running, read often enough ----------------- */

static uint16_t pit_last;
static uint64_t pit_ticks;

static uint16_t pit_read(void)
{
	uint8_t lo, hi;

	outb(PIT_MODE, 0x00);		/* latch channel 0 */
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return lo | hi << 8;
}

static void pit_init(void)
{
	outb(PIT_MODE, 0x34);		/* channel 0, lo/hi byte, mode 2 */
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);		/* reload 65536: wraps every 55 ms */
	pit_last = pit_read();
}

/* PIT ticks since pit_init(); callers must call it at least every 55 ms. */
static uint64_t now(void)
{
	uint16_t c = pit_read();

	pit_ticks += (uint16_t)(pit_last - c);
	pit_last = c;
	return pit_ticks;
}

/* n / d without libgcc (no 32-bit libgcc here); saturates. */
static uint32_t div64_32(uint64_t n, uint32_t d)
{
	uint32_t hi = n >> 32, lo = (uint32_t)n, q, r;

	if (hi >= d)
		return UINT32_MAX;
	asm("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	(void)r;
	return q;
}

static uint32_t ticks_to_ms(uint64_t t)
{
	return div64_32(t * 1000, PIT_HZ);
}

static void udelay(uint32_t us)
{
	uint64_t end = now() + div64_32((uint64_t)us * PIT_HZ, 1000000u) + 1;

	while (now() < end)
		cpu_relax();
}

/* --- parameters ----------------------------------------------------------- */

enum mode { MODE_STREAM, MODE_RANDOM, MODE_RING, MODE_CHECK, MODE_IDLE };
static const char *const mode_names[] = { "stream", "random", "ring", "check", "idle" };

static struct {
	enum mode mode;
	uint32_t mib, dmas, seed, ring, touch, replays, backoff, dmabits;
	uint32_t check, progress, pause, hold, verbose, dev, faultsim;
} cfg = {
	.mode = MODE_STREAM, .mib = 8, .dmas = 64, .seed = 1, .ring = 16,
	.replays = 200, .backoff = 1000, .dmabits = 28, .dev = 1,
};

static const struct param {
	const char *key;
	uint32_t *val;
	uint32_t min, max;
} params[] = {
	{ "mib", &cfg.mib, 1, 4096 },
	{ "dmas", &cfg.dmas, 0, 1u << 22 },
	{ "seed", &cfg.seed, 0, UINT32_MAX },
	{ "ring", &cfg.ring, 1, MAX_PAGES },
	{ "touch", &cfg.touch, 0, 100 },
	{ "replays", &cfg.replays, 0, 1000 },
	{ "backoff", &cfg.backoff, 0, 100000 },
	{ "dmabits", &cfg.dmabits, 23, 32 },
	{ "check", &cfg.check, 0, 1 },
	{ "progress", &cfg.progress, 0, UINT32_MAX },
	{ "pause", &cfg.pause, 0, 1 },
	{ "hold", &cfg.hold, 0, 1 },
	{ "verbose", &cfg.verbose, 0, 2 },
	{ "dev", &cfg.dev, 0, 1 },
	{ "faultsim", &cfg.faultsim, 0, UINT32_MAX },
};

static char cmdline[512];

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Decimal or 0x hexadecimal, the whole string. */
static bool parse_u32(const char *s, uint32_t *out)
{
	uint32_t base = 10, v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		uint32_t d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return false;
		if (v > (UINT32_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

static bool parse_word(char *word)
{
	char *val = word;
	size_t i;

	while (*val && *val != '=')
		val++;
	if (!*val) {
		print("payload: bad parameter '%s': not key=value\n", word);
		return false;
	}
	*val++ = '\0';
	if (streq(word, "mode")) {
		for (i = 0; i < ARRAY_SIZE(mode_names); i++) {
			if (streq(val, mode_names[i])) {
				cfg.mode = i;
				return true;
			}
		}
		print("payload: bad parameter mode=%s\n", val);
		return false;
	}
	for (i = 0; i < ARRAY_SIZE(params); i++) {
		const struct param *p = &params[i];
		uint32_t v;

		if (!streq(word, p->key))
			continue;
		if (!parse_u32(val, &v) || v < p->min || v > p->max) {
			print("payload: bad parameter %s=%s (%u..%u)\n", word, val, p->min, p->max);
			return false;
		}
		*p->val = v;
		return true;
	}
	print("payload: unknown parameter %s=%s\n", word, val);
	return false;
}

/* Parse the command line, word by word; the first is the kernel's file name. */
static bool parse_cmdline(void)
{
	const char *p = cmdline;
	bool first = true, ok = true;
	char word[64];

	for (;;) {
		size_t n = 0, len = 0;
		bool has_eq = false;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		for (; *p && *p != ' '; p++, len++) {
			has_eq |= *p == '=';
			if (n < sizeof(word) - 1)
				word[n++] = *p;
		}
		word[n] = '\0';
		if (first && !has_eq) {
			first = false;
			continue;
		}
		first = false;
		if (len > n) {
			print("payload: bad parameter '%s...': longer than %u characters\n", word,
			      (uint32_t)n);
			ok = false;
			continue;
		}
		ok &= parse_word(word);
	}
	if (cfg.mode == MODE_CHECK)
		cfg.check = 1;
	if (!cfg.dev && cfg.mode != MODE_IDLE) {
		print("payload: bad parameter dev=0: only with mode=idle\n");
		ok = false;
	}
	return ok;
}

/* --- ending --------------------------------------------------------------- */

static void __attribute__((noreturn)) finish(int code)
{
	if (cfg.hold) {
		print("payload: holding\n");
		halt_forever();
	}
	outb(DEBUG_EXIT_PORT, code);
	/* Still here: no isa-debug-exit. Power off through ACPI (S5). */
	print("payload: no isa-debug-exit at 0x%x, powering off\n", DEBUG_EXIT_PORT);
	outw(ACPI_PM1A_CNT, 0x2000);
	halt_forever();
}

/* --- PCI and edu ---------------------------------------------------------- */

static uintptr_t edu_bar;
static uint32_t edu_dev, edu_fn, edu_cmd;

static uint32_t pci_addr(uint32_t dev, uint32_t fn, uint32_t off)
{
	return 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc);
}

static uint32_t pci_read32(uint32_t dev, uint32_t fn, uint32_t off)
{
	outl(PCI_CFG_ADDR, pci_addr(dev, fn, off));
	return inl(PCI_CFG_DATA);
}

static void pci_write16(uint32_t dev, uint32_t fn, uint32_t off, uint16_t v)
{
	outl(PCI_CFG_ADDR, pci_addr(dev, fn, off));
	outw(PCI_CFG_DATA + (off & 2), v);
}

/* Find edu on bus 0; true with its slot and function. */
static bool edu_find(uint32_t *devp, uint32_t *fnp)
{
	uint32_t dev, fn;

	for (dev = 0; dev < 32; dev++) {
		for (fn = 0; fn < 8; fn++) {
			uint32_t id = pci_read32(dev, fn, 0);

			if ((id & 0xffff) == 0xffff) {
				if (!fn)
					break;
				continue;
			}
			if (id == (EDU_DEVICE << 16 | EDU_VENDOR)) {
				*devp = dev;
				*fnp = fn;
				return true;
			}
			/* Not multi-function: no other function to look at. */
			if (!fn && !(pci_read32(dev, 0, PCI_HEADER_TYPE) & 0x800000))
				break;
		}
	}
	return false;
}

/* Locate edu, enable memory decoding and bus mastering, check its ID. */
static void edu_setup(void)
{
	uint32_t dev, fn, bar, cmd, id;

	if (!edu_find(&dev, &fn)) {
		print("payload: no edu device\n");
		finish(EXIT_NODEV);
	}
	bar = pci_read32(dev, fn, PCI_BAR0);
	if (bar & 1 || ((bar & 6) == 4 && pci_read32(dev, fn, PCI_BAR1)) || !(bar & ~0xfu)) {
		print("payload: edu 00:%02x.%u: BAR0 0x%08x unusable (I/O, above 4 GiB or unset)\n",
		      dev, fn, bar);
		finish(EXIT_ERROR);
	}
	edu_bar = bar & ~0xfu;
	edu_dev = dev;
	edu_fn = fn;
	cmd = pci_read32(dev, fn, PCI_COMMAND) & 0xffff;
	pci_write16(dev, fn, PCI_COMMAND, cmd | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	cmd = pci_read32(dev, fn, PCI_COMMAND) & 0xffff;
	edu_cmd = cmd;
	print("payload: edu 00:%02x.%u bar0=0x%08x command=0x%04x\n", dev, fn,
	      (uint32_t)edu_bar, cmd);
	if ((cmd & (PCI_CMD_MEMORY | PCI_CMD_MASTER)) != (PCI_CMD_MEMORY | PCI_CMD_MASTER)) {
		print("payload: edu: memory and bus master bits did not stick\n");
		finish(EXIT_ERROR);
	}
	id = mmio_read32(edu_bar + EDU_REG_ID);
	if (id != EDU_ID_VALUE) {
		print("payload: edu: identification 0x%08x, not 0x%08x\n", id, EDU_ID_VALUE);
		finish(EXIT_ERROR);
	}
}

/* faultsim: bus mastering off, the device's DMAs fail without data. */
static void edu_master(bool on)
{
	pci_write16(edu_dev, edu_fn, PCI_COMMAND, on ? edu_cmd : edu_cmd & ~PCI_CMD_MASTER);
}

/* A 64-bit DMA register: the low half, then 0 in the high half. */
static void edu_write64(uint32_t reg, uint32_t v)
{
	mmio_write32(edu_bar + reg, v);
	mmio_write32(edu_bar + reg + 4, 0);
}

/* One DMA, polled to completion. False if the device never finished. */
static bool edu_dma(uint32_t src, uint32_t dst, uint32_t cmd)
{
	uint64_t end;

	edu_write64(EDU_DMA_SRC, src);
	edu_write64(EDU_DMA_DST, dst);
	edu_write64(EDU_DMA_CNT, CHUNK);
	mmio_write32(edu_bar + EDU_DMA_CMD, EDU_CMD_RUN | cmd);
	end = now() + (uint64_t)DMA_TIMEOUT_S * PIT_HZ;
	while (mmio_read32(edu_bar + EDU_DMA_CMD) & EDU_CMD_RUN) {
		if (now() > end) {
			print("payload: edu DMA 0x%08x -> 0x%08x not done after %u s\n", src, dst,
			      DMA_TIMEOUT_S);
			return false;
		}
		/* Between polls, the PIT: no exit to the VMM that emulates edu. */
		udelay(DMA_POLL_US);
	}
	return true;
}

/* --- memory --------------------------------------------------------------- */

static uint32_t ram_kb;		/* RAM below 4 GiB: 1 MiB + mem_upper */
static uint32_t usable_top;	/* end of the usable RAM that holds 1 MiB */
static uint32_t region_pages;

static void memory_setup(const struct mb_info *mbi)
{
	uint32_t p;

	if (!(mbi->flags & MBI_MEM)) {
		print("payload: no memory information from the loader\n");
		finish(EXIT_ERROR);
	}
	ram_kb = mbi->mem_upper + 1024;
	usable_top = 0x100000u + mbi->mem_upper * 1024u;
	if (!(mbi->flags & MBI_MMAP))
		return;
	/* The firmware's map: its tables at the top of RAM are not usable. */
	for (p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
		const struct mb_mmap *e = (const struct mb_mmap *)p;
		uint64_t end = e->addr + e->len;

		if (e->type == MMAP_RAM && e->addr <= 0x100000u && end > 0x100000u)
			usable_top = end > 0xfffff000u ? 0xfffff000u : (uint32_t)end;
		p += e->size + 4;
	}
}

/* The region: REGION_BASE up, mib MiB, below usable RAM and the DMA limit. */
static void region_setup(void)
{
	uint32_t limit = cfg.dmabits >= 32 ? 0xfffff000u : 1u << cfg.dmabits;
	uint32_t top = usable_top < limit ? usable_top : limit;
	uint32_t avail = top > REGION_BASE ? (top - REGION_BASE) / PAGE_SIZE : 0;

	region_pages = cfg.mib * (0x100000u / PAGE_SIZE);
	if (avail > MAX_PAGES)
		avail = MAX_PAGES;
	if (cfg.mode != MODE_IDLE && region_pages > avail) {
		print("payload: clamp mib=%u to %u pages (%u KiB): usable RAM ends at 0x%08x, "
		      "DMA limit 0x%08x, at most %u pages\n", cfg.mib, avail, avail * 4,
		      usable_top, limit, MAX_PAGES);
		region_pages = avail;
	}
	if (cfg.mode == MODE_IDLE)
		region_pages = 0;
	print("payload: region 0x%08x-0x%08x pages=%u ram_kb=%u usable_top=0x%08x "
	      "dma_limit=0x%08x\n", REGION_BASE, REGION_BASE + region_pages * PAGE_SIZE,
	      region_pages, ram_kb, usable_top, limit);
	if (cfg.mode != MODE_IDLE && cfg.dmas && !region_pages) {
		print("payload: no room for DMA above 0x%08x\n", REGION_BASE);
		finish(EXIT_ERROR);
	}
	if (cfg.mode == MODE_RING && cfg.dmas && cfg.ring >= region_pages) {
		if (region_pages < 2) {
			print("payload: ring mode needs 2 pages or more\n");
			finish(EXIT_ERROR);
		}
		print("payload: clamp ring=%u to %u: the region has %u pages\n", cfg.ring,
		      region_pages - 1, region_pages);
		cfg.ring = region_pages - 1;
	}
}

/* The CPU writes a byte in each page of touch percent of RAM. */
static uint32_t touch_ram(void)
{
	uint32_t want = ram_kb / 4 * cfg.touch / 100;
	uint32_t avail = usable_top > REGION_BASE ? (usable_top - REGION_BASE) / PAGE_SIZE : 0;
	uint32_t i;

	if (want > avail) {
		print("payload: clamp touch: %u pages wanted, %u above 0x%08x\n", want, avail,
		      REGION_BASE);
		want = avail;
	}
	for (i = 0; i < want; i++) {
		*(volatile uint8_t *)(REGION_BASE + i * PAGE_SIZE) = TOUCH_BYTE;
		if (!(i & 255))
			now();
	}
	return want;
}

/* --- data ----------------------------------------------------------------- */

/* A bijection of 32-bit words (xor-shift, odd multiply). */
static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static uint32_t data_key;

/*
 * Word j of op's pattern at attempt k. Two ops differ in every word (op
 * times an odd constant), two attempts of one op too (mix32 is a
 * bijection with mix32(0) = 0): a stale device buffer never verifies.
 */
static uint32_t pattern(uint32_t op, uint32_t k, uint32_t j)
{
	return (mix32(data_key ^ j) + op * 0x9e3779b1u) ^ mix32(k);
}

/* Per page of the region: its last op + 1 (0: none, or failed), attempt. */
static uint32_t page_op[MAX_PAGES];
static uint16_t page_try[MAX_PAGES];
static uint8_t page_phase[MAX_PAGES];

struct stats {
	uint32_t ops, replays, errors, pages;
	bool fatal;			/* the device stopped: give up */
};

static uint32_t reports;

/* One verified round trip on page: S its first half, D its second half. */
static void dma_op(struct stats *st, uint32_t op, uint32_t page, uint32_t phase)
{
	uint32_t addr = REGION_BASE + page * PAGE_SIZE;
	volatile uint32_t *s = (volatile uint32_t *)addr;
	volatile uint32_t *d = s + CHUNK_WORDS;
	uint32_t k, j, bad = 0, poisoned = 0;

	if (page_phase[page] != phase) {
		page_phase[page] = phase;
		st->pages++;
	}
	for (k = 0; ; k++) {
		bool sim = cfg.faultsim && !k && !(op % cfg.faultsim);
		bool done;

		for (j = 0; j < CHUNK_WORDS; j++) {
			uint32_t w = pattern(op, k, j);

			s[j] = w;
			d[j] = w ^ POISON;
		}
		if (sim)
			edu_master(false);
		done = edu_dma(addr, EDU_BUF, 0) && edu_dma(EDU_BUF, addr + CHUNK, EDU_CMD_TO_RAM);
		if (sim)
			edu_master(true);
		if (!done) {
			st->errors++;
			st->fatal = true;
			page_op[page] = 0;
			return;
		}
		bad = poisoned = 0;
		for (j = 0; j < CHUNK_WORDS; j++) {
			uint32_t w = pattern(op, k, j), v = d[j];

			bad += v != w;
			poisoned += v == (w ^ POISON);
		}
		if (!bad)
			break;
		if (cfg.verbose >= 2)
			print("payload: attempt op=%u page=%u k=%u bad_words=%u poison_words=%u\n",
			      op, page, k, bad, poisoned);
		if (k == cfg.replays)
			break;
		st->replays++;
		udelay(cfg.backoff * (k + 1) < 100000 ? cfg.backoff * (k + 1) : 100000);
	}
	if (bad) {
		st->errors++;
		page_op[page] = 0;
		if (reports++ < MAX_REPORTS)
			print("payload: error op=%u page=%u addr=0x%08x attempts=%u bad_words=%u "
			      "poison_words=%u\n", op, page, addr, k + 1, bad, poisoned);
		return;
	}
	page_op[page] = op + 1;
	page_try[page] = k;
	if (k && cfg.verbose)
		print("payload: replayed op=%u page=%u attempts=%u\n", op, page, k + 1);
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Run the workload: dmas ops numbered from first_op, pages as per mode. */
static void run_ops(struct stats *st, uint32_t first_op, uint32_t phase)
{
	uint32_t rng = mix32(cfg.seed ^ 0x9e3779b9u) | 1, ring_next = 0, i, page;

	for (i = 0; i < cfg.dmas && !st->fatal; i++) {
		switch (cfg.mode) {
		case MODE_RANDOM:
			page = xorshift(&rng) % region_pages;
			break;
		case MODE_RING:
			if (i % 4 == 3)
				page = cfg.ring + xorshift(&rng) % (region_pages - cfg.ring);
			else
				page = ring_next++ % cfg.ring;
			break;
		default:
			page = i % region_pages;
			break;
		}
		dma_op(st, first_op + i, page, phase);
		st->ops++;
		if (cfg.progress && !(st->ops % cfg.progress))
			print("payload: progress %u replays=%u errors=%u\n", st->ops, st->replays,
			      st->errors);
	}
}

/* Pages whose content is no longer what their last op verified (CPU view). */
static uint32_t count_lost(void)
{
	uint32_t p, j, lost = 0;

	for (p = 0; p < region_pages; p++) {
		const volatile uint32_t *w = (const volatile uint32_t *)(REGION_BASE + p * PAGE_SIZE);
		uint32_t op = page_op[p] - 1, k = page_try[p];

		if (!(p & 15))
			now();
		if (!page_op[p])
			continue;
		for (j = 0; j < 2 * CHUNK_WORDS; j++)
			if (w[j] != pattern(op, k, j % CHUNK_WORDS))
				break;
		if (j == 2 * CHUNK_WORDS)
			continue;
		if (lost++ < MAX_REPORTS)
			print("payload: lost page=%u addr=0x%08x word=%u\n", p,
			      REGION_BASE + p * PAGE_SIZE, j);
	}
	return lost;
}

/*
 * FNV-1a over the region's words, each verified page taken as of its
 * op's first attempt: the same for the same command line and RAM size,
 * however many replays it took.
 */
static uint32_t region_checksum(void)
{
	uint32_t c = 2166136261u, p, j;

	for (p = 0; p < region_pages; p++) {
		const volatile uint32_t *w = (const volatile uint32_t *)(REGION_BASE + p * PAGE_SIZE);
		uint32_t unmask = page_op[p] ? mix32(page_try[p]) : 0;

		if (!(p & 15))
			now();
		for (j = 0; j < PAGE_SIZE / 4; j++)
			c = (c ^ (w[j] ^ unmask)) * 16777619u;
	}
	return c;
}

static void report(const struct stats *st, uint32_t touched, bool lost_checked, uint32_t lost,
		   uint32_t phase)
{
	print("payload: mode=%s dmas=%u replays=%u errors=%u pages=%u touched=%u ram_kb=%u",
	      mode_names[cfg.mode], st->ops, st->replays, st->errors, st->pages, touched,
	      ram_kb);
	if (lost_checked)
		print(" lost=%u", lost);
	if (cfg.pause)
		print(" phase=%u", phase);
	print("\n");
}

void payload_main(uint32_t magic, uint32_t mbi_addr)
{
	const struct mb_info *mbi = (const struct mb_info *)mbi_addr;
	struct stats st = { 0 };
	uint32_t touched, lost = 0;
	uint64_t t0, t1, t2;
	bool failed;

	serial_init();
	print("payload: start\n");
	pit_init();
	if (magic != MB_BOOT_MAGIC) {
		print("payload: not started by a multiboot loader (eax=0x%08x)\n", magic);
		finish(EXIT_ERROR);
	}
	if (mbi->flags & MBI_CMDLINE) {
		const char *s = (const char *)mbi->cmdline;
		size_t n;

		for (n = 0; s[n] && n < sizeof(cmdline) - 1; n++)
			cmdline[n] = s[n];
	}
	print("payload: cmdline \"%s\"\n", cmdline);
	if (!parse_cmdline())
		finish(EXIT_ERROR);
	data_key = mix32(cfg.seed + 0x6a09e667u);
	memory_setup(mbi);
	if (cfg.dev)
		edu_setup();
	region_setup();

	t0 = now();
	touched = touch_ram();
	t1 = now();
	if (cfg.mode != MODE_IDLE)
		run_ops(&st, 0, 1);
	t2 = now();
	if (cfg.check) {
		lost = count_lost();
		print("payload: checksum=0x%08x pages=%u\n", region_checksum(), region_pages);
	}
	print("payload: time touch_ms=%u dma_ms=%u\n", ticks_to_ms(t1 - t0), ticks_to_ms(t2 - t1));
	report(&st, touched, cfg.check, lost, 1);
	failed = st.errors || lost;

	if (cfg.pause && !st.fatal) {
		struct stats st2 = { 0 };

		print("payload: paused\n");
		serial_getc();
		lost = count_lost();
		t1 = now();
		if (cfg.mode != MODE_IDLE)
			run_ops(&st2, cfg.dmas, 2);
		t2 = now();
		if (cfg.check)
			print("payload: checksum=0x%08x pages=%u\n", region_checksum(),
			      region_pages);
		print("payload: time touch_ms=0 dma_ms=%u\n", ticks_to_ms(t2 - t1));
		report(&st2, touched, true, lost, 2);
		failed |= st2.errors || lost;
	}
	finish(failed ? EXIT_ERROR : EXIT_OK);
}
