/*
 * trap.c - what happens on a trap: interrupts go to their handler
 * (timer now; IPIs and the PLIC in later steps); an exception in the
 * kernel is fatal and is reported with its cause by name, sepc, stval
 * and every register before the panic.
 */
#include "trap.h"
#include "cpu.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "drivers/plic.h"
#include "riscv.h"
#include "kernel/timer.h"
#include "mm/vm.h"
#include "kernel/ipi.h"
#include "kernel/sched.h"
#include "syscall/dispatch.h"
#include "object/process.h"
#include "lib/fmt.h"

_Static_assert(TF_SEPC == offsetof(struct trap_frame, sepc), "trap.S frame layout");
_Static_assert(TF_SSTATUS == offsetof(struct trap_frame, sstatus), "trap.S frame layout");
_Static_assert(TF_SCAUSE == offsetof(struct trap_frame, scause), "trap.S frame layout");
_Static_assert(TF_STVAL == offsetof(struct trap_frame, stval), "trap.S frame layout");
_Static_assert(TF_SIZE == sizeof(struct trap_frame) && TF_SIZE % 16 == 0, "trap.S frame size");
_Static_assert(CPU_STACK_LO == offsetof(struct cpu, stack_lo), "trap.S cpu layout");
_Static_assert(CPU_EMERG_SP == offsetof(struct cpu, emerg_sp), "trap.S cpu layout");
_Static_assert(CPU_STACK_TOP == offsetof(struct cpu, stack_top), "entry.S cpu layout");
_Static_assert(CPU_KSTACK_TOP == offsetof(struct cpu, kstack_top), "trap.S cpu layout");
_Static_assert(CPU_USER_SP == offsetof(struct cpu, user_sp), "trap.S cpu layout");

extern char trap_entry[];

/* Privileged spec table 4.2 (scause values). */
static const char *const trap_exc_names[] = {
	[EXC_INST_MISALIGNED] = "Instruction address misaligned",
	[EXC_INST_ACCESS] = "Instruction access fault",
	[EXC_ILLEGAL_INST] = "Illegal instruction",
	[EXC_BREAKPOINT] = "Breakpoint",
	[EXC_LOAD_MISALIGNED] = "Load address misaligned",
	[EXC_LOAD_ACCESS] = "Load access fault",
	[EXC_STORE_MISALIGNED] = "Store/AMO address misaligned",
	[EXC_STORE_ACCESS] = "Store/AMO access fault",
	[EXC_ECALL_U] = "Environment call from U-mode",
	[EXC_ECALL_S] = "Environment call from S-mode",
	[EXC_INST_PAGE_FAULT] = "Instruction page fault",
	[EXC_LOAD_PAGE_FAULT] = "Load page fault",
	[EXC_STORE_PAGE_FAULT] = "Store/AMO page fault",
};

static const char *const trap_irq_names[] = {
	[IRQ_S_SOFT] = "Supervisor software interrupt",
	[IRQ_S_TIMER] = "Supervisor timer interrupt",
	[IRQ_S_EXT] = "Supervisor external interrupt",
};

const char *trap_cause_str(unsigned long scause)
{
	unsigned long code = scause & ~SCAUSE_INTERRUPT;
	const char *name = NULL;

	if (scause & SCAUSE_INTERRUPT) {
		if (code < ARRAY_SIZE(trap_irq_names))
			name = trap_irq_names[code];
	} else if (code < ARRAY_SIZE(trap_exc_names)) {
		name = trap_exc_names[code];
	}
	return name ? name : "Reserved or unknown cause";
}

void trap_init_hart(void)
{
	csr_write(stvec, trap_entry);
	csr_write(sscratch, 0);
	csr_set(sie, SIE_STIE | SIE_SSIE);
	plic_init_hart();
}

static void trap_dump(const struct trap_frame *tf)
{
	static const char *const names[32] = {
		"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
		"a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
		"s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
	};

	pr_emerg("trap: %s (scause 0x%lx) on hart %lu (cpu %u)\n", trap_cause_str(tf->scause),
		 tf->scause, this_cpu()->hartid, this_cpu()->id);
	pr_emerg("trap: sepc 0x%016lx stval 0x%016lx sstatus 0x%016lx\n", tf->sepc, tf->stval,
		 tf->sstatus);
	for (int r = 1; r < 32; r += 3) {
		char line[96];
		int n = 0;

		for (int i = r; i < r + 3 && i < 32; i++)
			n += fmt_snprintf(line + n, sizeof(line) - (size_t)n, " %4s 0x%016lx",
					  names[i], tf->regs[i - 1]);
		pr_emerg("trap:%s\n", line);
	}
}

static __noreturn void trap_die(struct trap_frame *tf)
{
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;
	bool fault = code == EXC_LOAD_PAGE_FAULT || code == EXC_STORE_PAGE_FAULT;

	if (this_cpu()->trap_depth++ > 1)
		panic("trap: nested fatal exception (scause 0x%lx, sepc 0x%lx)", tf->scause,
		      tf->sepc);
	trap_dump(tf);
	if (fault && vm_is_stack_guard(tf->stval))
		panic("kernel stack overflow on hart %lu (stval 0x%lx in the guard page)",
		      this_cpu()->hartid, tf->stval);
	panic("Fatal exception in kernel: %s at 0x%lx, stval 0x%lx", trap_cause_str(tf->scause),
	      tf->sepc, tf->stval);
}

void trap_handler(struct trap_frame *tf)
{
	unsigned long code = tf->scause & ~SCAUSE_INTERRUPT;

	if (!(tf->scause & SCAUSE_INTERRUPT)) {
		if (tf->sstatus & SSTATUS_SPP)
			trap_die(tf);		/* the kernel's own fault */
		if (code == EXC_ECALL_U)
			syscall_handle(tf);
		else
			syscall_user_fault(tf);	/* the task dies alone */
		sched_preempt_check();
		return;
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
