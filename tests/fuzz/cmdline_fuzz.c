/*
 * cmdline_fuzz.c - libFuzzer harness for core/platform/cmdline.c.
 *
 * cmdline.c is included whole, so its static state (the copies, the list
 * of unknown words) can be reset before each input; the log and console
 * level it calls are stubs here. Each input is the bootargs string (up to
 * its first NUL, in a buffer of exactly its own size so ASan sees any
 * read past the end). On top of "no crash" it checks what the parser
 * promises (cmdline.h):
 *   - every value it keeps is within its documented range; the console
 *     level it sets is a level from 0 to 8;
 *   - init gets at most CMDLINE_MAX_INIT_ARGS words and _ENVS words;
 *     every word and value it keeps is a NUL-terminated string inside
 *     its own copy of the line, without quotes; environment words have a
 *     '=', and name no parameter the core took;
 *   - cmdline_text() is the input, cut at COMMAND_LINE_SIZE - 1 bytes;
 *   - every line logged fits a log line; parsing the same line again
 *     gives the same result.
 * A broken promise is __builtin_trap(), which libFuzzer reports as a crash.
 *
 * Built with -DCMDLINE_FUZZ_MAIN it is a plain program instead: it runs
 * each file named on its command line through the same checks and prints
 * TAP (tests/test_cmdline_fuzz.py runs it on the seeds and regressions).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/platform/cmdline.c"
#include "keel/syscall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond)                                                                              \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

/* --- stubs for what cmdline.c calls ---------------------------------------- */

static int console_level = LOG_DEFAULT_CONSOLE;

void log_printf(int level, const char *fmt, ...)
{
	char line[4 * LOG_LINE_MAX];
	va_list ap;
	int n;

	PROMISE(level >= LOG_EMERG && level <= LOG_DEBUG);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* The kernel's log cuts a line at LOG_LINE_MAX; the parser's own never need it. */
	PROMISE(n >= 0);
}

void log_set_console_level(int level)
{
	PROMISE(level >= 0 && level <= LOG_DEBUG + 1);
	console_level = level;
}

/* --- the checks ------------------------------------------------------------ */

static const struct cmdline cmdline_defaults = {
	.maxcpus = -1,
	.timer_hz = 100,
	.smp_timeout_ms = 1000,
	.hotplug_ms = 2000,
	.syscall_fuzz_ms = 10000,
};

static void reset(void)
{
	cmdline = cmdline_defaults;
	memset(cmdline_buf, 0x5a, sizeof(cmdline_buf)); /* no help from old NULs */
	memset(cmdline_orig, 0x5a, sizeof(cmdline_orig));
	memset(cmdline_unknown, 0, sizeof(cmdline_unknown));
	cmdline_nunknown = 0;
	cmdline_truncated = false;
	console_level = LOG_DEFAULT_CONSOLE;
}

/* A string the parser kept: inside its copy, terminated there, no quote left. */
static void kept(const char *s)
{
	size_t n;

	PROMISE(s >= cmdline_buf && s < cmdline_buf + sizeof(cmdline_buf));
	n = strnlen(s, (size_t)(cmdline_buf + sizeof(cmdline_buf) - s));
	PROMISE(s + n < cmdline_buf + sizeof(cmdline_buf));
	PROMISE(!memchr(s, '"', n));
}

/* A string parameter's value: none, or a kept, non-empty string. */
static void kept_value(const char *s)
{
	if (!s)
		return;
	kept(s);
	PROMISE(*s);
}

static bool is_param(const char *word, size_t n)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(cmdline_params); i++)
		if (strlen(cmdline_params[i].name) == n &&
		    !strncmp(cmdline_params[i].name, word, n))
			return true;
	return false;
}

static void check_values(void)
{
	PROMISE(cmdline.maxcpus == -1 || (cmdline.maxcpus >= 0 && cmdline.maxcpus <= 1 << 20));
	PROMISE(cmdline.timer_hz >= 1 && cmdline.timer_hz <= 10000);
	PROMISE(cmdline.smp_timeout_ms >= 1 && cmdline.smp_timeout_ms <= 600000);
	PROMISE(cmdline.hotplug_ms >= 1 && cmdline.hotplug_ms <= 3600000);
	PROMISE(cmdline.syscall_fuzz_ms >= 1 && cmdline.syscall_fuzz_ms <= 3600000);
	PROMISE(console_level >= 0 && console_level <= LOG_DEBUG + 1);
	kept_value(cmdline.selftest);
	kept_value(cmdline.init);
	kept_value(cmdline.rdinit);
	kept_value(cmdline.initcall_blacklist);
}

