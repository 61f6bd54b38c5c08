/*
 * init.c - pid 1. Runs the servers of /etc/initcalls level by level
 * (early, core, postcore, arch, subsys, fs, device, late), as Linux runs
 * its initcalls, but each one a user-level server; says "init: ready";
 * runs the shell, /bin/sh; and then serves names and restarts servers
 * for as long as the machine runs. When the shell ends, init powers the
 * machine off.
 *
 * /etc/initcalls: one server a line,
 *
 *	level  name  restart  grants  binary  [arguments...]
 *
 * restart is "no", "on-failure" or "always"; grants is "-" or a comma
 * list of what init hands the server besides its endpoint: "devices"
 * (the control handle's device right: MMIO, IRQs, the console), "fdt"
 * (the device tree, read-only). '#' starts a comment.
 *
 * Each server gets a send handle to init's endpoint in slot 0
 * (PROTO_H_PARENT), then its grants. The servers of a level start
 * together (the core spreads them over the harts); the level ends when
 * each has reported PROTO_READY on the endpoint, or exited (its status is
 * what Linux's initcall_debug calls the return code), or missed the
 * deadline. The endpoint also keeps the names servers register and
 * answers PROTO_LOOKUP, so clients find servers, and find them again
 * after a restart.
 *
 * From the core, in the environment: initcall_debug=1,
 * initcall_blacklist=a,b and initcall_timeout=<ms> (the kernel command
 * line's), and every other name=value word of it.
 *
 * Environments: a server gets only the strings of server_env (none of
 * the command line's words but initcall_debug), so no word of the
 * command line can keep a server from starting; the shell gets init's
 * environment less what spawn would refuse (said once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "proto.h"

#define INITCALLS_PATH	"/etc/initcalls"
#define MAX_CALLS	64
#define MAX_ARGS	16
#define MAX_NAMES	64
#define TABLE_MAX	8192
#define LEVEL_TIMEOUT_MS 5000	/* what a server may take to report ready */
#define MAX_RESTARTS	5	/* then init gives up on it */
#define CHILD_EXITED	1UL	/* the child notification's bit */

/* The strings of init's environment a server gets, by name. */
static const char *const server_env_names[] = { "HOME", "TERM", "initcall_debug" };

static const char *const levels[] = {
	"early", "core", "postcore", "arch", "subsys", "fs", "device", "late",
};

