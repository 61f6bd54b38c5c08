/*
 * sh.c - a small shell on the console: builtins to look at the system
 * (ps, dmesg, harts, free, uptime), to use the file system (ls, cat,
 * echo > file, mkdir, rm, sync: through the fs server, or the initramfs
 * alone when there is none), to run and kill programs, to take harts
 * offline and online, and to end the run. A line is a command and its
 * words; "run" is implied for a path; "> file" or ">> file" after echo
 * writes its words to a file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
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

#define PATH_LEN	FS_PATH_MAX

/* @p as an absolute path in @out: the shell's directory is always /. */
static const char *abs_path(const char *p, char *out)
{
	snprintf(out, PATH_LEN, "%s%s", p[0] == '/' ? "" : "/", p);
	return out;
}

static int fs_error(const char *cmd, const char *path, long err)
{
	printf("%s: %s: %s\n", cmd, path, keel_strerror(err));
	return 1;
}

static int cmd_echo(int argc, char **argv)
{
	char text[LINE_MAX_LEN + 2], path[PATH_LEN];
	int n = argc, flags = FS_O_CREATE | FS_O_TRUNC;
	size_t len = 0;
	long err;

	/* "echo words > file" or ">> file": the last two words. */
	if (argc >= 3 && (!strcmp(argv[argc - 2], ">") || !strcmp(argv[argc - 2], ">>"))) {
		n = argc - 2;
		if (argv[argc - 2][1])
			flags = FS_O_CREATE | FS_O_APPEND;
	}
	for (int i = 1; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", argv[i],
					i + 1 < n ? " " : "");
	len += (size_t)snprintf(text + len, sizeof(text) - len, "\n");
	if (n == argc) {
		printf("%s", text);
		return 0;
	}
	abs_path(argv[argc - 1], path);
	err = fs_write(path, 0, text, len, flags);
	return err < 0 ? fs_error("echo", path, err) : 0;
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

/* Is there an fs server? Without one, ls and cat show the initramfs. */
static int have_fs(void)
{
	long h = keel_lookup("fs");

	if (h < 0)
		return 0;
	keel_handle_close(h);
	return 1;
}

/* The initramfs alone: the shell's view when there is no fs server. */
static int ls_initrd(void)
{
	struct keel_dirent e;

	for (unsigned long i = 0; keel_initrd_list(i, &e) == 1; i++) {
		const char *type = (e.mode & 0170000) == 0040000 ? "d" :
				   (e.mode & 0170000) == 0120000 ? "l" : "-";

		printf("%s %8lu /%s\n", type, e.size, e.name[0] == '.' && e.name[1] == '/' ?
			   e.name + 2 : e.name);
	}
	return 0;
}

static char mode_char(uint32_t mode)
{
	return (mode & 0170000) == 0040000 ? 'd' : (mode & 0170000) == 0120000 ? 'l' : '-';
}

static int cmd_ls(int argc, char **argv)
{
	char path[PATH_LEN], name[FS_PATH_MAX];
	const char *dir = abs_path(argc > 1 ? argv[1] : "/", path);
	uint32_t mode;
	uint64_t size;
	long n;

	n = fs_readdir(dir, 0, name, sizeof(name), &mode, &size);
	if (n < 0 && !have_fs())
		return ls_initrd();
	if (n < 0)
		return fs_error("ls", dir, n);
	for (unsigned int i = 0; n == 1; n = fs_readdir(dir, ++i, name, sizeof(name), &mode,
							   &size))
		printf("%c %8llu %s\n", mode_char(mode), (unsigned long long)size, name);
	return n < 0 ? fs_error("ls", dir, n) : 0;
}

static int cat_initrd(const char *path)
{
	char buf[512];
	size_t off = 0;
	long n;

	while ((n = keel_initrd_read(path, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		off += (size_t)n;
	}
	return n < 0 ? fs_error("cat", path, n) : 0;
}

static int cmd_cat(int argc, char **argv)
{
	static char buf[4096];
	char path[PATH_LEN];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		uint64_t off = 0;
		long n;

		abs_path(argv[i], path);
		while ((n = fs_read(path, off, buf, sizeof(buf))) > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			off += (uint64_t)n;
		}
		if (n < 0 && !off && !have_fs())
			rc |= cat_initrd(path);
		else if (n < 0)
			rc |= fs_error("cat", path, n);
	}
	fflush(stdout);
	return rc;
}

static int cmd_mkdir(int argc, char **argv)
{
	char path[PATH_LEN];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		long err = fs_mkdir(abs_path(argv[i], path));

		if (err)
			rc |= fs_error("mkdir", path, err);
	}
	return rc;
}

static int cmd_rm(int argc, char **argv)
{
	char path[PATH_LEN];
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		long err = fs_unlink(abs_path(argv[i], path));

		if (err)
			rc |= fs_error("rm", path, err);
	}
	return rc;
}

static int cmd_sync(int argc, char **argv)
{
	long err = fs_sync();

	(void)argc, (void)argv;
	if (err)
		return printf("sync: %s\n", keel_strerror(err)), 1;
	return 0;
}

static int cmd_free(int argc, char **argv)
{
	struct keel_meminfo m;
	long err = keel_meminfo(&m);

	(void)argc, (void)argv;
	if (err)
		return printf("free: %s\n", keel_strerror(err)), 1;
	printf("        total     used     free  (KiB)\n");
	printf("Mem: %8lu %8lu %8lu\n", m.total / 1024, (m.total - m.free) / 1024, m.free / 1024);
	return 0;
}

