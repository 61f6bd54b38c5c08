/*
 * trap_handler.c - what happens on a trap (but a system call, which
 * arch/trap_entry.S hands to syscall_entry() itself): the timer tick to
 * the scheduler, an IPI to its handler, a device interrupt to the PLIC
 * (or, when it wakes an idle hart, trap_idle_irq() without a trap); a
 * fault in user mode kills the task with a report; an exception in the
 * kernel is fatal and is reported with its cause by name, sepc, stval,
 * every register and the call trace before the panic. The vector that saves the frame
 * is arch/trap_entry.S.
 */
#include "trap_handler.h"
#include "main.h"
#include "arch/cpu.h"
#include "arch/riscv.h"
#include "arch/trap.h"
#include "drivers/plic.h"
#include "kernel/ipi.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "kernel/timer.h"
#include "lib/fmt.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "mm/as.h"
#include "mm/vm.h"
#include "object/process.h"
#include "syscall/dispatch.h"

extern char trap_entry[];

/*
 * The idle loop's call after wfi, interrupts off: a device interrupt is
 * served here as trap_handler() would, without the trap. Ticks and IPIs
 * wait for the trap that comes when the idle loop enables interrupts.
 */
static void trap_idle_irq(void)
{
	if (csr_read(sip) & csr_read(sie) & SIE_SEIE)
		plic_interrupt();
}

__init void trap_init(void)
{
	sched_set_idle_irq(trap_idle_irq);
}

void trap_init_hart(void)
{
	csr_write(stvec, trap_entry);
	csr_write(sscratch, 0);
	/*
	 * Keel keeps no FPU state (user programs are lp64 soft-float, the
	 * core never uses it): FS = Off, so an FP instruction is an illegal
	 * instruction rather than a way to read another task's registers.
	 * exec copies this sstatus into every user frame.
	 */
	csr_clear(sstatus, SSTATUS_FS);
	csr_set(sie, SIE_STIE | SIE_SSIE);
	plic_init_hart();
}

static void trap_dump(const struct trap_frame *tf)
{
	/* The psABI names of x0..x31, four characters each, unterminated. */
	static const char names[32][4] = {
		"zero", "ra", "sp", "gp", "tp",	 "t0",	"t1", "t2", "s0", "s1", "a0",
		"a1",	"a2", "a3", "a4", "a5",	 "a6",	"a7", "s2", "s3", "s4", "s5",
		"s6",	"s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};

	pr_emerg("trap: %s (scause 0x%lx) on hart %lu (cpu %u)\n", trap_cause_str(tf->scause),
		 tf->scause, this_cpu()->hartid, this_cpu()->id);
	pr_emerg("trap: sepc 0x%016lx stval 0x%016lx sstatus 0x%016lx\n", tf->sepc, tf->stval,
		 tf->sstatus);
	for (int r = 1; r < 32; r += 3) {
		char line[96];
		int n = 0;

		for (int i = r; i < r + 3 && i < 32; i++)
			n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " %4.4s 0x%016lx",
					  names[i], tf->regs[i - 1]);
		pr_emerg("trap:%s\n", line);
	}
}

#define TRAP_TRACE_MAX 16 /* frames the call trace shows */
#define REG_RA	       1  /* x1, the return address */
#define REG_SP	       2  /* x2, the psABI's stack pointer */
#define REG_S0	       8  /* x8, s0/fp: the frame pointer */

#if DEBUG
/*
 * The return addresses on the kernel's frame-pointer chain, one line each
 * (tools/decode-trace names them). The debug core is built with
 * -fno-omit-frame-pointer: s0 is the frame pointer, the frame's return
 * address is at fp - 8 and the caller's fp at fp - 16 (GCC's RISC-V
 * frame layout). A leaf function saves no ra: its fp - 8 holds the
 * caller's fp, and its return address is still in ra. A frame outside
 * the faulting stack, or one that does not go up it, ends the walk, so a
 * corrupt chain stops rather than faults.
 */
static void trap_call_trace(const struct trap_frame *tf)
{
	unsigned long lo = tf->regs[REG_SP - 1], hi = lo + KSTACK_SIZE;
	unsigned long fp = tf->regs[REG_S0 - 1];

	pr_emerg("trap: call trace:\n");
	pr_emerg("trap:  #0 0x%016lx\n", tf->sepc);
	for (int i = 1; i < TRAP_TRACE_MAX && fp >= lo + 16 && fp <= hi && !(fp & 7); i++) {
		const unsigned long *frame = (const unsigned long *)fp;
		unsigned long ra = frame[-1], next = frame[-2];

		if (i == 1 && ra >= lo && ra <= hi) {
			next = ra; /* a leaf: fp - 8 is the caller's fp */
			ra = tf->regs[REG_RA - 1];
		}
		pr_emerg("trap:  #%d 0x%016lx\n", i, ra);
		if (next <= fp)
			break;
		fp = next;
	}
}
#else
/*
 * True if @ra follows a call in the core's text (or its boot-only text,
 * until that is freed): jal or jalr that links
 * ra (RISC-V unprivileged spec 20191213, 2.5), or c.jalr (16.8). Read a
 * halfword at a time: text is only 2-byte aligned with the C extension.
 */
