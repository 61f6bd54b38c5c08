/*
 * uart_server_test.c - servers/uart/uart_server.c on the host, over a fake
 * kernel (the functions tests/uart/fake/keel.h declares) and the UART
 * models of tests/uart/uart_model.c. ASan + UBSan.
 *
 * The fake kernel keeps a handle table (slots 0-3 as devmgr gives them:
 * parent, MMIO, IRQ notification, IRQ), records every system call that
 * matters, and plays a script of events to the server's receives: calls
 * from client pids, IRQ notifications, timeouts, errors. When the script
 * ends it longjmps out of the server's loop, and the case checks what the
 * server did: the start line, the mapping, the bind, PROTO_READY, each
 * reply, the bytes on the wire, the notifications, the handles left open.
 *
 * What this cannot show: that the real core behaves as docs/syscalls.md
 * says. It shows that the server does what that page asks of it.
 *
 * Output is TAP (tests/unit/testlib.h); `uart_server_test NAME` runs one case.
 */
#define TESTLIB_NAME "uart_server_test"
#include "testlib.h"
#include "uart_test.h"

#include <setjmp.h>
#include <unistd.h>

#include "keel.h"
#include "proto.h"
#include "uart_model.h"
#include "uart_server.h"

void uart_model_violation(const char *msg)
{
	diag("model: %s", msg);
}

/* --- the fake kernel ---------------------------------------------------------- */

#define SLOTS	     64
#define FAKE_MMIO_VA 0x7f0000000000UL /* where the "core" maps the registers */
#define MAX_EVENTS   2100
#define MAX_REPLIES  2100
#define MAX_PAGES    12
#define RECV_LIMIT   5000 /* a server that receives more than this is looping */

#define PS_BLOCKED 2 /* struct keel_ps state (keel_syscall.h) */
#define PS_DEAD	   3

enum obj { OBJ_FREE, OBJ_EP, OBJ_NOTIF, OBJ_MMIO, OBJ_IRQ, OBJ_MEM };

struct slot {
	enum obj type;
	int id; /* the object: notifications and pages by number */
	unsigned int rights;
};

enum ev_type { EV_CALL, EV_NOTIFY, EV_TIMEOUT, EV_ERROR };

struct event {
	enum ev_type type;
	long pid;
	unsigned long label, w0;
	int page;	/* EV_CALL: pass page n's memory handle (-1: none) */
	const char *rx; /* bytes that reach the UART before this event */
	int dead;	/* EV_CALL: the caller is gone before the reply */
	long err;	/* EV_ERROR */
};

struct reply {
	long pid;
	long label; /* signed: 0 or -KEEL_E* */
	unsigned long w0;
	enum obj htype; /* the handle it carried, as it was then */
	unsigned int hrights;
	int hid;
};

static struct {
	struct slot slot[SLOTS];
	int next_notif_id;
	struct event ev[MAX_EVENTS];
	int n_ev, next_ev;
	long owed_pid; /* 0: nobody waits for a reply */
	int owed_dead;
	struct reply replies[MAX_REPLIES];
	int n_replies;
	unsigned long signalled[SLOTS * 2]; /* bits, by notification id */
	int recvs, timed_recvs, reply_recvs, sleeps, acks;
	uint64_t timeout_us;
	/* the start */
	long mmap_fail; /* mmap of the MMIO handle returns this */
	long bind_fail;
	long mmio_size;
	int mmio_prot, bound;
	struct keel_msg ready;
	struct slot ready_slot;
	long ready_reply; /* the label init answers with */
	int readies;
	int mapped[MAX_PAGES]; /* page n mapped (count) */
	/* keel_ps lists every pid that has called, but for these */
	long freed_pid; /* left out: it exited and was waited for */
	long dead_pid;	/* listed as dead */
	int ps_full;	/* fill the list to max: more tasks than fit */
	int ps_calls;
	jmp_buf done;
	char out[8192]; /* what the server printed */
} fk;

static uint8_t pages[MAX_PAGES][PROTO_SHARED_SIZE] __attribute__((aligned(4096)));

static void fake_reset(void)
{
	memset(&fk, 0, sizeof(fk));
	fk.slot[PROTO_H_PARENT] = (struct slot){ OBJ_EP, 0, KEEL_R_SEND };
	fk.slot[DRV_H_MMIO] = (struct slot){ OBJ_MMIO, 0, KEEL_R_MAP_READ | KEEL_R_MAP_WRITE };
	fk.slot[DRV_H_IRQ_NOTIF] = (struct slot){ OBJ_NOTIF, 0, KEEL_R_WAIT };
	fk.slot[DRV_H_IRQ] = (struct slot){ OBJ_IRQ, 0, 0 };
	fk.next_notif_id = 1;
	memset(pages, 0, sizeof(pages));
}

