/*
 * sh.c - a small shell on the console: builtins to look at the system
 * (ps, dmesg, harts, free, uptime), to use the file system (ls, cat,
 * echo > file, mkdir, rm, sync: through the fs server, or the initramfs
 * alone when there is none), to run and kill programs, to take harts
 * offline and online, and to end the run. A line is a command and its
 * words; "run" is implied for a path; "> file" or ">> file" after echo
 * writes its words to a file.
 *
 * The line editor speaks what a VT100-like terminal sends: arrows, Home,
 * End, Delete as ESC [ sequences, and the Emacs control keys bash has
 * (Ctrl-A/E/B/F/U/W/K/P/N). The shell reads the console itself (not
 * through stdin's buffer), so that it sees a Ctrl-C typed while the
 * program it waits for runs. The console server redraws the prompt and
 * the line after output from elsewhere (servers/console/console.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "keel.h"
#include "proto.h"

#define LINE_MAX_LEN 256
#define ARGS_MAX     16
#define PS_MAX	     1024
#define HIST_MAX     32	   /* lines the arrow keys go back through */
#define POLL_US	     20000 /* how often a waiting shell looks for Ctrl-C */
#define PROMPT	     "# "

/* ASCII control keys: Ctrl-<letter> is the letter's code minus 0x40. */
#define CTRL(c) ((c) - '@')
#define KEY_ESC 0x1b
#define KEY_DEL 0x7f

static const char *const state_names[] = { "R", "Q", "S", "Z" };

static int cmd_help(int argc, char **argv);

/* The control handle: init's own when the shell is pid 1, else the one init gave. */
static long control(void)
{
	return keel_getpid() == 1 ? KEEL_H_INIT_CONTROL : PROTO_H_SHELL_CONTROL;
}

#define PATH_LEN FS_PATH_MAX

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

/*
 * @s as a whole decimal (or 0x hex) number from @min to @max, in @out.
 * NULL when it is one, else why not: every command that takes a number
 * refuses anything else with the reason, and does nothing.
 */
static const char *parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*s || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return "not a number";
	v = strtol(s, &end, 0);
	if (*end)
		return "not a number";
	if (v < min || v > max)
		return "out of range";
	*out = v;
	return NULL;
}

