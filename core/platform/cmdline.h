/*
 * cmdline.h - the kernel command line (/chosen bootargs, QEMU -append).
 *
 * Early parameters (loglevel=, quiet, debug, maxcpus=, nosmp) act at once;
 * the rest is kept for later steps; unknown words are kept for init, as
 * Linux passes them: name=value to its environment, others to its argv,
 * everything after "--" to argv untouched. A malformed value is reported
 * and ignored, never fatal.
 */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include "keel.h"

#define COMMAND_LINE_SIZE     4096
#define CMDLINE_MAX_INIT_ARGS 32 /* Linux's MAX_INIT_ARGS */
#define CMDLINE_MAX_INIT_ENVS 32 /* Linux's MAX_INIT_ENVS */

struct cmdline {
	/* Immutable after boot. */
	int maxcpus; /* -1: no limit */
	bool nosmp;
	bool ipc_fastpath;	      /* ipc.fastpath=0: every IPC takes the slow path (tests) */
	unsigned int timer_hz;	      /* timer.hz= */
	unsigned int smp_timeout_ms;  /* smp.timeout_ms= */
	unsigned int hotplug_ms;      /* selftest.hotplug_ms=: how long selftest=hotplug runs */
	unsigned int syscall_fuzz_ms; /* syscall-fuzz.ms=: how long selftest=syscall-fuzz runs */
	long irqaffinity;	   /* irqaffinity=: a hart id for every device interrupt, or -1 */
	const char *selftest;	   /* selftest=, or NULL */
	const char *init, *rdinit; /* init=, rdinit= */
	bool initcall_debug;
	const char *initcall_blacklist;
	unsigned int init_argc, init_envc;
	const char *init_argv[CMDLINE_MAX_INIT_ARGS];
	const char *init_envp[CMDLINE_MAX_INIT_ENVS];
	unsigned int nerrors; /* malformed values reported */
};

extern struct cmdline cmdline;

/* Boot hart, once, before anything reads `cmdline`: the defaults, then @bootargs (may be NULL). */
__init void cmdline_init(const char *bootargs);
/* The command line as given (after truncation, if any). */
const char *cmdline_text(void);
/* Log "Kernel command line: ..." and what goes to init. */
__init void cmdline_log(void);

/*
 * Split the next word off *@p in place (double quotes group, and are
 * removed, as Linux's next_arg() does); NULL at the end.
 */
__init char *cmdline_next_word(char **p);

#endif