static long slot_new(enum obj type, int id, unsigned int rights)
{
	for (long h = 0; h < SLOTS; h++)
		if (fk.slot[h].type == OBJ_FREE) {
			fk.slot[h] = (struct slot){ type, id, rights };
			return h;
		}
	return -KEEL_ENOMEM;
}

static int slot_ok(long h, enum obj type)
{
	return h >= 0 && h < SLOTS && fk.slot[h].type == type;
}

static int open_slots(void)
{
	int n = 0;

	for (int h = 0; h < SLOTS; h++)
		n += fk.slot[h].type != OBJ_FREE;
	return n;
}

long keel_handle_close(long h)
{
	if (h < 0 || h >= SLOTS || fk.slot[h].type == OBJ_FREE) {
		diag("fake: handle_close(%ld): no such handle", h);
		return -KEEL_ENOENT;
	}
	if (h <= DRV_H_IRQ)
		diag("fake: the server closed its start handle %ld", h);
	fk.slot[h].type = OBJ_FREE;
	return 0;
}

long keel_handle_dup(long h, unsigned int rights)
{
	if (h < 0 || h >= SLOTS || fk.slot[h].type == OBJ_FREE)
		return -KEEL_ENOENT;
	return slot_new(fk.slot[h].type, fk.slot[h].id, rights);
}

long keel_ep_create(void)
{
	return slot_new(OBJ_EP, 1, KEEL_R_EP_ALL);
}

long keel_ep_bind(long ep, long notif)
{
	if (!slot_ok(ep, OBJ_EP) || notif != DRV_H_IRQ_NOTIF)
		diag("fake: ep_bind(%ld, %ld)", ep, notif);
	if (fk.bind_fail)
		return fk.bind_fail;
	fk.bound++;
	return 0;
}

long keel_notif_create(void)
{
	return slot_new(OBJ_NOTIF, fk.next_notif_id++, KEEL_R_NOTIF_ALL);
}

long keel_notif_signal(long h, unsigned long bits)
{
	if (!slot_ok(h, OBJ_NOTIF)) {
		diag("fake: notif_signal(%ld): not a notification", h);
		return -KEEL_EINVAL;
	}
	fk.signalled[fk.slot[h].id] |= bits;
	return 0;
}

long keel_irq_ack(long irq)
{
	if (irq != DRV_H_IRQ)
		diag("fake: irq_ack(%ld)", irq);
	fk.acks++;
	return 0;
}

long keel_mmap(long h, uintptr_t va, size_t size, int prot)
{
	if (va)
		diag("fake: mmap at a fixed va 0x%lx", (unsigned long)va);
	if (slot_ok(h, OBJ_MMIO)) {
		fk.mmio_size = (long)size;
		fk.mmio_prot = prot;
		return fk.mmap_fail ? fk.mmap_fail : (long)FAKE_MMIO_VA;
	}
	if (!slot_ok(h, OBJ_MEM))
		return -KEEL_EINVAL;
	if (size != PROTO_SHARED_SIZE || prot != (KEEL_PROT_READ | KEEL_PROT_WRITE))
		diag("fake: mmap of a shared page: size %zu prot %d", size, prot);
	fk.mapped[fk.slot[h].id]++;
	return (long)(uintptr_t)pages[fk.slot[h].id];
}

long keel_munmap(void *va, size_t size)
{
	for (int i = 0; i < MAX_PAGES; i++)
		if (va == pages[i] && size == PROTO_SHARED_SIZE && fk.mapped[i]) {
			fk.mapped[i]--;
			return 0;
		}
	diag("fake: munmap(%p, %zu): not mapped", va, size);
	return -KEEL_EINVAL;
}

long keel_ipc_call(long h, const struct keel_msg *in, struct keel_msg *out)
{
	if (h != PROTO_H_PARENT) {
		diag("fake: ipc_call on %ld", h);
		return -KEEL_EINVAL;
	}
	fk.readies++;
	fk.ready = *in;
	if (in->handle >= 0 && in->handle < SLOTS)
		fk.ready_slot = fk.slot[in->handle];
	*out = (struct keel_msg){ .label = (unsigned long)fk.ready_reply,
				  .handle = KEEL_HANDLE_NONE };
	return 0;
}

