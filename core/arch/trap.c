/*
 * trap.c - the trap frame's layout, checked against what trap_entry.S
 * assumes, and the names of trap causes (privileged spec table 4.2).
 * Routing a trap is core/trap_handler.c.
 */
#include "trap.h"
#include "cpu.h"
#include "riscv.h"

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
