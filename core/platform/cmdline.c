/*
 * cmdline.c - parse the kernel command line, once, on the boot hart.
 *
 * The text is copied into cmdline_buf (the DT blob stays untouched) and
 * split in place into words; `cmdline` keeps pointers into the copy.
 * Words are handled by a table of parameters, like Linux's __setup().
 * A word for init longer than a string spawn takes (KEEL_ARG_MAX - 1
 * bytes) is refused here, once, with a message: init could not hand it
 * on to anything it starts.
 */
#include "cmdline.h"
#include "keel/syscall.h"
#include "lib/log.h"

#ifndef KEEL_SELFTESTS
#define KEEL_SELFTESTS 0 /* 1 in the test Image's copy (tools/gen-kernel-ninja.py) */
#endif

/* In .bss, defaults set by cmdline_init(): an initialised one puts 600 bytes into the Image. */
struct cmdline cmdline;

static char cmdline_buf[COMMAND_LINE_SIZE];  /* the words, split in place */
static char cmdline_orig[COMMAND_LINE_SIZE]; /* as given, for the log */
static const char *cmdline_unknown[CMDLINE_MAX_INIT_ARGS + CMDLINE_MAX_INIT_ENVS];
static unsigned int cmdline_nunknown;
static bool cmdline_truncated;

static __init bool cmdline_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Decimal only, no sign; false on anything else or a value past @max. */
static __init bool cmdline_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (*s < '0' || *s > '9')
			return false;
		/* d > max first: max - d must not wrap ("loglevel=9" is past 8). */
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static __init void cmdline_bad(const char *name, const char *val, const char *why)
{
	pr_warn("cmdline: %s=%s: %s; ignored\n", name, val ? val : "", why);
	cmdline.nerrors++;
}

static __init void param_loglevel(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 8, &v))
		return cmdline_bad(name, val, "not a level from 0 to 8");
	log_set_console_level((int)v);
}

static __init void param_quiet(const char *name, const char *val)
{
	(void)name, (void)val;
	log_set_console_level(LOG_QUIET_CONSOLE);
}

static __init void param_debug(const char *name, const char *val)
{
	(void)name, (void)val;
	log_set_console_level(LOG_DEBUG + 1);
}

static __init void param_maxcpus(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 1U << 20, &v))
		return cmdline_bad(name, val, "not a number");
	cmdline.maxcpus = (int)v;
}

static __init void param_nosmp(const char *name, const char *val)
{
	(void)name, (void)val;
	cmdline.nosmp = true;
}

static __init void param_ipc_fastpath(const char *name, const char *val)
{
	if ((val[0] != '0' && val[0] != '1') || val[1])
		return cmdline_bad(name, val, "not 0 or 1");
	cmdline.ipc_fastpath = val[0] == '1';
}

static __init void param_timer_hz(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 10000, &v) || v == 0)
		return cmdline_bad(name, val, "not a rate from 1 to 10000 Hz");
	cmdline.timer_hz = (unsigned int)v;
}

static __init void param_smp_timeout(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 600000, &v) || v == 0)
		return cmdline_bad(name, val, "not a time from 1 to 600000 ms");
	cmdline.smp_timeout_ms = (unsigned int)v;
}

#if KEEL_SELFTESTS /* the test Image's knobs; the shipping Image passes them to init */
static __init void param_hotplug_ms(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 3600000, &v) || v == 0)
		return cmdline_bad(name, val, "not a time from 1 to 3600000 ms");
	cmdline.hotplug_ms = (unsigned int)v;
}

static __init void param_syscall_fuzz_ms(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 3600000, &v) || v == 0)
		return cmdline_bad(name, val, "not a time from 1 to 3600000 ms");
	cmdline.syscall_fuzz_ms = (unsigned int)v;
}
#endif

/* Checked against the harts the tree has later, by plic_init(). */
static __init void param_irqaffinity(const char *name, const char *val)
{
	unsigned long v;

	if (!cmdline_parse_uint(val, 0xffffffffUL, &v))
		return cmdline_bad(name, val, "not a hart id");
	cmdline.irqaffinity = (long)v;
}

static __init void param_string(const char *name, const char *val)
{
	if (!val || !*val)
		return cmdline_bad(name, val, "needs a value");
	if (cmdline_streq(name, "selftest"))
		cmdline.selftest = val;
	else if (cmdline_streq(name, "init"))
		cmdline.init = val;
	else if (cmdline_streq(name, "rdinit"))
		cmdline.rdinit = val;
	else
		cmdline.initcall_blacklist = val;
}

static __init void param_initcall_debug(const char *name, const char *val)
{
	(void)name, (void)val;
	cmdline.initcall_debug = true;
}

struct cmdline_param {
	const char *name;
	void (*set)(const char *name, const char *val);
};