/* The reply the server sends to the caller it owes one. */
static long take_reply(const struct keel_msg *reply)
{
	struct reply *r;

	if (!fk.owed_pid)
		return -KEEL_ENOENT;
	if (fk.owed_dead) {
		fk.owed_pid = 0;
		fk.owed_dead = 0;
		if (reply->handle != KEEL_HANDLE_NONE && !slot_ok(reply->handle, OBJ_NOTIF))
			diag("fake: reply passes handle %ld, not a notification", reply->handle);
		return -KEEL_EPEER;
	}
	if (fk.n_replies == MAX_REPLIES)
		abort();
	r = &fk.replies[fk.n_replies++];
	*r = (struct reply){ .pid = fk.owed_pid, .label = (long)reply->label, .w0 = reply->w[0] };
	if (reply->handle != KEEL_HANDLE_NONE) {
		if (reply->handle < 0 || reply->handle >= SLOTS ||
		    fk.slot[reply->handle].type == OBJ_FREE)
			diag("fake: reply passes handle %ld: no such handle", reply->handle);
		else if (!(fk.slot[reply->handle].rights & KEEL_R_TRANSFER))
			diag("fake: reply passes handle %ld without transfer", reply->handle);
		else {
			r->htype = fk.slot[reply->handle].type;
			r->hrights = fk.slot[reply->handle].rights;
			r->hid = fk.slot[reply->handle].id;
		}
	}
	fk.owed_pid = 0;
	return 0;
}

/* The next event of the script to a receive on @h; longjmps when there is none. */
static long next_event(long h, struct keel_msg *out, int timed)
{
	struct event *e;

	if (!slot_ok(h, OBJ_EP) || !(fk.slot[h].rights & KEEL_R_RECEIVE))
		diag("fake: receive on %ld, not an endpoint to receive from", h);
	if (fk.owed_pid)
		diag("fake: receive while pid %ld still waits for its reply", fk.owed_pid);
	if (++fk.recvs > RECV_LIMIT) {
		diag("fake: %d receives: the server loops", fk.recvs);
		longjmp(fk.done, 1);
	}
	if (fk.next_ev == fk.n_ev)
		longjmp(fk.done, 1);
	e = &fk.ev[fk.next_ev++];
	if (e->rx)
		model_rx_push(e->rx);
	*out = (struct keel_msg){ .handle = KEEL_HANDLE_NONE };
	switch (e->type) {
	case EV_TIMEOUT:
		if (!timed)
			diag("fake: a timeout delivered to a receive without one");
		return -KEEL_ETIMEDOUT;
	case EV_ERROR:
		return e->err;
	case EV_NOTIFY:
		out->label = KEEL_LABEL_NOTIFY;
		out->w[0] = 1;
		return 0;
	case EV_CALL:
		break;
	}
	out->label = e->label;
	out->w[0] = e->w0;
	if (e->page >= 0)
		out->handle = slot_new(OBJ_MEM, e->page, KEEL_R_MEM_ALL);
	fk.owed_pid = e->pid;
	fk.owed_dead = e->dead;
	return e->pid;
}

long keel_ipc_recv(long h, struct keel_msg *out)
{
	return next_event(h, out, 0);
}

long keel_ipc_reply(const struct keel_msg *reply)
{
	return take_reply(reply);
}

long keel_ipc_reply_recv(long h, const struct keel_msg *reply, struct keel_msg *out)
{
	long err;

	fk.reply_recvs++;
	if (fk.owed_pid) {
		err = take_reply(reply);
		if (err == -KEEL_EPEER)
			return err; /* as the core: the reply failed, nothing received */
	}
	return next_event(h, out, 0);
}

long keel_ipc_recv_timeout(long h, struct keel_msg *out, uint64_t us)
{
	fk.timed_recvs++;
	fk.timeout_us = us;
	return next_event(h, out, 1);
}

void keel_sleep_us(uint64_t us)
{
	(void)us;
	fk.sleeps++;
}

static int ps_listed(const struct keel_ps *buf, unsigned long n, long pid)
{
	for (unsigned long i = 0; i < n; i++)
		if (buf[i].pid == pid)
			return 1;
	return 0;
}

/* The tasks: every pid the script has called from so far, blocked in its call. */
long keel_ps(struct keel_ps *buf, unsigned long max)
{
	unsigned long n = 0;

	fk.ps_calls++;
	for (int i = 0; i < fk.next_ev && n < max; i++) {
		long pid = fk.ev[i].pid;

		if (fk.ev[i].type != EV_CALL || pid == fk.freed_pid || ps_listed(buf, n, pid))
			continue;
		buf[n++] = (struct keel_ps){ .pid = (int)pid,
					     .ppid = 1,
					     .state = pid == fk.dead_pid ? PS_DEAD : PS_BLOCKED };
	}
	/* A system with more tasks than fit: the list ends at max. */
	for (int pid = 10000; fk.ps_full && n < max; pid++)
		buf[n++] = (struct keel_ps){ .pid = pid, .ppid = 1, .state = PS_BLOCKED };
	return (long)n;
}

const char *keel_strerror(long err)
{
	static const char *const names[] = {
		"success",
		"invalid argument",
		"out of memory",
		"not supported",
		"busy",
		"no such file or object",
		"out of range",
		"denied",
		"timed out",
		"I/O error",
		"no such system call",
		"no such child",
		"peer gone",
		"would wait for itself",
	};

	if (err > 0 || -err >= (long)(sizeof(names) / sizeof(names[0])))
		return "unknown error";
	return names[-err];
}