static int cmd_echo(int argc, char **argv)
{
	char text[LINE_MAX_LEN + 2], path[PATH_LEN];
	int n = argc, flags = FS_O_CREATE | FS_O_TRUNC;
	size_t len = 0;
	long err;

	/* "echo words > file" or ">> file": the last two words. */
	if (!strcmp(argv[argc - 1], ">") || !strcmp(argv[argc - 1], ">>"))
		return printf("echo: %s: missing file name\n", argv[argc - 1]), 1;
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
	/* PAGES, OBJS, KIDS: what the task and its descendants use, of their limit. */
	printf("  PID  PPID HART S   PAGES/LIMIT   OBJS/LIMIT KIDS/LIMIT NAME\n");
	for (long i = 0; i < n; i++) {
		const unsigned long *u = ps[i].used, *l = ps[i].limit;

		printf("%5d %5d %4d %s", ps[i].pid, ps[i].ppid, ps[i].hart,
		       ps[i].state >= 0 && ps[i].state < 4 ? state_names[ps[i].state] : "?");
		if (l[KEEL_LIMIT_TASKS]) /* a user task; kernel tasks have no limits */
			printf(" %6lu/%-6lu %5lu/%-5lu %4lu/%-4lu", u[KEEL_LIMIT_PAGES],
			       l[KEEL_LIMIT_PAGES], u[KEEL_LIMIT_OBJECTS], l[KEEL_LIMIT_OBJECTS],
			       u[KEEL_LIMIT_TASKS] - 1, l[KEEL_LIMIT_TASKS] - 1);
		else
			printf(" %13s %11s %9s", "-", "-", "-");
		printf(" %s\n", ps[i].name);
	}
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
			continue; /* older than the ring keeps */
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
		const char *type = (e.mode & 0170000) == 0040000   ? "d"
				   : (e.mode & 0170000) == 0120000 ? "l"
								   : "-";

		printf("%s %8lu /%s\n", type, e.size,
		       e.name[0] == '.' && e.name[1] == '/' ? e.name + 2 : e.name);
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
	for (unsigned int i = 0; n == 1; n = fs_readdir(dir, ++i, name, sizeof(name), &mode, &size))
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
	printf("largest free block %lu KiB, %lu KiB in hart caches, %lu KiB of kernel objects\n",
	       m.largest / 1024, m.cached / 1024, m.objects / 1024);
	printf("free blocks by size (KiB):");
	for (unsigned int o = 0; o < KEEL_MEMINFO_ORDERS; o++)
		if (m.free_blocks[o])
			printf(" %lu:%lu", m.page_size / 1024 << o, m.free_blocks[o]);
	printf("\n");
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

/* The cpu (Keel's index, 0 = the boot hart) of hart @hartid; -1 if none. */
static long hart_cpu(long hartid)
{
	static struct keel_hart h[256];
	long n = keel_harts(h, sizeof(h) / sizeof(h[0]));

	for (long i = 0; i < n; i++)
		if ((long)h[i].hartid == hartid)
			return h[i].cpu;
	return -1;
}

static int cmd_hart(int argc, char **argv)
{
	const char *why;
	long hartid, cpu, err;
	int on;

	if (argc != 3 || (strcmp(argv[1], "online") && strcmp(argv[1], "offline")))
		return printf("usage: hart online|offline HARTID\n"), 1;
	on = !strcmp(argv[1], "online");
	why = parse_num(argv[2], 0, 0x7fffffff, &hartid);
	if (why)
		return printf("hart %s %s: %s\n", argv[1], argv[2], why), 1;
	cpu = hart_cpu(hartid);
	if (cpu < 0)
		return printf("hart %s %s: no such hart (see harts)\n", argv[1], argv[2]), 1;
	if (cpu == 0)
		return printf("hart %s %s: the boot hart; it stays online\n", argv[1], argv[2]), 1;
	err = keel_hart_ctl(control(), (unsigned long)hartid, on);
	if (err)
		return printf("hart %s %s: %s\n", argv[1], argv[2], keel_strerror(err)), 1;
	printf("hart %ld: %s\n", hartid, on ? "online" : "offline");
	return 0;
}

static int cmd_kill(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2)
		return printf("usage: kill PID...\n"), 1;
	for (int i = 1; i < argc; i++) {
		const char *why;
		long pid, err;

		why = parse_num(argv[i], 1, 0x7fffffff, &pid);
		err = why ? 0 : keel_kill(control(), pid);
		if (why)
			printf("kill: %s: %s\n", argv[i], why);
		else if (err == -KEEL_ENOENT)
			printf("kill: %s: no such process\n", argv[i]);
		else if (err)
			printf("kill: %s: %s\n", argv[i], keel_strerror(err));
		rc |= why || err;
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
	pid = err < 0 ? err
	      : (uint64_t)err != size
		      ? -KEEL_EIO
		      : keel_spawn_mem(mem, argv, environ, h, keel_getpid() == 1 ? 0 : 1);
	keel_handle_close(mem);
	return pid;
}

/* --- the console, read by the shell itself ---------------------------------- */

static char in_buf[256]; /* typed, not yet used: in_buf[in_pos..in_len) */
static size_t in_pos, in_len;

/* Add what was typed to in_buf; @wait: until something was. Bytes added, or < 0. */
static long in_fill(int wait)
{
	long n;

	fflush(stdout); /* the prompt shows before we wait */
	if (in_pos == in_len)
		in_pos = in_len = 0;
	if (in_len == sizeof(in_buf))
		return 0;
	n = keel_tty_read(in_buf + in_len, sizeof(in_buf) - in_len, wait);
	if (n > 0)
		in_len += (size_t)n;
	return n;
}

/* The next typed byte; EOF when there is no console to read. */
static int sh_getc(void)
{
	if (in_pos == in_len && in_fill(1) <= 0)
		return EOF;
	return (unsigned char)in_buf[in_pos++];
}

/* Was Ctrl-C typed since we last looked? It and what came before it are dropped. */
static int ctrl_c_typed(void)
{
	in_fill(0);
	for (size_t i = in_pos; i < in_len; i++) {
		if (in_buf[i] == CTRL('C')) {
			in_pos = i + 1;
			return 1;
		}
	}
	return 0;
}

/* A program started with & ended: say so. */
static void report_background(long pid, int status)
{
	printf("[%ld] done, exit status %d\n", pid, status);
}

/* Before a prompt: the background programs that ended. */
static void reap_background(void)
{
	int status;
	long pid;

	while ((pid = keel_wait_any(&status, KEEL_WNOHANG)) > 0)
		report_background(pid, status);
}

enum { WAIT_DONE, WAIT_INTERRUPTED, WAIT_LOST };

/* Wait for the foreground program @pid; a Ctrl-C kills it. Its status in @status. */
static int wait_foreground(long pid, int *status)
{
	int interrupted = 0;

	for (;;) {
		long r = keel_wait_any(status, KEEL_WNOHANG);

		if (r == pid)
			return interrupted ? WAIT_INTERRUPTED : WAIT_DONE;
		if (r < 0)
			return WAIT_LOST;
		if (r > 0) {
			report_background(r, *status);
			continue;
		}
		if (!interrupted && ctrl_c_typed()) {
			printf("^C\n");
			fflush(stdout);
			interrupted = !keel_kill(control(), pid);
		}
		keel_sleep_us(POLL_US);
	}
}

static int cmd_run(int argc, char **argv)
{
	long pid;
	int status = 0, background = !strcmp(argv[argc - 1], "&");

	if (background)
		argv[--argc] = NULL; /* "run prog args &": start it and go on */
	if (argc < 2)
		return printf("run: which program?\n"), 1;
	/* The child finds the servers through init, as we do: our slot 0 is its slot 0. */
	long h = PROTO_H_PARENT;

	pid = keel_getpid() == 1 ? keel_spawn(argv[1], argv + 1, environ)
				 : keel_spawn_h(argv[1], argv + 1, environ, &h, 1);
	if (pid == -KEEL_ENOENT)
		pid = run_from_fs(argv + 1, &h);
	if (pid < 0)
		return printf("%s: %s\n", argv[1], keel_strerror(pid)), 1;
	if (background)
		return printf("[%ld] %s\n", pid, argv[1]), 0;
	switch (wait_foreground(pid, &status)) {
	case WAIT_LOST:
		return printf("run: lost pid %ld\n", pid), 1;
	case WAIT_INTERRUPTED:
		printf("%s: killed by Ctrl-C\n", argv[1]);
		return status;
	}
	if (status)
		printf("%s: exit status %d%s\n", argv[1], status,
		       status & 0x100 ? " (killed by a fault)" : "");
	return status;
}

static int cmd_poweroff(int argc, char **argv)
{
	(void)argc, (void)argv;
	(void)fs_sync_final(); /* as an unmount would: the disk left clean */
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
	const char *why;
	long code = 0;

	if (argc > 2)
		return printf("usage: exit [STATUS]\n"), 1;
	why = argc > 1 ? parse_num(argv[1], 0, 255, &code) : NULL;
	if (why)
		return printf("exit: %s: %s (0 to 255)\n", argv[1], why), 1;
	exit((int)code);
}

static const struct {
	const char *name, *help;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "help", "this list", cmd_help },
	{ "echo", "print the words (> file, >> file: write them there)", cmd_echo },
	{ "ps", "tasks: pid, parent, hart, state, use/limits, name", cmd_ps },
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
	{ "run", "run a program (or type its /path); & at the end: in the background", cmd_run },
	{ "poweroff", "power off", cmd_poweroff },
	{ "reboot", "restart", cmd_reboot },
	{ "exit", "leave the shell (or Ctrl-D at an empty line)", cmd_exit },
};

