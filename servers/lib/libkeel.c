/*
 * libkeel.c - what picolibc needs from the system, and program start:
 * stdin/stdout/stderr on the console system calls, _exit, a heap for
 * malloc (sbrk over a fixed arena), and keel_start() calling main().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "keel.h"

#define KEEL_HEAP_SIZE (1024 * 1024)

char **environ;

int main(int argc, char **argv, char **envp);
void keel_start(int argc, char **argv, char **envp);

/*
 * Output is line-buffered: one write per line keeps the lines of
 * programs running at once on different harts from mixing.
 */
static char keel_outbuf[256];
static size_t keel_outlen;

/*
 * Once init has a console server (it says so with KEEL_CONSOLE in the
 * environment), standard input and output go through it; before, and
 * whenever it cannot be reached, through the core's console calls.
 */
static int keel_flush(FILE *f)
{
	long n = 0;

	if (keel_outlen && keel_use_console())
		n = keel_con_write(keel_outbuf, keel_outlen);
	if (keel_outlen && (!keel_use_console() || n < 0))
		n = keel_write(1, keel_outbuf, keel_outlen);

	(void)f;
	keel_outlen = 0;
	return n < 0 ? EOF : 0;
}

static int keel_putc(char c, FILE *f)
{
	keel_outbuf[keel_outlen++] = c;
	if (c == '\n' || keel_outlen == sizeof(keel_outbuf))
		if (keel_flush(f))
			return EOF;
	return (unsigned char)c;
}

static int keel_getc(FILE *f)
{
	static char in[64];
	static size_t in_len, in_pos;
	long n;

	keel_flush(f); /* a prompt shows before we wait for input */
	if (in_pos < in_len)
		return (unsigned char)in[in_pos++];
	n = keel_tty_read(in, sizeof(in), 1);
	if (n <= 0)
		return EOF;
	in_len = (size_t)n;
	in_pos = 1;
	return (unsigned char)in[0];
}

/* picolibc's tinystdio: the program supplies its standard streams. */
static FILE keel_stdio = FDEV_SETUP_STREAM(keel_putc, keel_getc, keel_flush, _FDEV_SETUP_RW);
FILE *const stdin = &keel_stdio;
FILE *const stdout = &keel_stdio;
FILE *const stderr = &keel_stdio;

void _exit(int code)
{
	keel_flush(stdout);
	keel_exit(code);
}

/*
 * The heap: fresh memory the core maps on demand, upwards from
 * KEEL_HEAP_BASE, KEEL_HEAP_STEP at a time (a program that never calls
 * malloc costs nothing), up to KEEL_HEAP_SIZE.
 */
#define KEEL_HEAP_BASE 0x0000000800000000UL
#define KEEL_HEAP_STEP (64 * 1024)
static size_t keel_brk, keel_mapped;

void *sbrk(ptrdiff_t incr)
{
	if (incr < 0 || (size_t)incr > KEEL_HEAP_SIZE - keel_brk)
		return (void *)-1;
	while (keel_brk + (size_t)incr > keel_mapped) {
		long va = keel_mmap(KEEL_HANDLE_NONE, KEEL_HEAP_BASE + keel_mapped, KEEL_HEAP_STEP,
				    KEEL_PROT_READ | KEEL_PROT_WRITE);

		if (va < 0)
			return (void *)-1;
		keel_mapped += KEEL_HEAP_STEP;
	}
	keel_brk += (size_t)incr;
	return (char *)KEEL_HEAP_BASE + keel_brk - incr;
}

const char *keel_strerror(long err)
{
#define KEEL_ERR_NAME(name, num, text) [num] = text,
	static const char *const names[] = { [0] = "success", KEEL_ERRNO_LIST(KEEL_ERR_NAME) };
#undef KEEL_ERR_NAME

	if (err < 0)
		err = -err;
	return (size_t)err < sizeof(names) / sizeof(names[0]) && names[err] ? names[err]
									    : "unknown error";
}

int keel_own_ps(struct keel_ps *buf, unsigned long max, const struct keel_ps **me)
{
	long n = keel_ps(buf, max), pid = keel_getpid();

	for (long i = 0; i < n; i++) {
		if (buf[i].pid == pid) {
			*me = &buf[i];
			return 0;
		}
	}
	return -1;
}

extern char __tls_base[];
void _init_tls(void *tls);
void _set_tls(void *tls);

void keel_start(int argc, char **argv, char **envp)
{
	/* picolibc keeps errno and friends in TLS: set tp up before any libc call. */
	_init_tls(__tls_base);
	_set_tls(__tls_base);
	environ = envp;
	exit(main(argc, argv, envp));
}
