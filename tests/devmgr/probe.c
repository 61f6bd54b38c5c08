/*
 * probe.c - what tests/devmgr/test_devmgr.py runs to see devmgr's work
 * from a client's side: the names devmgr registered with init reach the
 * drivers it started.
 *
 *   devmgr_probe NAME...	as an initcall: look each NAME up
 *   /bin/sh (this program)	as the shell init starts: the same for
 *				the names in $probe_names (comma-separated);
 *				then, $probe_kill times, kill uart-8250 and
 *				write through console-uart again once init
 *				has restarted it; with $probe_read set,
 *				first read a typed line through console-uart;
 *				then power off.
 *
 * Both also write a line through "console-uart" (the UART driver puts it
 * on the wire itself) and check devmgr's own answers: LOOKUP -ENOENT, an
 * unknown label -ENOSYS, READY from a stranger -EDENIED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "keel.h"
#include "proto.h"

#define PROBE_RETRY_US 50000
#define PROBE_TRIES    100 /* 5 s of retries: init's restart backoff reaches 3.2 s */
#define PROBE_PS_MAX   64
#define PROBE_BOGUS    0x999 /* a label nobody speaks */

static void lookup(const char *name)
{
	long h = keel_lookup(name);

	printf("probe: lookup %s: %s\n", name, h < 0 ? keel_strerror(h) : "ok");
	if (h >= 0)
		keel_handle_close(h);
}

/* One call on devmgr's endpoint; the reply's label (or the call's error). */
static long ask(long ep, unsigned long label)
{
	struct keel_msg m = { .label = label, .handle = KEEL_HANDLE_NONE }, r;
	long err;

	proto_name_pack("probe", m.w);
	err = keel_ipc_call(ep, &m, &r);
	return err ? err : (long)r.label;
}

static void ask_devmgr(void)
{
	long ep = keel_lookup("devmgr");

	if (ep < 0) {
		printf("probe: lookup devmgr: %s\n", keel_strerror(ep));
		return;
	}
	printf("probe: devmgr answers LOOKUP %ld, 0x%x %ld, READY %ld\n", ask(ep, PROTO_LOOKUP),
	       PROBE_BOGUS, ask(ep, PROBE_BOGUS), ask(ep, PROTO_READY));
	keel_handle_close(ep);
}

/* Write @text through the driver registered as console-uart; 0 or -KEEL_E*. */
static long write_uart(const char *text)
{
	struct keel_conn c = KEEL_CONN_INIT("console-uart", CON_CONNECT, PROTO_SHARED_SIZE);
	struct keel_msg m = { .label = CON_WRITE, .handle = KEEL_HANDLE_NONE }, r;
	long err = keel_conn_open(&c);

	if (!err) {
		memcpy(c.buf, text, strlen(text));
		m.w[0] = strlen(text);
		err = keel_ipc_call(c.ep, &m, &r);
		if (!err)
			err = (long)r.label < 0 ? (long)r.label : 0;
	}
	keel_conn_close(&c);
	return err;
}

/*
 * Read one line typed on the console through console-uart (the driver's
 * receive interrupt wakes it); 0 or -KEEL_E*.
 */
static long read_uart_line(char *line, size_t len)
{
	struct keel_conn c = KEEL_CONN_INIT("console-uart", CON_CONNECT, PROTO_SHARED_SIZE);
	size_t used = 0;
	long err = keel_conn_open(&c);

	while (!err && used + 1 < len) {
		struct keel_msg m = { .label = CON_READ, .handle = KEEL_HANDLE_NONE }, r;
		unsigned long bits, n;

		m.w[0] = len - 1 - used;
		err = keel_ipc_call(c.ep, &m, &r);
		if (!err && (long)r.label < 0)
			err = (long)r.label;
		if (err)
			break;
		n = r.w[0] < m.w[0] ? r.w[0] : m.w[0];
		memcpy(line + used, c.buf, n);
		used += n;
		if (memchr(line, '\r', used) || memchr(line, '\n', used))
			break;
		if (!n)
			err = c.notif < 0 ? -KEEL_ENOSYS : keel_notif_wait(c.notif, &bits);
	}
	line[used] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	keel_conn_close(&c);
	return err;
}

/* The pid of the task named @name, or -1. */
static long pid_of(const char *name)
{
	static struct keel_ps ps[PROBE_PS_MAX];
	long n = keel_ps(ps, PROBE_PS_MAX);

	for (long i = 0; i < n; i++)
		if (!strcmp(ps[i].name, name) && ps[i].state != 3)
			return ps[i].pid;
	return -1;
}

/* Kill uart-8250; write through console-uart once its restart has registered again. */
static void kill_and_rewrite(void)
{
	long pid = pid_of("uart-8250"), err;

	if (pid < 0) {
		printf("probe: no uart-8250 to kill\n");
		return;
	}
	err = keel_kill(PROTO_H_SHELL_CONTROL, pid);
	printf("probe: kill uart-8250[%ld]: %s\n", pid, keel_strerror(err));
	for (int i = 0; i < PROBE_TRIES; i++) {
		keel_sleep_us(PROBE_RETRY_US);
		/* Until the new driver registers, the name leads to the dead one. */
		err = write_uart("probe: written through console-uart after the restart\n");
		if (!err)
			return;
	}
	printf("probe: console-uart after the restart: %s\n", keel_strerror(err));
}

int main(int argc, char **argv)
{
	const char *me = strrchr(argv[0], '/');
	int shell = me && !strcmp(me, "/sh");
	long err;

	printf("probe: pid %d, %s\n", keel_getpid(), shell ? "as the shell" : "as an initcall");
	for (int i = 1; i < argc; i++)
		lookup(argv[i]);
	if (shell && getenv("probe_names")) {
		static char names[256];

		strncpy(names, getenv("probe_names"), sizeof(names) - 1);
		for (char *n = strtok(names, ","); n; n = strtok(NULL, ","))
			lookup(n);
	}
	ask_devmgr();
	err = write_uart("probe: written through console-uart\n");
	if (err)
		printf("probe: writing through console-uart: %s\n", keel_strerror(err));
	if (!shell)
		return 0;
	if (shell && getenv("probe_read")) {
		char line[64];

		printf("probe: type a line\n");
		err = read_uart_line(line, sizeof(line));
		printf("probe: read \"%s\" through console-uart: %s\n", line, keel_strerror(err));
	}
	/* init restarts a driver that came up every time: each kill, a new one. */
	for (int i = 1; getenv("probe_kill") && i <= atoi(getenv("probe_kill")); i++)
		kill_and_rewrite();
	printf("probe: done\n");
	keel_reboot(PROTO_H_SHELL_CONTROL, KEEL_REBOOT_POWEROFF);
	return 1;
}