/* --- scripts and runs ---------------------------------------------------------- */

static struct event *ev_add(enum ev_type type)
{
	struct event *e;

	if (fk.n_ev == MAX_EVENTS)
		abort();
	e = &fk.ev[fk.n_ev++];
	*e = (struct event){ .type = type, .page = -1 };
	return e;
}

static void ev_call(long pid, unsigned long label, unsigned long w0)
{
	struct event *e = ev_add(EV_CALL);

	e->pid = pid;
	e->label = label;
	e->w0 = w0;
}

static void ev_connect(long pid, int page)
{
	ev_call(pid, CON_CONNECT, 0);
	fk.ev[fk.n_ev - 1].page = page;
}

/* The client writes @s into its page, then asks for it to be sent. */
static void ev_write(long pid, int page, const char *s)
{
	/* The script runs later: stage the text now, in the page itself. */
	memcpy(pages[page], s, strlen(s));
	ev_call(pid, CON_WRITE, strlen(s));
}

static void ev_notify(const char *rx)
{
	ev_add(EV_NOTIFY)->rx = rx;
}

#define SERVED 1000 /* run_server(): the script ended with the server serving */

/* Run the server on @argv until the script ends; its exit status or SERVED. */
static int run_server(const struct uart_variant *v, int argc, char **argv)
{
	static int rc; /* static: kept across the longjmp */
	FILE *tmp = tmpfile();
	int saved = dup(1);
	size_t n;

	if (!tmp || saved < 0)
		abort();
	fflush(stdout);
	dup2(fileno(tmp), 1);
	if (setjmp(fk.done) == 0)
		rc = uart_server_main(v, argc, argv);
	else
		rc = SERVED;
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(tmp);
	n = fread(fk.out, 1, sizeof(fk.out) - 1, tmp);
	fk.out[n] = '\0';
	fclose(tmp);
	/* Diagnostics raised while stdout was captured go back to TAP. */
	for (const char *p = fk.out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!strncmp(p, "# ", 2))
			printf("%.*s\n", (int)len, p);
		p += len + (nl ? 1 : 0);
	}
	return rc;
}

static const struct uart_variant v8250 = { "uart-8250", UART_KIND_8250 };
static const struct uart_variant vsifive = { "uart-sifive", UART_KIND_SIFIVE };

static char *virt_argv[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=10",
			     "console" };
#define VIRT_ARGC 5

/* A QEMU virt 16550 with its IRQ, serving the script. */
static int run_virt(void)
{
	model_ns16550a();
	model.check_base = 1;
	model.base = FAKE_MMIO_VA;
	return run_server(&v8250, VIRT_ARGC, virt_argv);
}

static void expect_out(const char *line)
{
	if (!strstr(fk.out, line))
		diag("no line \"%s\" in:\n%s", line, fk.out);
}

static void expect_tx(const char *want, size_t n)
{
	if ((size_t)model.tx_n != n || memcmp(model.tx, want, n))
		diag("on the wire: %d bytes \"%.*s\", want %zu \"%.*s\"", model.tx_n,
		     model.tx_n > 200 ? 200 : model.tx_n, (const char *)model.tx, n,
		     (int)(n > 200 ? 200 : n), want);
}

static const struct reply *reply_n(int i)
{
	static const struct reply none = { .label = 12345 };

	if (i >= fk.n_replies) {
		diag("reply %d never sent (%d replies)", i, fk.n_replies);
		return &none;
	}
	return &fk.replies[i];
}

/* After the run: the start handles, the endpoint, and per client a page handle and a notification.
 */
static void expect_open_slots(int clients)
{
	expect_eq(open_slots(), 4 + 1 + 2 * clients);
}

/* --- cases ------------------------------------------------------------------------ */

/* The start on QEMU virt: the line, the mapping, the bind, PROTO_READY. */
static void start_virt_console(void)
{
	char want[PROTO_NAME_MAX] = "console-uart";

	fake_reset();
	expect_eq(run_virt(), SERVED);
	expect_out("uart-8250: /soc/serial@10000000: ns16550a at 0x10000000, irq 10, "
		   "reg-shift 0, io-width 1, console\n");
	expect_eq(fk.mmio_size, 4096);
	expect_eq(fk.mmio_prot, KEEL_PROT_READ | KEEL_PROT_WRITE);
	expect_eq(fk.bound, 1);
	expect_eq(model.ier, UART_IER_RDI); /* RX interrupt on */
	expect_eq(model.lcr, UART_LCR_WLEN8);
	expect_eq(model.fcr, UART_FCR_INIT);
	expect_eq(fk.readies, 1);
	expect_eq(fk.ready.label, PROTO_READY);
	if (memcmp(fk.ready.w, want, sizeof(want)))
		diag("ready name \"%.32s\"", (const char *)fk.ready.w);
	expect_eq(fk.ready_slot.type, OBJ_EP);
	expect_eq(fk.ready_slot.rights, KEEL_R_SEND | KEEL_R_DUPLICATE | KEEL_R_TRANSFER);
	expect_eq(fk.recvs, 1); /* it waits in a blocking receive */
	expect_eq(fk.timed_recvs, 0);
	expect_open_slots(0); /* the endpoint copy it passed is closed */
	expect_eq(model.violations, 0);
}