/* The first CMDLINE_BARE are bare words; the others take name=value. */
#define CMDLINE_BARE 4
static const struct cmdline_param cmdline_params[] __initconst = {
	{ "quiet", param_quiet },
	{ "debug", param_debug },
	{ "nosmp", param_nosmp },
	{ "initcall_debug", param_initcall_debug },
	{ "loglevel", param_loglevel },
	{ "maxcpus", param_maxcpus },
	{ "timer.hz", param_timer_hz },
	{ "ipc.fastpath", param_ipc_fastpath },
	{ "smp.timeout_ms", param_smp_timeout },
	{ "selftest", param_string },
#if KEEL_SELFTESTS
	{ "selftest.hotplug_ms", param_hotplug_ms },
	{ "syscall-fuzz.ms", param_syscall_fuzz_ms },
#endif
	{ "init", param_string },
	{ "rdinit", param_string },
	{ "initcall_blacklist", param_string },
	{ "irqaffinity", param_irqaffinity },
};

__init char *cmdline_next_word(char **p)
{
	char *s = *p, *word, *out;
	bool quoted = false;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (!*s) {
		*p = s;
		return NULL;
	}
	/* Copy down over the quotes while scanning: `a="b c"` becomes `a=b c`. */
	word = out = s;
	for (; *s; s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (*s == ' ' || *s == '\t' || *s == '\n'))
			break;
		*out++ = *s;
	}
	if (*s)
		s++;
	*out = '\0';
	*p = s;
	return word;
}

/* Hand @word to init; false if it is refused (too long for spawn to pass on). */
static __init bool cmdline_for_init(const char *word, bool is_env)
{
	size_t len = 0;

	while (word[len])
		len++;
	if (len > KEEL_ARG_MAX - 1) {
		pr_warn("cmdline: word of %lu bytes (%.16s...) is longer than %u bytes; ignored\n",
			(unsigned long)len, word, KEEL_ARG_MAX - 1);
		cmdline.nerrors++;
		return false;
	}
	if (is_env) {
		if (cmdline.init_envc < CMDLINE_MAX_INIT_ENVS)
			cmdline.init_envp[cmdline.init_envc++] = word;
		else
			pr_warn("cmdline: too many env words for init, dropped %s\n", word);
	} else {
		if (cmdline.init_argc < CMDLINE_MAX_INIT_ARGS)
			cmdline.init_argv[cmdline.init_argc++] = word;
		else
			pr_warn("cmdline: too many arguments for init, dropped %s\n", word);
	}
	return true;
}

static __init void cmdline_word(char *word)
{
	char *eq = word;
	const char *val = NULL;

	while (*eq && *eq != '=')
		eq++;
	if (*eq) {
		*eq = '\0';
		val = eq + 1;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(cmdline_params); i++) {
		const struct cmdline_param *prm = &cmdline_params[i];

		if (!cmdline_streq(prm->name, word))
			continue;
		if (i >= CMDLINE_BARE && !val)
			return cmdline_bad(word, NULL, "needs a value");
		if (i < CMDLINE_BARE && val)
			return cmdline_bad(word, val, "takes no value");
		prm->set(word, val);
		return;
	}
	if (val)
		*eq = '=';
	/* Only what init really gets is "passed to user space". */
	if (cmdline_for_init(word, val != NULL) && cmdline_nunknown < ARRAY_SIZE(cmdline_unknown))
		cmdline_unknown[cmdline_nunknown++] = word;
}

__init void cmdline_init(const char *bootargs)
{
	size_t n = 0;
	char *p = cmdline_buf, *word;

	cmdline.maxcpus = -1;
	cmdline.timer_hz = 100;
	cmdline.ipc_fastpath = true;
	cmdline.smp_timeout_ms = 1000;
#if KEEL_SELFTESTS
	cmdline.hotplug_ms = 2000;
	cmdline.syscall_fuzz_ms = 10000;
#endif
	cmdline.irqaffinity = -1;
	if (bootargs) {
		while (bootargs[n] && n < COMMAND_LINE_SIZE - 1) {
			cmdline_buf[n] = cmdline_orig[n] = bootargs[n];
			n++;
		}
		cmdline_truncated = bootargs[n] != '\0';
	}
	cmdline_buf[n] = cmdline_orig[n] = '\0';

	while ((word = cmdline_next_word(&p))) {
		if (cmdline_streq(word, "--")) {
			while ((word = cmdline_next_word(&p)))
				(void)cmdline_for_init(word, false);
			break;
		}
		cmdline_word(word);
	}
}

const char *cmdline_text(void)
{
	return cmdline_orig;
}

__init void cmdline_log(void)
{
	pr_notice("Kernel command line: %s\n", cmdline_orig);
	if (cmdline_truncated)
		pr_warn("cmdline: longer than %u bytes; truncated\n", COMMAND_LINE_SIZE - 1);
	if (cmdline_nunknown) {
		char buf[LOG_LINE_MAX - 80];
		size_t len = 0;

		for (unsigned int i = 0; i < cmdline_nunknown; i++) {
			const char *w = cmdline_unknown[i];

			if (i && len < sizeof(buf) - 1)
				buf[len++] = ' ';
			while (*w && len < sizeof(buf) - 1)
				buf[len++] = *w++;
		}
		buf[len] = '\0';
		pr_notice("Unknown kernel command line parameters \"%s\", will be passed to user "
			  "space.\n",
			  buf);
	}
}
