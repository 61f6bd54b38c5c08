/*
 * isolation.c - what a task must not reach, tried from user space.
 * `isolation <case>`; the test (tests/boot/test_servers.py) runs each
 * from the shell and reads what it printed, or the core's fault report.
 *
 *	kernel-read, kernel-write	the core's memory: the task faults and dies alone
 *	device				a UART's registers, never granted: faults
 *	other-task			another task's memory: not there, or another page
 *	handles				handles not held, rights not given: errors
 *	pointers			system calls given the core's addresses: errors
 *	console-read			read(0) while the console server holds the
 *					console: EBUSY, no keystroke taken
 *
 * Each checked rule prints "ISO_nnnn ok <what>" or "ISO_nnnn FAIL <what>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"
#include "proto.h"

#define KERNEL_TEXT   0xffffffff80000000UL
#define KERNEL_DIRECT 0xffffffc080000000UL
#define UART_VIRT     0x10000000UL
#define SHARED_VA     0x2000000000UL
#define SECRET	      0x5ec7e75ec7e7UL

static int failures;
static volatile unsigned long secret_word = 1;

static void check(const char *id, int ok, const char *what, long got)
{
	printf("%s %s %s (got %ld)\n", id, ok ? "ok" : "FAIL", what, got);
	failures += !ok;
}

static int other_task_child(void)
{
	/* Our own copy of the word: the parent's secret is not in it. */
	check("ISO_0011", secret_word == 1, "a child sees its own memory, not its parent's",
	      (long)secret_word);
	printf("isolation: reading the parent's mapping at 0x%lx\n", SHARED_VA);
	return (int)*(volatile unsigned long *)SHARED_VA; /* not mapped here: faults */
}

static void other_task(void)
{
	char *argv[] = { "/bin/isolation", "other-task-child", NULL };
	long va = keel_mmap(KEEL_HANDLE_NONE, SHARED_VA, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE);
	long pid;
	int status = 0;

	check("ISO_0010", va == (long)SHARED_VA, "mmap of fresh memory at a chosen address", va);
	*(volatile unsigned long *)SHARED_VA = SECRET;
	secret_word = SECRET;
	pid = keel_spawn("/bin/isolation", argv, NULL);
	if (pid > 0)
		keel_wait(pid, &status);
	check("ISO_0012", (status & 0x1ff) == (0x100 | 13),
	      "the child faulted reading the parent's address (load page fault)", status);
	check("ISO_0013", *(volatile unsigned long *)SHARED_VA == SECRET,
	      "the parent's memory is untouched", (long)*(volatile unsigned long *)SHARED_VA);
}