/* JH7110-like: 32-bit registers 4 apart, a window not on a page boundary. */
static void start_dw_offset_window(void)
{
	char *argv[] = { "uart-8250",
			 "/soc/serial@10000040",
			 "reg=0x10000040,0x1000",
			 "irq=32",
			 "reg-shift=2",
			 "reg-io-width=4",
			 "clock-frequency=24000000",
			 "current-speed=115200" };

	fake_reset();
	model_dw_apb_uart();
	model.check_base = 1;
	model.base = FAKE_MMIO_VA + 0x40;
	expect_eq(run_server(&v8250, 8, argv), SERVED);
	expect_out("uart-8250: /soc/serial@10000040: snps,dw-apb-uart at 0x10000040, irq 32, "
		   "reg-shift 2, io-width 4\n");
	expect_eq(fk.mmio_size, 8192);		   /* 0x40 + 0x1000 spans two pages */
	expect_eq(model.dll | model.dlm << 8, 13); /* 24 MHz / (16 * 115200) */
	if (memcmp(fk.ready.w, "serial@10000040\0", 16))
		diag("ready name \"%.32s\"", (const char *)fk.ready.w);
	expect_eq(model.violations, 0);
}

static void start_sifive(void)
{
	char *argv[] = { "uart-sifive", "/soc/serial@10010000", "reg=0x10010000,0x1000", "irq=4" };

	fake_reset();
	model_sifive_uart0();
	model.check_base = 1;
	model.base = FAKE_MMIO_VA;
	expect_eq(run_server(&vsifive, 4, argv), SERVED);
	expect_out("uart-sifive: /soc/serial@10010000: sifive,uart0 at 0x10010000, irq 4, "
		   "reg-shift 2, io-width 4\n");
	expect_eq(model.ie, SIFIVE_UART_IP_RXWM);
	expect_eq(model.txctrl, SIFIVE_UART_TXCTRL_TXEN);
	expect_eq(model.rxctrl, SIFIVE_UART_RXCTRL_RXEN);
	expect_eq(model.violations, 0);
}

/* Connect, write with "\n" -> "\r\n", read nothing, an IRQ brings input, read it. */
static void connect_write_read(void)
{
	const struct reply *r;

	fake_reset();
	ev_connect(7, 0);
	ev_write(7, 0, "ok\nfine\n");
	ev_call(7, CON_READ, 16);
	ev_notify("hi\r");
	ev_call(7, CON_READ, 16);
	expect_eq(run_virt(), SERVED);

	r = reply_n(0); /* CON_CONNECT */
	expect_eq(r->pid, 7);
	expect_eq(r->label, 0);
	expect_eq(r->htype, OBJ_NOTIF);
	expect_eq(r->hrights, KEEL_R_WAIT | KEEL_R_TRANSFER);
	expect_eq(fk.mapped[0], 1);
	r = reply_n(1); /* CON_WRITE */
	expect_eq(r->label, 0);
	expect_eq(r->w0, 8);
	expect_tx("ok\r\nfine\r\n", 10);
	r = reply_n(2); /* CON_READ: nothing yet */
	expect_eq(r->label, 0);
	expect_eq(r->w0, 0);
	expect_eq(fk.acks, 1);			     /* the IRQ */
	expect_eq(fk.signalled[reply_n(0)->hid], 1); /* its notification, bit 0 */
	r = reply_n(3);				     /* CON_READ: the input */
	expect_eq(r->w0, 3);
	if (memcmp(pages[0], "hi\r", 3))
		diag("page holds \"%.3s\"", (const char *)pages[0]);
	expect_eq(fk.n_replies, 4);
	expect_eq(fk.timed_recvs, 0);
	expect_open_slots(1);
	expect_eq(model.violations, 0);
}

