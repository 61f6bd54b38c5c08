/*
 * irq_bench.c - how long a device interrupt takes to reach its user-level
 * driver: from the moment the device raises its line to the driver's
 * notification wait returning.
 *
 * tests/bench/bench.py runs it as init (it needs the control handle) on
 * one hart under QEMU -icount shift=0,sleep=off -rtc clock=vm, with the address
 * and interrupt of QEMU virt's goldfish RTC after "--":
 *
 *     rdinit=/bin/irq_bench -- reg=0x101000,0x1000 irq=11
 *
 * The RTC is the device because its alarm fires at a time we choose, in
 * virtual nanoseconds, while this task is blocked and the hart sleeps in
 * wfi: that is the path a driver's interrupt takes (PLIC claim, the
 * notification signalled, the driver woken and switched to). Each round
 * sets the alarm a little ahead, waits, and reads the RTC once the wait
 * returns: that reading less the alarm's time is the latency, and under
 * -icount shift=0 a virtual nanosecond is one instruction. sleep=off:
 * while every hart idles in wfi QEMU moves virtual time straight to the
 * alarm (with sleep=on it follows the host's clock, and the figure
 * carries the host's noise).
 *
 * Prints "irq_bench: irq_to_user <median> over <rounds>" and the min and
 * max likewise, then "irq_bench: done", and powers off.
 */
#include <stdio.h>
#include <stdlib.h>

#include "grants.h"
#include "keel.h"

/* QEMU hw/rtc/goldfish_rtc.c: times are nanoseconds; reading TIME_LOW latches TIME_HIGH. */
#define RTC_TIME_LOW	    0x00
#define RTC_TIME_HIGH	    0x04
#define RTC_ALARM_LOW	    0x08 /* writing it arms the alarm */
#define RTC_ALARM_HIGH	    0x0c
#define RTC_IRQ_ENABLED	    0x10
#define RTC_CLEAR_INTERRUPT 0x1c

#define ROUNDS	 200
#define AHEAD_NS 200000 /* far enough that we are blocked by then */

static volatile uint32_t *rtc;

static uint64_t rtc_now(void)
{
	uint64_t lo = rtc[RTC_TIME_LOW / 4];

	return (uint64_t)rtc[RTC_TIME_HIGH / 4] << 32 | lo;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void done(void)
{
	printf("irq_bench: done\n");
	fflush(stdout);
	if (keel_getpid() == 1)
		keel_reboot(KEEL_H_INIT_CONTROL, KEEL_REBOOT_POWEROFF);
	exit(0);
}

int main(int argc, char **argv)
{
	static uint64_t lat[ROUNDS];
	struct keel_grant g;
	long mmio, va, notif, irq;
	unsigned long bits;

	if (keel_grant_parse(argc, argv, &g) || g.irq == KEEL_GRANT_IRQ_NONE) {
		printf("irq_bench: usage: irq_bench reg=<pa>,<size> irq=<n>\n");
		done();
	}
	mmio = keel_mmio_create(KEEL_H_INIT_CONTROL, g.pa & ~4095ULL, 4096);
	va = mmio < 0 ? mmio : keel_mmap(mmio, 0, 4096, KEEL_PROT_READ | KEEL_PROT_WRITE);
	notif = keel_notif_create();
	irq = notif < 0 ? notif
			: keel_irq_create(KEEL_H_INIT_CONTROL, (unsigned int)g.irq, notif, 1);
	if (va < 0 || irq < 0) {
		printf("irq_bench: cannot reach the RTC: %s\n", keel_strerror(va < 0 ? va : irq));
		done();
	}
	rtc = (volatile uint32_t *)(va + (long)(g.pa & 4095));
	rtc[RTC_IRQ_ENABLED / 4] = 1;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t at = rtc_now() + AHEAD_NS;

		rtc[RTC_ALARM_HIGH / 4] = (uint32_t)(at >> 32);
		rtc[RTC_ALARM_LOW / 4] = (uint32_t)at;
		if (keel_notif_wait(notif, &bits)) {
			printf("irq_bench: wait failed\n");
			done();
		}
		lat[i] = rtc_now() - at;
		rtc[RTC_CLEAR_INTERRUPT / 4] = 1;
		keel_irq_ack(irq);
	}
	qsort(lat, ROUNDS, sizeof(lat[0]), cmp);
	printf("irq_bench: irq_to_user %llu over %d\n", (unsigned long long)lat[ROUNDS / 2],
	       ROUNDS);
	printf("irq_bench: irq_to_user_min %llu over %d\n", (unsigned long long)lat[0], ROUNDS);
	printf("irq_bench: irq_to_user_max %llu over %d\n", (unsigned long long)lat[ROUNDS - 1],
	       ROUNDS);
	done();
}
