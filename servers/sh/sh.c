/*
 * sh.c - a small shell on the console: builtins to look at the system
 * (ps, dmesg, ls, cat of the initramfs), to run programs, and to end the
 * run. A line is a command and its words; "run" is implied for a path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "proto.h"

#define LINE_MAX_LEN	256
#define ARGS_MAX	16
#define PS_MAX		1024

static const char *const state_names[] = { "R", "Q", "S", "Z" };

static int cmd_help(int argc, char **argv);

/* The control handle: init's own when the shell is pid 1, else the one init gave. */
static long control(void)
{
	return keel_getpid() == 1 ? KEEL_H_INIT_CONTROL : PROTO_H_SHELL_CONTROL;
}

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s%s", argv[i], i + 1 < argc ? " " : "");
	printf("\n");
	return 0;
}

static int cmd_ps(int argc, char **argv)
{
	static struct keel_ps ps[PS_MAX];
	long n = keel_ps(ps, PS_MAX);

	(void)argc, (void)argv;
	if (n < 0)
		return printf("ps: %s\n", keel_strerror(n)), 1;
	printf("  PID  PPID HART S NAME\n");
	for (long i = 0; i < n; i++)
		printf("%5d %5d %4d %s %s\n", ps[i].pid, ps[i].ppid, ps[i].hart,
		       ps[i].state >= 0 && ps[i].state < 4 ? state_names[ps[i].state] : "?",
		       ps[i].name);
	return 0;
}

static int cmd_dmesg(int argc, char **argv)
{
	char line[300];

	(void)argc, (void)argv;
	for (unsigned long seq = 0;; seq++) {
		long n = keel_dmesg(seq, line, sizeof(line) - 1);

		if (n == 0)
			break;
		if (n < 0)
			continue;	/* older than the ring keeps */
		line[n] = '\0';
		printf("%s", line);
	}
	return 0;
}

static int cmd_ls(int argc, char **argv)
{
	struct keel_dirent e;

	(void)argc, (void)argv;
	for (unsigned long i = 0; keel_initrd_list(i, &e) == 1; i++) {
		const char *type = (e.mode & 0170000) == 0040000 ? "d" :
				   (e.mode & 0170000) == 0120000 ? "l" : "-";

		printf("%s %8lu /%s\n", type, e.size, e.name[0] == '.' && e.name[1] == '/' ?
			   e.name + 2 : e.name);
	}
	return 0;
}

static int cmd_cat(int argc, char **argv)
{
	char buf[512];

	for (int i = 1; i < argc; i++) {
		size_t off = 0;
		long n;

		while ((n = keel_initrd_read(argv[i], buf, sizeof(buf), off)) > 0) {
			keel_write(1, buf, (size_t)n);
			off += (size_t)n;
		}
		if (n < 0)
			printf("cat: %s: %s\n", argv[i], keel_strerror(n));
	}
	return 0;
}

static int cmd_uptime(int argc, char **argv)
{
	uint64_t ns = keel_time_ns();

	(void)argc, (void)argv;
	printf("up %llu.%06llu s\n", (unsigned long long)(ns / 1000000000),
	       (unsigned long long)(ns % 1000000000 / 1000));
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	long pid;
	int status = 0;

	if (argc < 2)
		return printf("run: which program?\n"), 1;
	pid = keel_spawn(argv[1], argv + 1, environ);
	if (pid < 0)
		return printf("%s: %s\n", argv[1], keel_strerror(pid)), 1;
	if (keel_wait(pid, &status) < 0)
		return printf("run: lost pid %ld\n", pid), 1;
	if (status)
		printf("%s: exit status %d%s\n", argv[1], status,
		       status & 0x100 ? " (killed by a fault)" : "");
	return status;
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc, (void)argv;
	keel_reboot(control(), KEEL_REBOOT_POWEROFF);
	return 1;
}

static int cmd_reboot(int argc, char **argv)
{
	(void)argc, (void)argv;
	keel_reboot(control(), KEEL_REBOOT_RESTART);
	return 1;
}

static int cmd_exit(int argc, char **argv)
{
	exit(argc > 1 ? atoi(argv[1]) : 0);
}

static const struct {
	const char *name, *help;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "help", "this list", cmd_help },
	{ "echo", "print the words", cmd_echo },
	{ "ps", "tasks: pid, parent, hart, state, name", cmd_ps },
	{ "dmesg", "the kernel log", cmd_dmesg },
	{ "ls", "the initramfs", cmd_ls },
	{ "cat", "print initramfs files", cmd_cat },
	{ "uptime", "time since reset", cmd_uptime },
	{ "run", "run a program (or type its /path)", cmd_run },
	{ "poweroff", "power off", cmd_poweroff },
	{ "reboot", "restart", cmd_reboot },
	{ "exit", "leave the shell", cmd_exit },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-9s %s\n", cmds[i].name, cmds[i].help);
	return 0;
}

/* Read a line, echoing it; backspace edits. */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		char c;

		if (keel_read(0, &c, 1) != 1)
			return -1;
		if (c == '\r' || c == '\n') {
			keel_write(1, "\n", 1);
			buf[n] = '\0';
			return (int)n;
		}
		if ((c == 0x7f || c == '\b') && n) {
			n--;
			keel_write(1, "\b \b", 3);
			continue;
		}
		if (c >= ' ' && n + 1 < size) {
			buf[n++] = c;
			keel_write(1, &c, 1);
		}
	}
}

int main(void)
{
	char line[LINE_MAX_LEN];

	printf("Keel shell. Type help for the commands.\n");
	for (;;) {
		char *argv[ARGS_MAX + 2], *save;
		int argc = 0;
		unsigned int i;

		printf("# ");
		fflush(stdout);
		if (read_line(line, sizeof(line)) < 0)
			return 0;
		for (char *w = strtok_r(line, " \t", &save); w && argc < ARGS_MAX;
		     w = strtok_r(NULL, " \t", &save))
			argv[argc++] = w;
		argv[argc] = NULL;
		if (!argc)
			continue;
		if (argv[0][0] == '/') {
			memmove(argv + 1, argv, (size_t)(argc + 1) * sizeof(argv[0]));
			argv[0] = "run";
			argc++;
		}
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			if (!strcmp(argv[0], cmds[i].name)) {
				cmds[i].fn(argc, argv);
				break;
			}
		}
		if (i == sizeof(cmds) / sizeof(cmds[0]))
			printf("%s: unknown command (try help)\n", argv[0]);
	}
}