/* Input is signalled only to a client whose read found nothing, and once. */
static void notify_only_waiting_clients(void)
{
	fake_reset();
	ev_connect(7, 0);
	ev_connect(8, 1);
	ev_call(8, CON_READ, 16); /* 8 waits, 7 does not */
	ev_notify("a");
	ev_notify("b");		  /* 8 was woken already: not again */
	ev_call(8, CON_READ, 1);  /* reads "a"; "b" is still there */
	ev_call(7, CON_READ, 16); /* 7 takes "b" */
	expect_eq(run_virt(), SERVED);
	expect_eq(fk.signalled[reply_n(0)->hid], 0);
	expect_eq(fk.signalled[reply_n(1)->hid], 1);
	expect_eq(reply_n(3)->w0, 1);
	expect_eq(pages[1][0], 'a');
	expect_eq(reply_n(4)->w0, 1);
	expect_eq(pages[0][0], 'b');
	expect_eq(fk.acks, 2);
}

/* Requests that cannot be served get an error, and no handle leaks. */
static void refuses_bad_requests(void)
{
	struct event *e;

	fake_reset();
	ev_call(9, CON_WRITE, 1); /* not connected */
	ev_call(9, CON_READ, 1);
	ev_call(9, CON_CONNECT, 0); /* no memory handle */
	ev_connect(9, 0);
	ev_call(9, 0x999, 0); /* no such request */
	ev_call(9, CON_WRITE, PROTO_SHARED_SIZE + 1);
	ev_call(9, CON_WRITE, 0);
	e = ev_add(EV_CALL); /* a handle nobody asked for */
	e->pid = 9;
	e->label = CON_READ;
	e->w0 = 1;
	e->page = 3;
	expect_eq(run_virt(), SERVED);
	expect_eq(reply_n(0)->label, -KEEL_EINVAL);
	expect_eq(reply_n(1)->label, -KEEL_EINVAL);
	expect_eq(reply_n(2)->label, -KEEL_EINVAL);
	expect_eq(reply_n(3)->label, 0);
	expect_eq(reply_n(4)->label, -KEEL_ENOTSUP);
	expect_eq(reply_n(5)->label, -KEEL_EINVAL);
	expect_eq(reply_n(6)->label, 0);
	expect_eq(reply_n(6)->w0, 0);
	expect_eq(reply_n(7)->label, 0);
	expect_eq(model.tx_n, 0);
	expect_open_slots(1); /* page 3's handle was closed */
}

/* Eight clients fit; a ninth is told busy; a client connecting again starts afresh. */
static void eight_clients(void)
{
	fake_reset();
	for (int i = 0; i < 9; i++)
		ev_connect(100 + i, i);
	ev_connect(100, 10); /* pid 100 again, with another page */
	ev_write(100, 10, "x");
	expect_eq(run_virt(), SERVED);
	for (int i = 0; i < 8; i++)
		expect_eq(reply_n(i)->label, 0);
	expect_eq(reply_n(8)->label, -KEEL_EBUSY);
	expect_eq(fk.mapped[8], 0);
	expect_eq(reply_n(9)->label, 0);
	expect_eq(fk.mapped[0], 0); /* the old page is unmapped */
	expect_eq(fk.mapped[10], 1);
	expect_tx("x", 1);
	expect_open_slots(8);
	expect_eq(fk.ps_calls, 1); /* the ninth looked for gone clients */
}

/* A full table: clients whose task has exited or died make room for new ones. */
static void gone_clients_make_room(void)
{
	fake_reset();
	for (int i = 0; i < 8; i++)
		ev_connect(100 + i, i);
	fk.freed_pid = 101;
	fk.dead_pid = 105;
	ev_connect(108, 8);
	ev_connect(109, 9);
	ev_connect(110, 10); /* no room left */
	ev_call(101, CON_READ, 1);
	expect_eq(run_virt(), SERVED);
	expect_eq(reply_n(8)->label, 0);
	expect_eq(reply_n(9)->label, 0);
	expect_eq(reply_n(10)->label, -KEEL_EBUSY);
	expect_eq(reply_n(11)->label, -KEEL_EINVAL); /* 101 is no client now */
	expect_eq(fk.mapped[1], 0);
	expect_eq(fk.mapped[5], 0);
	expect_eq(fk.mapped[8], 1);
	expect_eq(fk.mapped[9], 1);
	expect_eq(fk.mapped[10], 0);
	expect_open_slots(8); /* the gone clients' notifications are closed */
}

/* A task list cut short at its end cannot tell who is gone: nobody is dropped. */
static void no_reap_from_a_partial_list(void)
{
	fake_reset();
	for (int i = 0; i < 8; i++)
		ev_connect(100 + i, i);
	fk.freed_pid = 101;
	fk.ps_full = 1;
	ev_connect(108, 8);
	expect_eq(run_virt(), SERVED);
	expect_eq(reply_n(8)->label, -KEEL_EBUSY);
	expect_eq(fk.mapped[1], 1);
	expect_eq(fk.ps_calls, 1);
	expect_open_slots(8);
}