enum restart { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

enum state { IDLE, STARTING, UP, DONE };

struct initcall {
	int level;
	char *name, *path;
	enum restart restart;
	int grant_devices, grant_fdt;
	char *argv[MAX_ARGS + 1];
	long pid;
	enum state state;
	int restarts;
	uint64_t t0;
};

struct name {
	char name[PROTO_NAME_MAX + 1];
	long handle;		/* init's send handle to the server; -1: a free entry */
	long pid;		/* who registered it */
};

static char table[TABLE_MAX];
static struct initcall calls[MAX_CALLS];
static int ncalls;
static struct name names[MAX_NAMES];
static int debug;
static const char *blacklist;
static unsigned int level_timeout_ms = LEVEL_TIMEOUT_MS;
static long ep = -1;			/* init's endpoint: ready, names */
static char *server_env[sizeof(server_env_names) / sizeof(server_env_names[0]) + 1];
static long shell_pid = -1;

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

static int parse_restart(const char *word, enum restart *r)
{
	if (!strcmp(word, "no"))
		*r = RESTART_NO;
	else if (!strcmp(word, "on-failure"))
		*r = RESTART_ON_FAILURE;
	else if (!strcmp(word, "always"))
		*r = RESTART_ALWAYS;
	else
		return -1;
	return 0;
}

static int parse_grants(char *word, struct initcall *c)
{
	char *save;

	if (!strcmp(word, "-"))
		return 0;
	for (char *g = strtok_r(word, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
		if (!strcmp(g, "devices"))
			c->grant_devices = 1;
		else if (!strcmp(g, "fdt"))
			c->grant_fdt = 1;
		else
			return -1;
	}
	return 0;
}

/* Parse the table in place; a bad line is reported and skipped. */
static void parse_table(void)
{
	int lineno = 0;

	for (char *line = table, *next; line && *line; line = next) {
		char *word, *save, *restart, *grants;
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
		memset(c, 0, sizeof(*c));
		c->level = level_of(word);
		c->name = strtok_r(NULL, " \t", &save);
		restart = strtok_r(NULL, " \t", &save);
		grants = strtok_r(NULL, " \t", &save);
		c->path = strtok_r(NULL, " \t", &save);
		if (c->level < 0 || !c->path || parse_restart(restart, &c->restart) ||
		    parse_grants(grants, c)) {
			printf("init: %s:%d: want \"level name restart grants binary [args]\"; "
			       "skipped\n", INITCALLS_PATH, lineno);
			continue;
		}
		c->argv[n++] = c->path;
		while (n < MAX_ARGS && (word = strtok_r(NULL, " \t", &save)))
			c->argv[n++] = word;
		c->argv[n] = NULL;
		ncalls++;
	}
}

static uint64_t usecs_since(uint64_t t0)
{
	return (keel_time_ns() - t0) / 1000;
}

/* Start @c with its handles; 0, or the error (said). */
static long start(struct initcall *c)
{
	long h[3];
	unsigned long n = 0;

	h[n++] = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (c->grant_devices)
		h[n++] = keel_handle_dup(KEEL_H_INIT_CONTROL,
					 KEEL_R_DEVICES | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (c->grant_fdt)
		h[n++] = KEEL_H_INIT_FDT;
	c->t0 = keel_time_ns();
	c->pid = keel_spawn_h(c->path, c->argv, server_env, h, n);
	keel_handle_close(h[0]);
	if (c->grant_devices)
		keel_handle_close(h[1]);
	if (c->pid < 0) {
		printf("init: cannot start %s (%s): %s\n", c->name, c->path,
		       keel_strerror(c->pid));
		c->state = DONE;
		return c->pid;
	}
	c->state = STARTING;
	if (debug)
		printf("calling  %s @ %ld\n", c->name, c->pid);
	return 0;
}

static struct initcall *call_of_pid(long pid)
{
	for (int i = 0; i < ncalls; i++)
		if (calls[i].pid == pid && calls[i].state != IDLE)
			return &calls[i];
	return NULL;
}

/* A starting server is done starting: ready (0), exited (its status) or late. */
static void started(struct initcall *c, long rc)
{
	if (debug)
		printf("initcall %s returned %ld after %llu usecs\n", c->name, rc,
		       (unsigned long long)usecs_since(c->t0));
	else if (rc)
		printf("init: %s returned %ld\n", c->name, rc);
}

static void forget_names(long pid)
{
	for (int i = 0; i < MAX_NAMES; i++) {
		if (names[i].handle < 0 || names[i].pid != pid)
			continue;
		keel_handle_close(names[i].handle);
		names[i].handle = -1;
	}
}

static long register_name(const unsigned long w[4], long handle, long pid)
{
	char name[PROTO_NAME_MAX + 1];
	struct name *free_slot = NULL;

	proto_name_unpack(w, name);
	if (!name[0] || handle < 0) {
		if (handle >= 0)
			keel_handle_close(handle);
		return name[0] ? -KEEL_EINVAL : 0;
	}
	for (int i = 0; i < MAX_NAMES; i++) {
		if (names[i].handle >= 0 && !strcmp(names[i].name, name)) {
			/* Another server's, while it runs: not to be taken over. */
			if (names[i].pid != pid && call_of_pid(names[i].pid)) {
				keel_handle_close(handle);
				return -KEEL_EBUSY;
			}
			/* A restarted server, or the same one again: the newest wins. */
			keel_handle_close(names[i].handle);
			names[i].handle = -1;
		}
		if (names[i].handle < 0 && !free_slot)
			free_slot = &names[i];
	}
	if (!free_slot) {
		keel_handle_close(handle);
		return -KEEL_ENOMEM;
	}
	strcpy(free_slot->name, name);
	free_slot->handle = handle;
	free_slot->pid = pid;
	return 0;
}

static long lookup_name(const unsigned long w[4])
{
	char name[PROTO_NAME_MAX + 1];

	proto_name_unpack(w, name);
	for (int i = 0; i < MAX_NAMES; i++)
		if (names[i].handle >= 0 && !strcmp(names[i].name, name))
			return names[i].handle;
	return -KEEL_ENOENT;
}

static long lookup_name_str(const char *name)
{
	unsigned long w[4];

	proto_name_pack(name, w);
	return lookup_name(w);
}

static const char *status_str(int status, char *buf, size_t size)
{
	if (status == 0x209)
		snprintf(buf, size, "killed");
	else if (status & 0x100)
		snprintf(buf, size, "crashed (cause %d)", status & 0xff);
	else
		snprintf(buf, size, "exited with %d", status);
	return buf;
}

/* Reap every child that exited; restart servers as their lines say. */
static void reap(void)
{
	int status;
	long pid;
	char why[32];

	while ((pid = keel_wait_any(&status, KEEL_WNOHANG)) > 0) {
		struct initcall *c = call_of_pid(pid);
		int failed;

		forget_names(pid);
		if (pid == shell_pid) {
			printf("init: the shell exited (%d); powering off\n", status);
			keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
		}
		if (!c)
			continue;
		failed = status != 0;
		if (c->state == STARTING) {
			started(c, status);
			c->state = DONE;
			if (!failed || c->restart == RESTART_NO)
				continue;
		}
		if (c->state == UP || c->restart == RESTART_NO)
			printf("init: %s[%ld] %s\n", c->name, pid, status_str(status, why,
									    sizeof(why)));
		c->state = DONE;
		if (c->restart == RESTART_NO || (c->restart == RESTART_ON_FAILURE && !failed))
			continue;
		if (c->restarts++ >= MAX_RESTARTS) {
			printf("init: %s: %d restarts; giving up on it\n", c->name, MAX_RESTARTS);
			continue;
		}
		printf("init: restarting %s (restart %d of %d)\n", c->name, c->restarts,
		       MAX_RESTARTS);
		start(c);
	}
}

/*
 * One message on init's endpoint (or the child notification), handled
 * and answered; waits at most @deadline_us (< 0: as long as it takes).
 */
static void serve(long deadline_us)
{
	struct keel_msg m, r = { .handle = KEEL_HANDLE_NONE };
	struct initcall *c;
	long pid = deadline_us < 0 ? keel_ipc_recv(ep, &m) :
				     keel_ipc_recv_timeout(ep, &m, (uint64_t)deadline_us);

	if (pid == -KEEL_ETIMEDOUT)
		return;
	if (pid < 0) {
		printf("init: receive: %s\n", keel_strerror(pid));
		keel_sleep_us(10000);
		return;
	}
	if (m.label == KEEL_LABEL_NOTIFY) {
		reap();
		return;
	}
	switch (m.label) {
	case PROTO_READY:
	case PROTO_REGISTER:
		/*
		 * Names come from the servers init started; REGISTER (names for
		 * others) only from those it gave the device right: devmgr.
		 */
		c = call_of_pid(pid);
		if (!c || (m.label == PROTO_REGISTER && !c->grant_devices)) {
			if (m.handle >= 0)
				keel_handle_close(m.handle);
			r.label = (unsigned long)-KEEL_EDENIED;
			break;
		}
		r.label = (unsigned long)register_name(m.w, m.handle, pid);
		if (m.label == PROTO_READY && c->state == STARTING) {
			started(c, 0);
			c->state = UP;
		}
		break;
	case PROTO_LOOKUP:
		r.handle = lookup_name(m.w);
		r.label = r.handle < 0 ? (unsigned long)r.handle : 0;
		if (r.handle < 0)
			r.handle = KEEL_HANDLE_NONE;
		if (m.handle >= 0)
			keel_handle_close(m.handle);
		break;
	default:
		r.label = (unsigned long)-KEEL_ENOSYS;
		if (m.handle >= 0)
			keel_handle_close(m.handle);
	}
	keel_ipc_reply(&r);
}

static int level_busy(int level)
{
	for (int i = 0; i < ncalls; i++)
		if (calls[i].level == level && calls[i].state == STARTING)
			return 1;
	return 0;
}

static void run_level(int level)
{
	uint64_t t0 = keel_time_ns(), limit = (uint64_t)level_timeout_ms * 1000;

	for (int i = 0; i < ncalls; i++) {
		struct initcall *c = &calls[i];

		if (c->level != level)
			continue;
		if (blacklisted(c->name)) {
			printf("initcall %s blacklisted\n", c->name);
			c->state = DONE;
			continue;
		}
		start(c);
	}
	while (level_busy(level)) {
		uint64_t spent = usecs_since(t0);

		if (spent >= limit) {
			for (int i = 0; i < ncalls; i++) {
				struct initcall *c = &calls[i];

				if (c->level != level || c->state != STARTING)
					continue;
				printf("init: %s (pid %ld) not ready after %u ms; going on\n",
				       c->name, c->pid, level_timeout_ms);
				started(c, -KEEL_ETIMEDOUT);
				c->state = UP;	/* it may still come up */
			}
			break;
		}
		serve((long)(limit - spent));
	}
}

/* server_env: the strings of ours that server_env_names allows. */
static void make_server_env(void)
{
	unsigned int n = 0;

	for (char **e = environ; *e; e++) {
		for (unsigned int i = 0; i < sizeof(server_env_names) / sizeof(server_env_names[0]);
		     i++) {
			size_t len = strlen(server_env_names[i]);

			if (!strncmp(*e, server_env_names[i], len) && (*e)[len] == '=' &&
			    strlen(*e) <= PROTO_SPAWN_STR_MAX && n < sizeof(server_env) /
			    sizeof(server_env[0]) - 1)
				server_env[n++] = *e;
		}
	}
	server_env[n] = NULL;
}

/*
 * Our environment into @envp (room for @max strings and a NULL) less what
 * spawn refuses: a string over PROTO_SPAWN_STR_MAX bytes, and what does
 * not fit its count and size; each left out is said once.
 */
static unsigned int make_shell_env(char **envp, unsigned int max)
{
	unsigned int n = 0;
	size_t bytes = 0;

	for (char **e = environ; *e; e++) {
		size_t len = strlen(*e);
		const char *eq = strchr(*e, '=');
		int namelen = eq ? (int)(eq - *e) : (int)len;

		if (len > PROTO_SPAWN_STR_MAX)
			printf("init: the shell's environment leaves out %.*s (%lu bytes; spawn "
			       "takes %d)\n", namelen, *e, (unsigned long)len, PROTO_SPAWN_STR_MAX);
		else if (n == max || bytes + len + 1 > PROTO_SPAWN_BYTES_MAX)
			printf("init: the shell's environment leaves out %.*s (more than spawn "
			       "takes: %d strings, %d bytes)\n", namelen, *e, PROTO_SPAWN_STRS_MAX,
			       PROTO_SPAWN_BYTES_MAX);
		else
			envp[n++] = *e, bytes += len + 1;
	}
	envp[n] = NULL;
	return n;
}

static void start_shell(void)
{
	char *argv[] = { "/bin/sh", NULL };
	static char *envp[PROTO_SPAWN_STRS_MAX + 1];
	unsigned int n;
	long h[2];

	/* With a console server up, the shell talks to it (libkeel reads this). */
	n = make_shell_env(envp, PROTO_SPAWN_STRS_MAX - 1);
	if (lookup_name_str("console") >= 0)
		envp[n++] = "KEEL_CONSOLE=1";
	envp[n] = NULL;

	h[0] = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	h[1] = keel_handle_dup(KEEL_H_INIT_CONTROL, KEEL_R_POWER | KEEL_R_HOTPLUG | KEEL_R_KILL |
				KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	shell_pid = keel_spawn_h("/bin/sh", argv, envp, h, 2);
	keel_handle_close(h[0]);
	keel_handle_close(h[1]);
	if (shell_pid < 0) {
		printf("init: no shell (/bin/sh: %s); powering off\n", keel_strerror(shell_pid));
		keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	}
}

int main(int argc, char **argv, char **envp)
{
	long n = keel_initrd_read(INITCALLS_PATH, table, sizeof(table) - 1, 0);
	const char *t = getenv("initcall_timeout");
	long notif;

	(void)envp;
	debug = getenv("initcall_debug") != NULL;
	blacklist = getenv("initcall_blacklist");
	if (t && atoi(t) > 0)
		level_timeout_ms = (unsigned int)atoi(t);
	printf("init: Keel init, pid %d, %d argument%s:", keel_getpid(), argc - 1,
	       argc == 2 ? "" : "s");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\ninit: environment:");
	for (char **e = environ; *e; e++)
		printf(" %s", *e);
	printf("\n");
	for (int i = 0; i < MAX_NAMES; i++)
		names[i].handle = -1;
	make_server_env();
	ep = keel_ep_create();
	notif = keel_notif_create();
	if (ep < 0 || notif < 0 || keel_ep_bind(ep, notif) || keel_child_notif(notif, CHILD_EXITED))
		printf("init: no endpoint for the servers (%s)\n", keel_strerror(ep < 0 ? ep : notif));
	if (n < 0)
		printf("init: no %s (%s): no initcalls\n", INITCALLS_PATH, keel_strerror(n));
	else
		table[n] = '\0', parse_table();
	for (unsigned int level = 0; level < sizeof(levels) / sizeof(levels[0]); level++)
		run_level((int)level);
	printf("init: ready\n");
	start_shell();
	for (;;)
		serve(-1);
}
