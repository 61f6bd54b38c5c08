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
 * after a restart; and it takes PROTO_SPAWN from devmgr: init starts the
 * drivers too, with the device handles their reg= and irq= name.
 *
 * Init is the one supervisor. A server that reported ready is restarted
 * every time it ends (as its line's restart says), after a backoff when
 * it ran less than RUN_STABLE_US; one that ends before ready MAX_FAILS
 * times in a row is given up on, with a line.
 *
 * From the core, in the environment: initcall_debug=1,
 * initcall_blacklist=a,b and initcall_timeout=<ms> (the kernel command
 * line's), and every other name=value word of it.
 *
 * Environments: a server gets only the strings of server_env (none of
 * the command line's words but initcall_debug), so no word of the
 * command line can keep a server from starting; the shell gets init's
 * environment less what spawn would refuse (said once).
 *
 * Limits (docs/syscalls.md, "Limits"): the shell's subtree, so every
 * program run from it, gets at most what is free when the shell starts
 * less init's reserve (RESERVE_*); the servers init restarts are charged
 * to init alone, so what a program from the shell takes never keeps a
 * killed server from coming back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grants.h"
#include "keel.h"
#include "proto.h"

#define INITCALLS_PATH	 "/etc/initcalls"
#define MAX_CALLS	 64
#define MAX_ARGS	 16
#define MAX_NAMES	 64
#define TABLE_MAX	 8192
#define LEVEL_TIMEOUT_MS 5000	  /* what a server may take to report ready */
#define MAX_FAILS	 5	  /* ends before ready in a row: then init gives up on it */
#define BACKOFF_FIRST_US 100000	  /* a server that dies soon after starting waits this, */
#define BACKOFF_MAX_US	 3200000  /* doubling up to this, before its restart; */
#define RUN_STABLE_US	 10000000 /* one that ran this long restarts at once */
#define CHILD_EXITED	 1UL	  /* the child notification's bit */
#define DRV_IRQ_BIT	 1UL	  /* proto.h's driver convention: bit 0 */
#define DRV_ARGS_MAX	 512	  /* the strings of a PROTO_SPAWN request */
#define DRV_ARGV_MAX	 16
/*
 * What init keeps back from the shell's subtree, for the servers it
 * restarts: enough for fs (its pages, DMA buffers and cache, a dozen
 * objects) with room for the core's own pages that no limit counts
 * (kernel stacks stay allocated once made).
 */
#define RESERVE_PAGES	(32UL * 1024 * 1024 / 4096) /* 32 MiB */
#define RESERVE_OBJECTS 64UL
#define RESERVE_TASKS	16UL
#define PS_SCAN		64 /* ps entries read to find ourselves */

/* The strings of init's environment a server gets, by name. */
static const char *const server_env_names[] = { "HOME", "TERM", "initcall_debug" };

static const char *const levels[] = {
	"early", "core", "postcore", "arch", "subsys", "fs", "device", "late",
};

enum restart { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS };

/* IDLE: not started; WAITING: its restart is due at restart_at. */
enum state { IDLE, STARTING, UP, WAITING, DONE };

struct initcall {
	int level;
	char *name, *path;
	enum restart restart;
	int grant_devices, grant_fdt;
	char *argv[MAX_ARGS + 1];
	long pid;
	enum state state;
	int restarts;		 /* all told */
	int fails;		 /* ends before ready, in a row */
	uint64_t backoff_us;	 /* the last restart's wait; 0: none */
	uint64_t t0, restart_at; /* started; due to start again (ns) */
	/* A driver started for devmgr (PROTO_SPAWN): its grants and strings. */
	int driver;
	long requester;
	struct keel_grant grant;
	char args[DRV_ARGS_MAX];
};

struct name {
	char name[PROTO_NAME_MAX + 1];
	long handle; /* init's send handle to the server; -1: a free entry */
	long pid;    /* who registered it */
};

static char table[TABLE_MAX];
static struct initcall calls[MAX_CALLS];
static int ncalls;
static struct name names[MAX_NAMES];
static int debug;
static const char *blacklist;
static unsigned int level_timeout_ms = LEVEL_TIMEOUT_MS;
static long ep = -1; /* init's endpoint: ready, names */
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
			       "skipped\n",
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

static uint64_t usecs_since(uint64_t t0)
{
	return (keel_time_ns() - t0) / 1000;
}

/*
 * A driver's device handles into @h (DRV_H_MMIO, then DRV_H_IRQ_NOTIF and
 * DRV_H_IRQ when it has an interrupt), fresh for each start, made from
 * our control handle; how many. An interrupt that cannot be had is said
 * and left out: the driver polls.
 */
static unsigned long driver_handles(struct initcall *c, long *h)
{
	long notif;

	h[0] = keel_mmio_create(KEEL_H_INIT_CONTROL, c->grant.pa, c->grant.size);
	if (h[0] < 0) {
		printf("init: %s: mmio 0x%llx+0x%llx: %s\n", c->name,
		       (unsigned long long)c->grant.pa, (unsigned long long)c->grant.size,
		       keel_strerror(h[0]));
		return 0;
	}
	if (c->grant.irq == KEEL_GRANT_IRQ_NONE)
		return 1;
	notif = keel_notif_create();
	h[1] = notif < 0 ? notif
			 : keel_handle_dup(notif, KEEL_R_WAIT | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	h[2] = notif < 0 ? notif
			 : keel_irq_create(KEEL_H_INIT_CONTROL, (unsigned int)c->grant.irq, notif,
					   DRV_IRQ_BIT);
	if (notif >= 0)
		keel_handle_close(notif); /* the interrupt keeps its own reference */
	if (h[1] >= 0 && h[2] >= 0)
		return 3;
	printf("init: %s: irq %ld: %s; the driver polls\n", c->name, c->grant.irq,
	       keel_strerror(h[1] < 0 ? h[1] : h[2]));
	if (h[1] >= 0)
		keel_handle_close(h[1]);
	if (h[2] >= 0)
		keel_handle_close(h[2]);
	return 1;
}

/* Start @c with its handles; 0, or the error (said). */
static long start(struct initcall *c)
{
	long h[4];
	unsigned long n = 0;

	h[n++] = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (c->grant_devices)
		h[n++] = keel_handle_dup(KEEL_H_INIT_CONTROL,
					 KEEL_R_DEVICES | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	if (c->grant_fdt)
		h[n++] = KEEL_H_INIT_FDT;
	if (c->driver)
		n += driver_handles(c, &h[n]);
	c->t0 = keel_time_ns();
	c->pid = keel_spawn_h(c->path, c->argv, server_env, h, n);
	/* The child has its copies; ours go, but for the tree, which init keeps. */
	for (unsigned long i = 0; i < n; i++)
		if (h[i] >= 0 && h[i] != KEEL_H_INIT_FDT)
			keel_handle_close(h[i]);
	if (c->pid < 0) {
		printf("init: cannot start %s (%s): %s\n", c->name, c->path, keel_strerror(c->pid));
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

/* Whether @c is to be started again after ending with @status. */
static int wants_restart(const struct initcall *c, int status)
{
	if (c->restart == RESTART_NO)
		return 0;
	return status != 0 || c->restart == RESTART_ALWAYS;
}

/*
 * @c ended: restart it, at once if it ran RUN_STABLE_US, else after a
 * wait that doubles from BACKOFF_FIRST_US up to BACKOFF_MAX_US. One that
 * never reported ready MAX_FAILS times in a row is given up on; one that
 * did is restarted every time.
 */
static void schedule_restart(struct initcall *c, int before_ready)
{
	uint64_t ran = usecs_since(c->t0);

	c->fails = before_ready ? c->fails + 1 : 0;
	if (c->fails >= MAX_FAILS) {
		printf("init: %s: ended %d times in a row before ready; giving up on it\n", c->name,
		       MAX_FAILS);
		c->state = DONE;
		return;
	}
	if (ran >= RUN_STABLE_US)
		c->backoff_us = 0;
	else if (!c->backoff_us)
		c->backoff_us = BACKOFF_FIRST_US;
	else if (c->backoff_us * 2 <= BACKOFF_MAX_US)
		c->backoff_us *= 2;
	else
		c->backoff_us = BACKOFF_MAX_US;
	c->restarts++;
	if (!c->backoff_us) {
		printf("init: restarting %s (restart %d)\n", c->name, c->restarts);
		start(c);
		return;
	}
	printf("init: restarting %s in %llu ms (restart %d)\n", c->name,
	       (unsigned long long)c->backoff_us / 1000, c->restarts);
	c->state = WAITING;
	c->restart_at = keel_time_ns() + c->backoff_us * 1000;
}

/* Start the servers whose restart wait is over. */
static void restart_due(void)
{
	uint64_t now = keel_time_ns();

	for (int i = 0; i < ncalls; i++)
		if (calls[i].state == WAITING && calls[i].restart_at <= now)
			start(&calls[i]);
}

/* Microseconds until the next restart is due; -1: none waits. */
static long next_restart_us(void)
{
	uint64_t now = keel_time_ns();
	long best = -1;

	for (int i = 0; i < ncalls; i++) {
		long us;

		if (calls[i].state != WAITING)
			continue;
		us = calls[i].restart_at <= now ? 0 : (long)((calls[i].restart_at - now) / 1000);
		if (best < 0 || us < best)
			best = us;
	}
	return best;
}

/* Reap every child that exited; restart servers as their lines say. */
static void reap(void)
{
	int status;
	long pid;
	char why[32];

	while ((pid = keel_wait_any(&status, KEEL_WNOHANG)) > 0) {
		struct initcall *c = call_of_pid(pid);
		int before_ready;

		forget_names(pid);
		if (pid == shell_pid) {
			printf("init: the shell exited (%d); powering off\n", status);
			keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
		}
		if (!c || c->state == WAITING)
			continue;
		before_ready = c->state == STARTING;
		if (before_ready)
			started(c, status); /* its returned line says how */
		else
			printf("init: %s[%ld] %s\n", c->name, pid,
			       status_str(status, why, sizeof(why)));
		c->state = DONE;
		c->pid = -1;
		if (!wants_restart(c, status) || (before_ready && !status))
			continue; /* done, or exited 0 before ready: its part is done */
		schedule_restart(c, before_ready);
	}
}

/*
 * @req's strings into @c: "<binary>\0<argv[1]>\0...", @len bytes from the
 * memory object @mem. 0 or -KEEL_E*.
 */
static long driver_args(struct initcall *c, long mem, unsigned long len)
{
	long va;
	int n = 0;

	if (mem < 0 || !len || len > DRV_ARGS_MAX)
		return -KEEL_EINVAL;
	va = keel_mmap(mem, 0, DRV_ARGS_MAX, KEEL_PROT_READ);
	if (va < 0)
		return va;
	memcpy(c->args, (const void *)va, len);
	keel_munmap((void *)va, DRV_ARGS_MAX);
	if (c->args[len - 1])
		return -KEEL_EINVAL; /* the last string is not terminated */
	for (char *p = c->args; p < c->args + len && n < DRV_ARGV_MAX; p += strlen(p) + 1)
		c->argv[n++] = p;
	c->argv[n] = NULL;
	if (n < 2 || c->argv[0][0] != '/' || keel_grant_parse(n, c->argv, &c->grant))
		return -KEEL_EINVAL; /* a binary, a node, and a good reg= at least */
	c->path = c->argv[0];
	c->name = strrchr(c->path, '/') + 1;
	return 0;
}

/* The driver started for @node already (devmgr restarted asks again), or NULL. */
static struct initcall *driver_of_node(const char *path, const char *node)
{
	for (int i = 0; i < ncalls; i++)
		if (calls[i].driver && calls[i].state != DONE && !strcmp(calls[i].path, path) &&
		    !strcmp(calls[i].argv[1], node))
			return &calls[i];
	return NULL;
}

/*
 * PROTO_SPAWN from @req (it must hold the devices grant: devmgr): start
 * the driver its strings describe, with the device handles its reg= and
 * irq= name, and supervise it as a server of @req's level. The reply's
 * label; w0 = the driver's pid.
 */
static long spawn_driver(struct initcall *req, const struct keel_msg *m, struct keel_msg *r)
{
	struct initcall *c = &calls[ncalls], *old;
	long err;

	if (!req || !req->grant_devices)
		return -KEEL_EDENIED;
	if (ncalls == MAX_CALLS)
		return -KEEL_ENOMEM;
	memset(c, 0, sizeof(*c));
	err = driver_args(c, m->handle, m->w[0]);
	if (err)
		return err;
	old = driver_of_node(c->path, c->argv[1]);
	if (old) {
		r->w[0] = (unsigned long)old->pid;
		return 0;
	}
	c->driver = 1;
	c->requester = req->pid;
	c->level = req->level;
	c->restart = RESTART_ON_FAILURE;
	c->pid = -1;
	ncalls++;
	err = start(c);
	r->w[0] = (unsigned long)c->pid;
	return err;
}

/*
 * One message on init's endpoint (or the child notification), handled
 * and answered; waits at most @deadline_us (< 0: as long as it takes).
 */
static void serve(long deadline_us)
{
	struct keel_msg m, r = { .handle = KEEL_HANDLE_NONE };
	struct initcall *c;
	long pid = deadline_us < 0 ? keel_ipc_recv(ep, &m)
				   : keel_ipc_recv_timeout(ep, &m, (uint64_t)deadline_us);

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
	case PROTO_SPAWN:
		c = call_of_pid(pid);
		r.label = (unsigned long)spawn_driver(c, &m, &r);
		if (m.handle >= 0)
			keel_handle_close(m.handle);
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

/* A level waits for its servers starting, or waiting to start again after failing to. */
static int level_busy(int level)
{
	for (int i = 0; i < ncalls; i++)
		if (calls[i].level == level &&
		    (calls[i].state == STARTING || (calls[i].state == WAITING && calls[i].fails)))
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
		long next;

		if (spent >= limit) {
			for (int i = 0; i < ncalls; i++) {
				struct initcall *c = &calls[i];

				if (c->level != level || c->state != STARTING)
					continue;
				printf("init: %s (pid %ld) not ready after %u ms; going on\n",
				       c->name, c->pid, level_timeout_ms);
				started(c, -KEEL_ETIMEDOUT);
				c->state = UP; /* it may still come up */
			}
			break;
		}
		restart_due();
		next = next_restart_us();
		serve(next >= 0 && next < (long)(limit - spent) ? next : (long)(limit - spent));
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
			    strlen(*e) <= PROTO_SPAWN_STR_MAX &&
			    n < sizeof(server_env) / sizeof(server_env[0]) - 1)
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
			       "takes %d)\n",
			       namelen, *e, (unsigned long)len, PROTO_SPAWN_STR_MAX);
		else if (n == max || bytes + len + 1 > PROTO_SPAWN_BYTES_MAX)
			printf("init: the shell's environment leaves out %.*s (more than spawn "
			       "takes: %d strings, %d bytes)\n",
			       namelen, *e, PROTO_SPAWN_STRS_MAX, PROTO_SPAWN_BYTES_MAX);
		else
			envp[n++] = *e, bytes += len + 1;
	}
	envp[n] = NULL;
	return n;
}

/*
 * Children spawned from now on (@shell: the shell's subtree) get what is
 * free less the reserve; otherwise, as init's servers, all init has.
 */
static void set_child_limits(int shell)
{
	static const unsigned long reserve[KEEL_LIMITS] = {
		[KEEL_LIMIT_PAGES] = RESERVE_PAGES,
		[KEEL_LIMIT_OBJECTS] = RESERVE_OBJECTS,
		[KEEL_LIMIT_TASKS] = RESERVE_TASKS,
	};
	static struct keel_ps ps[PS_SCAN];
	const struct keel_ps *me;
	unsigned long give[KEEL_LIMITS];

	if (keel_own_ps(ps, PS_SCAN, &me)) {
		printf("init: no ps entry of our own; the shell's limits are init's\n");
		return;
	}
	for (int k = 0; k < KEEL_LIMITS; k++) {
		unsigned long free = me->limit[k] > me->used[k] ? me->limit[k] - me->used[k] : 0;

		give[k] = !shell ? me->limit[k] : free > reserve[k] ? free - reserve[k] : 0;
		if (keel_limit_set(k, give[k]))
			printf("init: limit_set(%d, %lu) refused\n", k, give[k]);
	}
	if (shell)
		printf("init: the shell may take %lu pages, %lu objects, %lu tasks "
		       "(init keeps %lu, %lu, %lu)\n",
		       give[KEEL_LIMIT_PAGES], give[KEEL_LIMIT_OBJECTS], give[KEEL_LIMIT_TASKS],
		       reserve[KEEL_LIMIT_PAGES], reserve[KEEL_LIMIT_OBJECTS],
		       reserve[KEEL_LIMIT_TASKS]);
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
	set_child_limits(1);
	shell_pid = keel_spawn_h("/bin/sh", argv, envp, h, 2);
	set_child_limits(0);
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
		printf("init: no endpoint for the servers (%s)\n",
		       keel_strerror(ep < 0 ? ep : notif));
	if (n < 0)
		printf("init: no %s (%s): no initcalls\n", INITCALLS_PATH, keel_strerror(n));
	else
		table[n] = '\0', parse_table();
	for (unsigned int level = 0; level < sizeof(levels) / sizeof(levels[0]); level++)
		run_level((int)level);
	printf("init: ready\n");
	start_shell();
	for (;;) {
		restart_due();
		serve(next_restart_us());
	}
}