/* More input than the ring holds: the first 1024 bytes stay, in order; it says so once. */
static void ring_overflow_drops_newest(void)
{
	static char chunk[20][65];
	static char want[1024];
	int n = 0;

	fake_reset();
	ev_connect(7, 0);
	ev_connect(8, 1);
	for (int i = 0; i < 20; i++) {
		for (int j = 0; j < 64; j++) {
			chunk[i][j] = (char)('A' + (i * 64 + j) % 26);
			if (n < 1024)
				want[n++] = chunk[i][j];
		}
		ev_notify(chunk[i]);
	}
	ev_call(7, CON_READ, 4096);
	ev_notify("z"); /* room again */
	ev_call(8, CON_READ, 4096);
	expect_eq(run_virt(), SERVED);
	expect_eq(reply_n(2)->w0, 1024);
	for (int i = 0; i < 1024; i++)
		if (pages[0][i] != (uint8_t)want[i]) {
			diag("byte %d is 0x%02x, want 0x%02x", i, pages[0][i], (uint8_t)want[i]);
			break;
		}
	expect_eq(reply_n(3)->w0, 1);
	expect_eq(pages[1][0], 'z');
	expect_out(
		"uart-8250: /soc/serial@10000000: input ring full: dropping bytes nobody reads\n");
	if (strstr(fk.out, "ring full") && strstr(strstr(fk.out, "ring full") + 1, "ring full"))
		diag("said it more than once");
}