static int cmd_harts(int argc, char **argv)
{
	static struct keel_hart h[256];
	long n = keel_harts(h, sizeof(h) / sizeof(h[0]));

	(void)argc, (void)argv;
	if (n < 0)
		return printf("harts: %s\n", keel_strerror(n)), 1;
	printf(" HART  CPU STATE    PID NAME\n");
	for (long i = 0; i < n; i++)
		printf("%5lu %4d %-7s %4d %s\n", h[i].hartid, h[i].cpu,
		       h[i].online ? "online" : "offline", h[i].pid, h[i].online ? h[i].name : "-");
	return 0;
}

static int cmd_hart(int argc, char **argv)
{
	int on;
	long err;

	if (argc != 3 || (strcmp(argv[1], "online") && strcmp(argv[1], "offline")))
		return printf("usage: hart online|offline HARTID\n"), 1;
	on = !strcmp(argv[1], "online");
	err = keel_hart_ctl(control(), strtoul(argv[2], NULL, 0), on);
	if (err)
		return printf("hart %s %s: %s\n", argv[1], argv[2], keel_strerror(err)), 1;
	printf("hart %s: %s\n", argv[2], on ? "online" : "offline");
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return printf("usage: kill PID...\n"), 1;
	for (int i = 1; i < argc; i++) {
		long err = keel_kill(control(), strtol(argv[i], NULL, 0));

		if (err) {
			printf("kill: %s: %s\n", argv[i], keel_strerror(err));
			rc = 1;
		}
	}
	return rc;
}

static int cmd_uptime(int argc, char **argv)
{
	uint64_t ns = keel_time_ns();

	(void)argc, (void)argv;
	printf("up %llu.%06llu s\n", (unsigned long long)(ns / 1000000000),
	       (unsigned long long)(ns % 1000000000 / 1000));
	return 0;
}

/* Not in the initramfs: read the program through the fs server and run it from memory. */
static long run_from_fs(char **argv, const long *h)
{
	char path[PATH_LEN];
	uint64_t size;
	uint32_t mode;
	long err = fs_stat(abs_path(argv[0], path), &size, &mode), mem, va, pid;

	if (err)
		return err;
	if ((mode & 0170000) != 0100000 || !size || size > 16 * 1024 * 1024)
		return -KEEL_EINVAL;
	mem = keel_mem_create(size);
	if (mem < 0)
		return mem;
	va = keel_mmap(mem, 0, size, KEEL_PROT_READ | KEEL_PROT_WRITE);
	err = va < 0 ? va : fs_read(path, 0, (void *)va, size);
	if (va >= 0)
		keel_munmap((void *)va, size);
	pid = err < 0 ? err : (uint64_t)err != size ? -KEEL_EIO :
		keel_spawn_mem(mem, argv, environ, h, keel_getpid() == 1 ? 0 : 1);
	keel_handle_close(mem);
	return pid;
}

static int cmd_run(int argc, char **argv)
{
	long pid;
	int status = 0;

	if (argc < 2)
		return printf("run: which program?\n"), 1;
	/* The child finds the servers through init, as we do: our slot 0 is its slot 0. */
	long h = PROTO_H_PARENT;

	pid = keel_getpid() == 1 ? keel_spawn(argv[1], argv + 1, environ) :
				   keel_spawn_h(argv[1], argv + 1, environ, &h, 1);
	if (pid == -KEEL_ENOENT)
		pid = run_from_fs(argv + 1, &h);
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
	(void)fs_sync_final();	/* as an unmount would: the disk left clean */
	keel_reboot(control(), KEEL_REBOOT_POWEROFF);
	return 1;
}

static int cmd_reboot(int argc, char **argv)
{
	(void)argc, (void)argv;
	(void)fs_sync_final();
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
	{ "echo", "print the words (> file, >> file: write them there)", cmd_echo },
	{ "ps", "tasks: pid, parent, hart, state, name", cmd_ps },
	{ "dmesg", "the kernel log", cmd_dmesg },
	{ "ls", "list a directory (default /)", cmd_ls },
	{ "cat", "print files", cmd_cat },
	{ "mkdir", "make directories", cmd_mkdir },
	{ "rm", "remove files or empty directories", cmd_rm },
	{ "sync", "write the file systems back to their disks", cmd_sync },
	{ "uptime", "time since reset", cmd_uptime },
	{ "free", "memory: total, used, free", cmd_free },
	{ "harts", "harts: id, cpu, online, what runs there", cmd_harts },
	{ "hart", "hart online|offline HARTID", cmd_hart },
	{ "kill", "end tasks by pid", cmd_kill },
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

/* Read a line, echoing it; backspace edits. Through stdin: the console server's, once up. */
static int read_line(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		int c = getchar();

		if (c == EOF)
			return -1;
		if (c == '\r' || c == '\n') {
			putchar('\n');
			fflush(stdout);
			buf[n] = '\0';
			return (int)n;
		}
		if ((c == 0x7f || c == '\b') && n) {
			n--;
			fputs("\b \b", stdout);
		} else if (c >= ' ' && n + 1 < size) {
			buf[n++] = (char)c;
			putchar(c);
		}
		fflush(stdout);
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