static int cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-9s %s\n", cmds[i].name, cmds[i].help);
	return 0;
}

/* --- the line editor ------------------------------------------------------- */

struct line {
	char buf[LINE_MAX_LEN];
	size_t len, pos; /* bytes in buf; the cursor, 0..len */
};

static char history[HIST_MAX][LINE_MAX_LEN];
static unsigned int hist_count; /* lines ever added; the newest is hist_count - 1 */

static void history_add(const char *s)
{
	if (!*s || (hist_count && !strcmp(history[(hist_count - 1) % HIST_MAX], s)))
		return;
	snprintf(history[hist_count % HIST_MAX], LINE_MAX_LEN, "%s", s);
	hist_count++;
}

/* Move the cursor @n columns: right if @n > 0 (ESC [ n C), left if < 0 (ESC [ n D). */
static void cursor_move(long n)
{
	if (n)
		printf("\033[%ld%c", n > 0 ? n : -n, n > 0 ? 'C' : 'D');
}

/* Show the whole line again and put the cursor back where it is. */
static void line_redraw(const struct line *l)
{
	printf("\r" PROMPT "%.*s\033[K", (int)l->len, l->buf);
	cursor_move((long)l->pos - (long)l->len);
}

static void line_set(struct line *l, const char *s)
{
	l->len = l->pos = (size_t)snprintf(l->buf, sizeof(l->buf), "%s", s);
	if (l->len >= sizeof(l->buf))
		l->len = l->pos = sizeof(l->buf) - 1;
	line_redraw(l);
}

/* Delete buf[from..to) and redraw. */
static void line_cut(struct line *l, size_t from, size_t to)
{
	memmove(l->buf + from, l->buf + to, l->len - to);
	l->len -= to - from;
	l->pos = from;
	line_redraw(l);
}

static void line_insert(struct line *l, char c)
{
	if (l->len + 1 >= sizeof(l->buf))
		return;
	memmove(l->buf + l->pos + 1, l->buf + l->pos, l->len - l->pos);
	l->buf[l->pos++] = c;
	l->len++;
	if (l->pos == l->len)
		putchar(c);
	else
		line_redraw(l);
}