/* irq=-1: no bind, receives time out every 10 ms and the receiver is polled. */
static void polls_without_irq(void)
{
	char *argv[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x100", "irq=-1" };
	struct event *e;

	fake_reset();
	model_ns16550a();
	ev_connect(7, 0);
	ev_call(7, CON_READ, 16);
	e = ev_add(EV_TIMEOUT);
	e->rx = "p";
	ev_write(7, 0, "w");
	ev_call(7, CON_READ, 16);
	expect_eq(run_server(&v8250, 4, argv), SERVED);
	expect_out("ns16550a at 0x10000000, no irq, reg-shift 0, io-width 1\n");
	expect_eq(fk.bound, 0);
	expect_eq(model.ier, 0);
	expect_eq(fk.timed_recvs, fk.recvs);
	expect_eq(fk.reply_recvs, 0);
	expect_eq(fk.timeout_us, 10000);
	expect_eq(fk.signalled[reply_n(0)->hid], 1);
	expect_eq(reply_n(1)->w0, 0);
	expect_eq(reply_n(2)->w0, 1);
	expect_eq(reply_n(3)->w0, 1);
	expect_eq(pages[0][0], 'p');
	expect_tx("w", 1);
	expect_eq(fk.acks, 0);
}

/* A bind the core refuses: the server says so and polls. */
static void bind_failure_polls(void)
{
	fake_reset();
	fk.bind_fail = -KEEL_ENOSYS;
	ev_add(EV_TIMEOUT);
	expect_eq(run_virt(), SERVED);
	expect_out("uart-8250: /soc/serial@10000000: cannot bind irq 10: no such system call; "
		   "polling every 10 ms\n");
	expect_eq(fk.timed_recvs, 2); /* the timeout, and the one that ends the script */
	expect_eq(model.ier, 0);
}

/* A transmitter that never empties: the write returns an error, the next one at once. */
static void tx_stuck_write_fails(void)
{
	long after_first;

	fake_reset();
	ev_connect(7, 0);
	ev_write(7, 0, "abc");
	ev_write(7, 0, "abc");
	model_ns16550a();
	model.thr_empty_never = 1;
	/* The script's first event comes after init, which waits for TEMT first. */
	expect_eq(run_server(&v8250, VIRT_ARGC, virt_argv), SERVED);
	expect_eq(reply_n(1)->label, -KEEL_ETIMEDOUT);
	expect_eq(reply_n(2)->label, -KEEL_ETIMEDOUT);
	expect_eq(model.tx_n, 0);
	after_first = 2L * UART_TX_SPINS; /* init's TEMT wait + the first write */
	if (model.n_access < after_first || model.n_access > after_first + 100)
		diag("%ld register accesses: want two full waits, then one look", model.n_access);
	expect_out("uart-8250: /soc/serial@10000000: transmitter never ready: output dropped\n");
}

/* DesignWare busy detect on an IRQ: USR is read, the IRQ acked, nothing breaks. */
static void dw_busy_detect_on_irq(void)
{
	char *argv[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x10000",
			 "irq=32",    "reg-shift=2",	      "reg-io-width=4" };
	int usr_reads = 0;

	fake_reset();
	model_dw_apb_uart();
	ev_connect(7, 0);
	ev_call(7, CON_READ, 8);
	ev_notify(NULL);
	ev_notify("k");
	ev_call(7, CON_READ, 8);
	/* Busy detect pending from the start: init does not read USR, the first IRQ does. */
	model.busy_irq = 1;
	expect_eq(run_server(&v8250, 6, argv), SERVED);
	expect_eq(fk.acks, 2);
	expect_eq(reply_n(2)->w0, 1);
	expect_eq(model.busy_irq, 0);
	for (long i = 0; i < model.n_access && i < MODEL_LOG_MAX; i++)
		usr_reads += model.log[i].off == (unsigned long)DW_UART_USR << 2;
	expect_eq(usr_reads, 1);
	expect_eq(model.violations, 0);
}

/* A caller that died before its reply: the server receives again at once, no sleep. */
static void dead_caller(void)
{
	fake_reset();
	ev_connect(7, 0);
	fk.ev[0].dead = 1;
	ev_connect(8, 1);
	ev_call(8, CON_READ, 1);
	expect_eq(run_virt(), SERVED);
	expect_eq(fk.sleeps, 0);
	expect_eq(reply_n(0)->pid, 8);
	expect_eq(reply_n(0)->label, 0);
	expect_eq(reply_n(1)->pid, 8);
	/* 7's notification copy was closed although the reply failed. */
	expect_open_slots(2);
}

/* A receive error (no sender left): said once, then sleep-and-poll, never a hot loop. */
static void receive_error_sleeps(void)
{
	fake_reset();
	for (int i = 0; i < 3; i++) {
		struct event *e = ev_add(EV_ERROR);

		e->err = -KEEL_EPEER;
	}
	expect_eq(run_virt(), SERVED);
	expect_eq(fk.sleeps, 3);
	expect_out("uart-8250: /soc/serial@10000000: receive: peer gone\n");
}

static void bad_arguments_exit(void)
{
	char *no_reg[] = { "uart-8250", "/soc/serial@10000000", "irq=10" };
	char *small[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x10", "reg-shift=2",
			  "reg-io-width=4" };
	char *layout[] = { "uart-sifive", "/soc/serial@10010000", "reg=0x10010000,0x1000",
			   "reg-io-width=1" };
	char *baud[] = { "uart-8250", "/soc/serial@10000000", "reg=0x10000000,0x100",
			 "clock-frequency=1000", "current-speed=115200" };

	fake_reset();
	model_ns16550a();
	expect_eq(run_server(&v8250, 3, no_reg), 2);
	expect_out("uart-8250: no reg=<pa>,<size>\nusage: uart-8250 <node path>");
	fake_reset();
	expect_eq(run_server(&v8250, 5, small), 2);
	expect_out("uart-8250: /soc/serial@10000000: reg size 0x10 is smaller than the "
		   "registers (0x20)\n");
	fake_reset();
	expect_eq(run_server(&vsifive, 4, layout), 2);
	expect_out("uart-sifive: /soc/serial@10010000: reg-shift 2 with reg-io-width 1 is not "
		   "a layout this driver knows\n");
	fake_reset();
	model_ns16550a();
	expect_eq(run_server(&v8250, 5, baud), 1);
	expect_out("uart-8250: /soc/serial@10000000: init: clock-frequency cannot make "
		   "current-speed\n");
	expect_eq(model.n_access, 0);
	expect_eq(fk.readies, 0);
}

static void mmap_failure_exits(void)
{
	fake_reset();
	fk.mmap_fail = -KEEL_EDENIED;
	model_ns16550a();
	expect_eq(run_server(&v8250, VIRT_ARGC, virt_argv), 1);
	expect_out("uart-8250: /soc/serial@10000000: cannot map reg 0x10000000 size 0x100: "
		   "denied\n");
	expect_eq(model.n_access, 0);
	expect_eq(fk.readies, 0);
}

/* The parent refuses the name: the server says so and serves anyway. */
static void ready_refused(void)
{
	fake_reset();
	fk.ready_reply = -KEEL_EBUSY;
	ev_connect(7, 0);
	expect_eq(run_virt(), SERVED);
	expect_out("uart-8250: /soc/serial@10000000: cannot report ready as \"console-uart\": "
		   "busy\n");
	expect_eq(reply_n(0)->label, 0);
}

/* clang-format off */
static const struct tap_case cases[] = {
	CASE(start_virt_console),
	CASE(start_dw_offset_window),
	CASE(start_sifive),
	CASE(connect_write_read),
	CASE(notify_only_waiting_clients),
	CASE(refuses_bad_requests),
	CASE(eight_clients),
	CASE(gone_clients_make_room),
	CASE(no_reap_from_a_partial_list),
	CASE(ring_overflow_drops_newest),
	CASE(polls_without_irq),
	CASE(bind_failure_polls),
	CASE(tx_stuck_write_fails),
	CASE(dw_busy_detect_on_irq),
	CASE(dead_caller),
	CASE(receive_error_sleeps),
	CASE(bad_arguments_exit),
	CASE(mmap_failure_exits),
	CASE(ready_refused),
};
/* clang-format on */

UART_TEST_MAIN(cases)
