/*
 * init.c - pid 1. Runs the initcalls of /etc/initcalls level by level
 * (early, core, postcore, arch, subsys, fs, device, late), as Linux runs
 * its initcalls, but each one a user-level server; then says
 * "init: ready" and runs the shell, /bin/sh. When the shell ends, init
 * powers the machine off.
 *
 * /etc/initcalls: one server a line, "level name binary [args...]";
 * '#' starts a comment. The servers of one level start together (the
 * core spreads them over the harts); the level ends when each has
 * returned, and its return code is what Linux's initcall_debug prints.
 * (Servers that stay up and report "ready" over IPC come with IPC.)
 *
 * From the core, in the environment: initcall_debug=1 and
 * initcall_blacklist=a,b (the kernel command line's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define INITCALLS_PATH	"/etc/initcalls"
#define MAX_CALLS	64
#define MAX_ARGS	16
#define TABLE_MAX	8192

static const char *const levels[] = {
	"early", "core", "postcore", "arch", "subsys", "fs", "device", "late",
};

struct initcall {
	int level;
	char *name, *path;
	char *argv[MAX_ARGS + 1];
	long pid;
	uint64_t t0;
};

static char table[TABLE_MAX];
static struct initcall calls[MAX_CALLS];
static int ncalls;
static int debug;
static const char *blacklist;

static int level_of(const char *word)
{
	for (unsigned int i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (!strcmp(word, levels[i]))
			return (int)i;
	return -1;
}

static int blacklisted(const char *name)
{
	size_t n = strlen(name);

	for (const char *p = blacklist; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/* Parse the table in place; a bad line is reported and skipped. */
static void parse_table(void)
{
	int lineno = 0;

	for (char *line = table, *next; line && *line; line = next) {
		char *word, *save;
		struct initcall *c = &calls[ncalls];
		int n = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (strchr(line, '#'))
			*strchr(line, '#') = '\0';
		word = strtok_r(line, " \t", &save);
		if (!word)
			continue;
		if (ncalls == MAX_CALLS) {
			printf("init: %s:%d: more than %d servers; rest ignored\n", INITCALLS_PATH,
			       lineno, MAX_CALLS);
			return;
		}
		c->level = level_of(word);
		c->name = strtok_r(NULL, " \t", &save);
		c->path = strtok_r(NULL, " \t", &save);
		if (c->level < 0 || !c->name || !c->path) {
			printf("init: %s:%d: want \"level name binary [args]\"; skipped\n",
			       INITCALLS_PATH, lineno);
			continue;
		}
		c->argv[n++] = c->path;
		while (n < MAX_ARGS && (word = strtok_r(NULL, " \t", &save)))
			c->argv[n++] = word;
		c->argv[n] = NULL;
		ncalls++;
	}
}

static void run_level(int level)
{
	for (int i = 0; i < ncalls; i++) {
		struct initcall *c = &calls[i];

		c->pid = 0;
		if (c->level != level)
			continue;
		if (blacklisted(c->name)) {
			printf("initcall %s blacklisted\n", c->name);
			continue;
		}
		c->t0 = keel_time_ns();
		c->pid = keel_spawn(c->path, c->argv, environ);
		if (c->pid < 0) {
			printf("init: cannot start %s (%s): %s\n", c->name, c->path,
			       keel_strerror(c->pid));
			continue;
		}
		if (debug)
			printf("calling  %s @ %ld\n", c->name, c->pid);
	}
	for (int i = 0; i < ncalls; i++) {
		struct initcall *c = &calls[i];
		int status = 0;

		if (c->level != level || c->pid <= 0)
			continue;
		if (keel_wait(c->pid, &status) < 0)
			status = -1;
		if (debug)
			printf("initcall %s returned %d after %llu usecs\n", c->name, status,
			       (unsigned long long)((keel_time_ns() - c->t0) / 1000));
		else if (status)
			printf("init: %s returned %d\n", c->name, status);
	}
}

int main(int argc, char **argv, char **envp)
{
	long n = keel_initrd_read(INITCALLS_PATH, table, sizeof(table) - 1, 0);
	char *shell_argv[] = { "/bin/sh", NULL };
	long pid;
	int status;

	(void)envp;
	debug = getenv("initcall_debug") != NULL;
	blacklist = getenv("initcall_blacklist");
	printf("init: Keel init, pid %d, %d argument%s:", keel_getpid(), argc - 1,
	       argc == 2 ? "" : "s");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\ninit: environment:");
	for (char **e = environ; *e; e++)
		printf(" %s", *e);
	printf("\n");
	if (n < 0)
		printf("init: no %s (%s): no initcalls\n", INITCALLS_PATH, keel_strerror(n));
	else
		table[n] = '\0', parse_table();
	for (unsigned int level = 0; level < sizeof(levels) / sizeof(levels[0]); level++)
		run_level((int)level);
	printf("init: ready\n");

	pid = keel_spawn("/bin/sh", shell_argv, environ);
	if (pid < 0) {
		printf("init: no shell (/bin/sh: %s); powering off\n", keel_strerror(pid));
	} else {
		keel_wait(pid, &status);
		printf("init: the shell exited (%d); powering off\n", status);
	}
	keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	return 1;
}