static bool trap_after_call(unsigned long ra)
{
	const uint16_t *p = (const uint16_t *)ra;
	/* __init_begin and __init_end only: tools/check-init lets those two through. */
	bool init = !__atomic_load_n(&core_init_freed, __ATOMIC_ACQUIRE) &&
		    ra > (unsigned long)__init_begin && ra < (unsigned long)__init_end;
	uint32_t insn;

	if (!init && (ra < (unsigned long)_start + 4 || ra > (unsigned long)_etext))
		return false;
	if (ra & 1)
		return false;
	insn = p[-2] | (uint32_t)p[-1] << 16;
	return (insn & 0xfff) == 0x0ef || (insn & 0x7fff) == 0x00e7 ||
	       ((p[-1] & 0xf07f) == 0x9002 && (p[-1] & 0x0f80));
}

/*
 * The release core has no frame pointers (it is built for size), so its
 * trace is Linux's without them: every word on the faulting stack that
 * is a return address into the core, innermost first. Stale ones from
 * calls already returned may show among them. The scan ends at the
 * task's stack top, or, on a stack that is not the task's (the boot
 * stack), at the end of sp's page: nothing unmapped is read.
 */
static void trap_call_trace(const struct trap_frame *tf)
{
	unsigned long sp = tf->regs[REG_SP - 1], top = this_cpu()->kstack_top;
	const unsigned long *w = (const unsigned long *)(sp & ~7UL);
	const unsigned long *end;
	int i = 1;

	if (sp >= top || sp < top - KSTACK_SIZE)
		top = (sp | (PAGE_SIZE - 1)) + 1;
	end = (const unsigned long *)top;

	pr_emerg("trap: call trace:\n");
	pr_emerg("trap:  #0 0x%016lx\n", tf->sepc);
	if (trap_after_call(tf->regs[REG_RA - 1]))
		pr_emerg("trap:  #%d 0x%016lx\n", i++, tf->regs[REG_RA - 1]);
	for (; w < end && i < TRAP_TRACE_MAX; w++)
		if (trap_after_call(*w))
			pr_emerg("trap:  #%d 0x%016lx\n", i++, *w);
}
#endif

static __noreturn void trap_die(struct trap_frame *tf)
{
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;
	bool fault = code == EXC_LOAD_PAGE_FAULT || code == EXC_STORE_PAGE_FAULT;

	if (this_cpu()->trap_depth++ > 1)
		panic("trap: nested fatal trap (scause 0x%lx, sepc 0x%lx)", tf->scause, tf->sepc);
	trap_dump(tf);
	if (!(fault && vm_is_stack_guard(tf->stval)))
		trap_call_trace(tf); /* an overflowed stack is no chain to walk */
	if (fault && vm_is_stack_guard(tf->stval))
		panic("kernel stack overflow on hart %lu (stval 0x%lx in the guard page)",
		      this_cpu()->hartid, tf->stval);
	panic("Fatal exception in kernel: %s at 0x%lx, stval 0x%lx", trap_cause_str(tf->scause),
	      tf->sepc, tf->stval);
}

/* A user page fault on a page the address space maps on first touch (as_map_lazy)? */
static bool trap_first_touch(const struct trap_frame *tf)
{
	unsigned long code = tf->scause;

	if (code != EXC_LOAD_PAGE_FAULT && code != EXC_STORE_PAGE_FAULT)
		return false;
	return as_fault(task_current()->as, tf->stval);
}

void trap_handler(struct trap_frame *tf)
{
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;

	if (!(tf->scause & SCAUSE_INTERRUPT)) {
		if (tf->sstatus & SSTATUS_SPP)
			trap_die(tf); /* the kernel's own fault */
		if (trap_first_touch(tf))
			return;		/* a stack page, mapped now: try again */
		syscall_user_fault(tf); /* the task dies alone; ecalls go to syscall_entry */
	}

	switch (code) {
	case IRQ_S_TIMER:
		timer_interrupt();
		break;
	case IRQ_S_SOFT:
		ipi_interrupt();
		break;
	case IRQ_S_EXT:
		plic_interrupt();
		break;
	default:
		pr_warn("trap: unexpected interrupt %lu on hart %lu\n", code, this_cpu()->hartid);
		csr_clear(sie, 1UL << code);
		break;
	}
	/* Back to the interrupted task, or to another if the tick or an IPI said so. */
	sched_preempt_check();
	if (!(tf->sstatus & SSTATUS_SPP))
		process_check_killed();
}