static void check_init_words(void)
{
	PROMISE(cmdline.init_argc <= CMDLINE_MAX_INIT_ARGS);
	PROMISE(cmdline.init_envc <= CMDLINE_MAX_INIT_ENVS);
	PROMISE(cmdline_nunknown <= ARRAY_SIZE(cmdline_unknown));
	/* Init can hand on every string it gets: none longer than spawn takes. */
	for (unsigned int i = 0; i < cmdline.init_argc; i++) {
		kept(cmdline.init_argv[i]);
		PROMISE(strlen(cmdline.init_argv[i]) < KEEL_ARG_MAX);
	}
	for (unsigned int i = 0; i < cmdline.init_envc; i++) {
		const char *w = cmdline.init_envp[i], *eq;

		kept(w);
		PROMISE(strlen(w) < KEEL_ARG_MAX);
		eq = strchr(w, '=');
		PROMISE(eq);
		/* Unknown name=value only: one the core takes never reaches init. */
		PROMISE(!is_param(w, (size_t)(eq - w)));
	}
	for (unsigned int i = 0; i < cmdline_nunknown; i++)
		kept(cmdline_unknown[i]);
}

/* What one parse left, to compare with a second one. */
struct outcome {
	struct cmdline c;
	int level;
	unsigned int nunknown;
};

static void snapshot(struct outcome *o)
{
	o->c = cmdline;
	o->level = console_level;
	o->nunknown = cmdline_nunknown;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void same(const struct outcome *a, const struct outcome *b)
{
	PROMISE(a->level == b->level && a->nunknown == b->nunknown);
	PROMISE(a->c.maxcpus == b->c.maxcpus && a->c.nosmp == b->c.nosmp);
	PROMISE(a->c.timer_hz == b->c.timer_hz && a->c.smp_timeout_ms == b->c.smp_timeout_ms);
	PROMISE(a->c.hotplug_ms == b->c.hotplug_ms && a->c.syscall_fuzz_ms == b->c.syscall_fuzz_ms);
	PROMISE(a->c.initcall_debug == b->c.initcall_debug && a->c.nerrors == b->c.nerrors);
	PROMISE(a->c.init_argc == b->c.init_argc && a->c.init_envc == b->c.init_envc);
	/* Both parses split the same buffer: the same words at the same places. */
	PROMISE(a->c.selftest == b->c.selftest && a->c.init == b->c.init &&
		a->c.rdinit == b->c.rdinit && a->c.initcall_blacklist == b->c.initcall_blacklist);
	for (unsigned int i = 0; i < a->c.init_argc; i++)
		PROMISE(str_same(a->c.init_argv[i], b->c.init_argv[i]));
	for (unsigned int i = 0; i < a->c.init_envc; i++)
		PROMISE(str_same(a->c.init_envp[i], b->c.init_envp[i]));
}

static void parse_and_check(const char *line, size_t len, struct outcome *o)
{
	size_t kept_len = MIN(len, (size_t)COMMAND_LINE_SIZE - 1);

	reset();
	cmdline_init(line);
	PROMISE(strlen(cmdline_text()) == kept_len);
	PROMISE(!memcmp(cmdline_text(), line, kept_len));
	PROMISE(cmdline_truncated == (len > kept_len));
	check_values();
	check_init_words();
	cmdline_log();
	snapshot(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = strnlen((const char *)data, size);
	char *line = malloc(len + 1);
	struct outcome a, b;

	memcpy(line, data, len);
	line[len] = '\0';
	parse_and_check(line, len, &a);
	parse_and_check(line, len, &b);
	same(&a, &b);
	/* No bootargs at all: the defaults, nothing for init. */
	reset();
	cmdline_init(NULL);
	PROMISE(!*cmdline_text() && !cmdline.init_argc && !cmdline.init_envc && !cmdline.nerrors);
	free(line);
	return 0;
}

#ifdef CMDLINE_FUZZ_MAIN
/* cmdline_replay FILE...: each file through the harness; TAP, one case per file. */
int main(int argc, char **argv)
{
	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		static uint8_t buf[1 << 20];
		size_t n;
		uint8_t *exact;

		if (!f) {
			printf("not ok %d %s # cannot open\n", i, argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		exact = malloc(n ? n : 1); /* exactly its size: ASan sees reads past it */
		memcpy(exact, buf, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
		printf("ok %d %s\n", i, argv[i]);
	}
	return 0;
}
#endif