static void handles(void)
{
	long ep = keel_ep_create(), n = keel_notif_create(), mem = keel_mem_create(4096);
	struct keel_msg m = { .label = 1, .handle = KEEL_HANDLE_NONE };
	long h, err;
	unsigned long bits;

	check("ISO_0020", keel_ipc_call(63, &m, &m) == -KEEL_ENOENT, "a call on a handle not held",
	      keel_ipc_call(63, &m, &m));
	check("ISO_0021", keel_notif_signal(ep, 1) == -KEEL_EINVAL,
	      "signal on an endpoint (wrong type)", keel_notif_signal(ep, 1));
	h = keel_handle_dup(ep, KEEL_R_SEND);
	err = keel_ipc_recv_timeout(h, &m, 1000);
	check("ISO_0022", err == -KEEL_EDENIED, "receive on a send-only endpoint handle", err);
	err = keel_handle_dup(h, KEEL_R_SEND);
	check("ISO_0023", err == -KEEL_EDENIED, "dup of a handle without the duplicate right", err);
	err = keel_handle_dup(ep, KEEL_R_EP_ALL | KEEL_R_SIGNAL);
	check("ISO_0024", err == -KEEL_EDENIED, "dup asking for a right it does not have", err);
	h = keel_handle_dup(n, KEEL_R_WAIT);
	err = keel_notif_signal(h, 1);
	check("ISO_0025", err == -KEEL_EDENIED, "signal on a wait-only notification", err);
	h = keel_handle_dup(mem, KEEL_R_MAP_READ);
	err = keel_mmap(h, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE);
	check("ISO_0026", err == -KEEL_EDENIED, "writable map of a read-only memory handle", err);
	err = keel_mmio_create(ep, UART_VIRT, 4096);
	check("ISO_0027", err == -KEEL_EINVAL, "MMIO grant without a control handle", err);
	err = keel_irq_create(63, 10, n, 1);
	check("ISO_0028", err == -KEEL_ENOENT, "IRQ grant without a control handle", err);
	err = keel_reboot(ep, KEEL_REBOOT_POWEROFF);
	check("ISO_0029", err == -KEEL_EINVAL, "power off with an endpoint for a control handle",
	      err);
	err = keel_hart_ctl(63, 1, 0);
	check("ISO_0030", err == -KEEL_ENOENT, "hart offline without a control handle", err);
	err = keel_kill(n, 1);
	check("ISO_0031", err == -KEEL_EINVAL, "kill without a control handle", err);
	keel_handle_close(n);
	err = keel_notif_wait(n, &bits);
	check("ISO_0032", err == -KEEL_ENOENT, "wait on a closed handle", err);
	/* Init's names: only servers it started may register one. */
	m = (struct keel_msg){ .label = PROTO_REGISTER,
			       .handle = keel_handle_dup(ep, KEEL_R_SEND | KEEL_R_TRANSFER) };
	proto_name_pack("fs", m.w);
	err = keel_ipc_call(PROTO_H_PARENT, &m, &m);
	err = err ? err : (long)m.label;
	check("ISO_0033", err == -KEEL_EDENIED, "a program takes over the name \"fs\"", err);
}

static void pointers(void)
{
	long err = keel_write(1, (const void *)KERNEL_TEXT, 16);

	check("ISO_0040", err == -KEEL_EINVAL, "write() from the core's text", err);
	err = keel_dmesg(0, (char *)KERNEL_DIRECT, 64);
	check("ISO_0041", err == -KEEL_EINVAL, "dmesg() into the direct map", err);
	err = keel_ps((struct keel_ps *)KERNEL_DIRECT, 4);
	check("ISO_0042", err == -KEEL_EINVAL, "ps() into the direct map", err);
	err = keel_spawn((const char *)KERNEL_TEXT, NULL, NULL);
	check("ISO_0043", err == -KEEL_EINVAL, "spawn() of a path in the core", err);
	err = keel_munmap((void *)KERNEL_TEXT, 4096);
	check("ISO_0044", err == -KEEL_EINVAL, "munmap() of the core's text", err);
	err = keel_mmap(KEEL_HANDLE_NONE, KERNEL_DIRECT, 4096, KEEL_PROT_READ);
	check("ISO_0045", err == -KEEL_EINVAL, "mmap() over the direct map", err);
}

static void console_read(void)
{
	char c;
	long err = keel_read(0, &c, 1); /* the raw call, not libkeel's read() */

	check("ISO_0050", err == -KEEL_EBUSY, "read(0) while a console server holds the console",
	      err);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "kernel-read")) {
		printf("isolation: reading the core at 0x%lx\n", KERNEL_TEXT);
		return (int)*(volatile unsigned long *)KERNEL_TEXT;
	}
	if (!strcmp(what, "kernel-write")) {
		printf("isolation: writing the direct map at 0x%lx\n", KERNEL_DIRECT);
		*(volatile unsigned long *)KERNEL_DIRECT = 0;
		return 1;
	}
	if (!strcmp(what, "device")) {
		printf("isolation: reading the UART at 0x%lx\n", UART_VIRT);
		return (int)*(volatile unsigned char *)UART_VIRT;
	}
	if (!strcmp(what, "other-task-child"))
		return other_task_child();
	if (!strcmp(what, "other-task"))
		other_task();
	else if (!strcmp(what, "handles"))
		handles();
	else if (!strcmp(what, "pointers"))
		pointers();
	else if (!strcmp(what, "console-read"))
		console_read();
	else
		return printf("usage: isolation kernel-read|kernel-write|device|other-task|"
			      "handles|pointers|console-read\n"),
		       2;
	printf("isolation: %s: %d failed\n", what, failures);
	return failures != 0;
}
