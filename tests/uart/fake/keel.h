/*
 * fake/keel.h - stands in for servers/lib/keel.h when uart_server.c and
 * servers/lib/clients.c are built on the host
 * (tests/uart/uart_server_test.c): the same names and types, but plain
 * functions the test defines, over a fake kernel.
 * Keep the declarations in step with servers/lib/keel.h, and the include
 * guard the same: servers/uart/uart.ninja relies on it.
 */
#ifndef KEEL_USER_H
#define KEEL_USER_H

#include <stddef.h>
#include <stdint.h>

#include "keel/syscall.h"

struct keel_msg {
	unsigned long label;
	unsigned long w[4];
	long handle;
};

long keel_handle_close(long h);
long keel_handle_dup(long h, unsigned int rights);
long keel_ep_create(void);
long keel_ep_bind(long ep, long notif);
long keel_notif_create(void);
long keel_notif_signal(long h, unsigned long bits);
long keel_irq_ack(long irq);
long keel_mmap(long h, uintptr_t va, size_t size, int prot);
long keel_munmap(void *va, size_t size);
long keel_ipc_call(long h, const struct keel_msg *in, struct keel_msg *out);
long keel_ipc_recv(long h, struct keel_msg *out);
long keel_ipc_reply(const struct keel_msg *reply);
long keel_ipc_reply_recv(long h, const struct keel_msg *reply, struct keel_msg *out);
long keel_ipc_recv_timeout(long h, struct keel_msg *out, uint64_t us);
void keel_sleep_us(uint64_t us);
long keel_ps(struct keel_ps *buf, unsigned long max);
const char *keel_strerror(long err);

#endif
