/*
 * sys_console.c - the console calls: write, read, dmesg, console_claim.
 *
 * write copies the caller's bytes in SYS_IO_CHUNK pieces into a kernel
 * buffer before the log sees them; read fills a kernel buffer and copies
 * it out once. The console itself (log ring, hand-over) is lib/log.c.
 */
#include "sys_common.h"
#include "lib/log.h"
#include "kernel/sched.h"
#include "kernel/task.h"
#include "mm/uaccess.h"
#include "object/handle.h"
#include "sbi/sbi.h"
#include "lib/string.h"

SYSCALL_DEFINE3(write, unsigned long, fd, uintptr_t, buf, size_t, len)
{
	char chunk[SYS_IO_CHUNK];
	size_t done = 0;

	if (fd != 1 && fd != 2)
		return -KEEL_EINVAL;
	while (done < len) {
		size_t n = MIN(len - done, sizeof(chunk));

		if (copy_from_user(sys_as(), chunk, buf + done, n))
			return done ? (long)done : -KEEL_EINVAL;
		log_console_write(chunk, n);
		done += n;
	}
	return (long)done;
}

/*
 * Console input through the firmware until a console server takes it
 * over. While one holds it, no other task may read the firmware console
 * (it would take the server's keystrokes): EBUSY, checked before every
 * poll, so a claim made while a reader waits stops it too.
 */
SYSCALL_DEFINE3(read, unsigned long, fd, uintptr_t, buf, size_t, len)
{
	char chunk[SYS_IO_CHUNK];
	int me = task_current()->pid;
	size_t n = 0;

	if (fd != 0)
		return -KEEL_EINVAL;
	if (!len)
		return 0;
	len = MIN(len, sizeof(chunk));
	for (;;) {
		int c;

		if (log_console_busy(me))
			break;
		c = sbi_console_getchar();
		if (c >= 0) {
			chunk[n++] = (char)c;
			if (n == len || c == '\n' || c == '\r')
				break;
			continue;
		}
		if (n)
			break;
		if (task_killed(task_current()))
			return -KEEL_EPEER; /* it ends on the way out */
		task_sleep_us(10000);	    /* nothing yet: poll at 100 Hz */
	}
	if (!n)
		return -KEEL_EBUSY; /* only the console's claim ends the loop with nothing */
	return copy_to_user(sys_as(), buf, chunk, n) ? -KEEL_EINVAL : (long)n;
}

SYSCALL_DEFINE3(dmesg, unsigned long, seq, uintptr_t, buf, size_t, len)
{
	char line[LOG_LINE_MAX + 32];
	bool console = seq & KEEL_DMESG_CONSOLE;
	int n;

	seq &= ~KEEL_DMESG_CONSOLE;
	if (seq < log_first_seq())
		return -KEEL_ERANGE;
	if (seq >= log_next_seq())
		return 0;
	log_console_read(task_current()->pid, seq);
	/* Tasks' console output rides in the ring only for the console server. */
	if ((console && log_level(seq) != LOG_RAW && log_level(seq) >= log_console_level()) ||
	    (!console && log_level(seq) == LOG_RAW))
		return -KEEL_ENOENT;
	n = log_read(seq, line, sizeof(line));
	if (n < 0)
		return -KEEL_ERANGE;
	n = (int)MIN((size_t)n, MIN(len, sizeof(line) - 1));
	return copy_to_user(sys_as(), buf, line, (size_t)n) ? -KEEL_EINVAL : n;
}

SYSCALL_DEFINE2(console_claim, long, ctl, unsigned long, on)
{
	struct kobj *o;
	long err = handle_get(ctl, KEEL_OBJ_CONTROL, KEEL_R_DEVICES, &o);

	if (err)
		return err;
	/* Said before the claim, so the early console prints it. */
	if (on && !log_console_busy(task_current()->pid))
		pr_info("console: %s[%d] takes the console over; the early console (SBI) stops "
			"here\n",
			task_current()->name, task_current()->pid);
	return log_console_claim(task_current()->pid, on != 0);
}
