/*
 * cpu.h - per-hart data. `cpus[]` is indexed by Keel's dense cpu id
 * (0 = the boot hart), never by hartid; a hart's tp register points at
 * its own entry while it runs kernel code. It has an entry per usable
 * hart of the device tree, allocated at boot (smp_cpus_init()); until
 * then it holds the boot hart's alone (smp_boot_cpu).
 *
 * A hart touches its own entry without locks; fields other harts read
 * say so and are accessed atomically.
 */
#ifndef KEEL_CPU_H
#define KEEL_CPU_H

/* Offsets of struct cpu fields that core/arch/trap_entry.S reads (checked in trap.c). */
#define CPU_STACK_LO   0
#define CPU_EMERG_SP   8
#define CPU_STACK_TOP  16
#define CPU_KSTACK_TOP 24  /* the running task's kernel stack top (traps from U-mode) */
#define CPU_USER_SP    32  /* scratch: the user sp while the trap entry saves it */
#define CPU_HARTID     40  /* a stray hart finds its struct cpu by it (boot/entry.S) */
#define CPU_PEN	       176 /* boot/entry.S's pen waits, MMU off, until it is not 0 */
#define CPU_SIZE       184 /* sizeof(struct cpu), for the same search */

#ifndef __ASSEMBLER__
#include "keel.h"

struct task;
struct as;

/*
 * Harts Keel runs on at most (Debian's OpenSBI 1.1 stops at 128): the
 * width of a cpumask. Nothing else is sized by it; cpus[] is as long as
 * the tree says.
 */
#define KEEL_MAX_CPUS 256

enum cpu_state { CPU_OFFLINE = 0, CPU_STARTING, CPU_ONLINE };

struct cpu {
	/* Read by core/arch/trap_entry.S: offsets checked in core/arch/trap.c. */
	unsigned long stack_lo;	  /* lowest byte of the kernel stack; 0 = unchecked */
	unsigned long emerg_sp;	  /* top of the stack used after an overflow */
	unsigned long stack_top;  /* where a secondary's boot sp starts */
	unsigned long kstack_top; /* owned: the running task's kernel stack top */
	unsigned long user_sp;	  /* owned: trap.S scratch */
	/* Immutable after boot. */
	unsigned long hartid;
	unsigned int id;
	/* Read by other harts: atomic. */
	int state;
	/* Owned by this cpu. */
	uint64_t ticks;		 /* timer interrupts taken */
	uint64_t next_tick;	 /* time CSR value of the next one */
	bool tick_on;		 /* the periodic tick runs on this cpu */
	unsigned int trap_depth; /* nested exceptions, to stop a fault loop */
	uint64_t online_time;	 /* time CSR when it came online */
	/* The scheduler's per-cpu state. */
	struct task *current;	   /* owned by this cpu; read by others for ps */
	struct task *idle;	   /* swapper/N; immutable once online */
	struct task *prev;	   /* the task switched away from, for finish_switch */
	int preempt_count;	   /* owned: > 0 while spinlocks are held */
	bool need_resched;	   /* owned: set by the tick and IPIs */
	unsigned long ipi_pending; /* atomic: IPI_* bits other harts set */
	uint64_t timer_deadline;   /* owned: what the timer is armed for */
	int dying;		   /* atomic: hotplug asked this cpu to go offline */
	struct as *active_as;	   /* owned: the address space in satp (NULL: kernel map) */
	bool in_idle_irq;	   /* owned: the idle loop's interrupt hook runs */
	struct task *idle_next;	   /* owned: woken meanwhile, claimed, to run at once */
	unsigned int nr_ready;	   /* atomic: its run queue's length (sched.c), a hint */
	/* Read by the pen (boot/entry.S), MMU off: 1 lets a parked hart go (smp.c). */
	unsigned long pen;
};

extern struct cpu *cpus; /* smp_possible_cpus() entries; immutable after smp_cpus_init() */

static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	/* volatile: a task may resume on another hart after any call. */
	__asm__ __volatile__("mv %0, tp" : "=r"(c));
	return c;
}
#endif

#endif