/* Up (@dir -1) or down (+1) the history; *at: the line shown (hist_count: the new one). */
static void line_history(struct line *l, unsigned int *at, int dir, char *saved)
{
	unsigned int oldest = hist_count > HIST_MAX ? hist_count - HIST_MAX : 0;

	if ((dir < 0 && *at == oldest) || (dir > 0 && *at == hist_count))
		return;
	if (*at == hist_count) {
		memcpy(saved, l->buf, l->len);
		saved[l->len] = '\0';
	}
	*at = (unsigned int)((int)*at + dir);
	line_set(l, *at == hist_count ? saved : history[*at % HIST_MAX]);
}

enum key {
	KEY_NONE = 0x100,
	KEY_UP,
	KEY_DOWN,
	KEY_LEFT,
	KEY_RIGHT,
	KEY_HOME,
	KEY_END,
	KEY_DELETE,
};

/* After ESC: ESC [ A..D / H / F, ESC [ 1~ 3~ 4~ 7~ 8~, ESC O H / F. */
static int read_escape(void)
{
	int c = sh_getc(), num = 0;

	if (c != '[' && c != 'O')
		return KEY_NONE;
	for (c = sh_getc(); c >= '0' && c <= '9'; c = sh_getc())
		num = num * 10 + c - '0';
	switch (c) {
	case 'A':
		return KEY_UP;
	case 'B':
		return KEY_DOWN;
	case 'C':
		return KEY_RIGHT;
	case 'D':
		return KEY_LEFT;
	case 'H':
		return KEY_HOME;
	case 'F':
		return KEY_END;
	case '~':
		if (num == 1 || num == 7)
			return KEY_HOME;
		if (num == 4 || num == 8)
			return KEY_END;
		return num == 3 ? KEY_DELETE : KEY_NONE;
	}
	return KEY_NONE;
}

enum { LINE_OK, LINE_EOF, LINE_CANCEL };

/* Read and edit one line into @l (NUL-terminated); LINE_EOF: Ctrl-D at an empty line. */
static int read_line(struct line *l)
{
	static char saved[LINE_MAX_LEN]; /* the new line, while the history shows */
	unsigned int at = hist_count;
	size_t p;

	l->len = l->pos = 0;
	for (;;) {
		int c = sh_getc();

		if (c == KEY_ESC)
			c = read_escape();
		switch (c) {
		case EOF:
			return LINE_EOF;
		case '\r':
		case '\n':
			l->buf[l->len] = '\0';
			putchar('\n');
			return LINE_OK;
		case CTRL('C'):
			printf("^C\n");
			return LINE_CANCEL;
		case CTRL('D'):
			if (!l->len) {
				printf("exit\n");
				return LINE_EOF;
			}
			/* Delete under the cursor, as bash does. */
			__attribute__((fallthrough));
		case KEY_DELETE:
			if (l->pos < l->len)
				line_cut(l, l->pos, l->pos + 1);
			break;
		case KEY_DEL:
		case '\b':
			if (l->pos == l->len && l->pos) {
				l->len = --l->pos;
				fputs("\b \b", stdout);
			} else if (l->pos) {
				line_cut(l, l->pos - 1, l->pos);
			}
			break;
		case CTRL('B'):
		case KEY_LEFT:
			if (l->pos)
				l->pos--, cursor_move(-1);
			break;
		case CTRL('F'):
		case KEY_RIGHT:
			if (l->pos < l->len)
				l->pos++, cursor_move(1);
			break;
		case CTRL('A'):
		case KEY_HOME:
			cursor_move(-(long)l->pos);
			l->pos = 0;
			break;
		case CTRL('E'):
		case KEY_END:
			cursor_move((long)(l->len - l->pos));
			l->pos = l->len;
			break;
		case CTRL('U'):
			line_cut(l, 0, l->pos);
			break;
		case CTRL('K'):
			l->len = l->pos;
			printf("\033[K");
			break;
		case CTRL('W'):
			for (p = l->pos; p && l->buf[p - 1] == ' '; p--)
				;
			for (; p && l->buf[p - 1] != ' '; p--)
				;
			line_cut(l, p, l->pos);
			break;
		case CTRL('P'):
		case KEY_UP:
			line_history(l, &at, -1, saved);
			break;
		case CTRL('N'):
		case KEY_DOWN:
			line_history(l, &at, 1, saved);
			break;
		default:
			if (c >= ' ' && c < KEY_DEL)
				line_insert(l, (char)c);
		}
		fflush(stdout);
	}
}

int main(void)
{
	static struct line line;

	printf("Keel shell. Type help for the commands.\n");
	for (;;) {
		char *argv[ARGS_MAX + 2], *save;
		int argc = 0, got;
		unsigned int i;

		reap_background();
		printf(PROMPT);
		fflush(stdout);
		got = read_line(&line);
		if (got == LINE_EOF)
			return 0;
		if (got == LINE_CANCEL)
			continue;
		history_add(line.buf);
		for (char *w = strtok_r(line.buf, " \t", &save); w && argc < ARGS_MAX;
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
