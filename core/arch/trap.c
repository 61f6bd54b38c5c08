/*
 * trap.c - the trap frame's layout, checked against what trap_entry.S
 * assumes, and the names of trap causes (privileged spec table 4.2).
 * Routing a trap is core/trap_handler.c.
 */
#include "trap.h"
#include "cpu.h"
#include "riscv.h"
#include "keel/strtab.h"

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

/* Privileged spec table 4.2 (scause values), from 0; "" for a reserved code. */
static const char trap_exc_names[] = "Instruction address misaligned\0"
				     "Instruction access fault\0"
				     "Illegal instruction\0"
				     "Breakpoint\0"
				     "Load address misaligned\0"
				     "Load access fault\0"
				     "Store/AMO address misaligned\0"
				     "Store/AMO access fault\0"
				     "Environment call from U-mode\0"
				     "Environment call from S-mode\0"
				     "\0"
				     "\0"
				     "Instruction page fault\0"
				     "Load page fault\0"
				     "\0"
				     "Store/AMO page fault";
_Static_assert(EXC_INST_MISALIGNED == 0 && EXC_ECALL_S == 9 && EXC_INST_PAGE_FAULT == 12 &&
		       EXC_LOAD_PAGE_FAULT == 13 && EXC_STORE_PAGE_FAULT == 15,
	       "trap_exc_names is in scause order");

/* Interrupts from 0: user and supervisor software, (reserved), then timers, then external. */
static const char trap_irq_names[] = "\0Supervisor software interrupt\0\0\0"
				     "\0Supervisor timer interrupt\0\0\0"
				     "\0Supervisor external interrupt";
_Static_assert(IRQ_S_SOFT == 1 && IRQ_S_TIMER == 5 && IRQ_S_EXT == 9,
	       "trap_irq_names is in scause order");

const char *trap_cause_str(unsigned long scause)
{
	unsigned long code = scause & ~SCAUSE_INTERRUPT;
	const char *name;

	if (scause & SCAUSE_INTERRUPT)
		name = strtab_nth(trap_irq_names, sizeof(trap_irq_names), code);
	else
		name = strtab_nth(trap_exc_names, sizeof(trap_exc_names), code);
	return name ? name : "Reserved or unknown cause";
}
