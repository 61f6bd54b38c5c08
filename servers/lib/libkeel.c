/*
 * libkeel.c - what picolibc needs from the system, and program start:
 * stdin/stdout/stderr on the console system calls, _exit, a heap for
 * malloc (sbrk over a fixed arena), and keel_start() calling main().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel.h"

#define KEEL_HEAP_SIZE	(1024 * 1024)

char **environ;

int main(int argc, char **argv, char **envp);
void keel_start(int argc, char **argv, char **envp);

/*
 * Output is line-buffered: one write per line keeps the lines of
 * programs running at once on different harts from mixing.
 */
static char keel_outbuf[256];
static size_t keel_outlen;

static int keel_flush(FILE *f)
{
	long n = keel_outlen ? keel_write(1, keel_outbuf, keel_outlen) : 0;

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
	char c;

	keel_flush(f);		/* a prompt shows before we wait for input */
	return keel_read(0, &c, 1) == 1 ? (unsigned char)c : EOF;
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

static char keel_heap[KEEL_HEAP_SIZE] __attribute__((aligned(16)));
static size_t keel_brk;

void *sbrk(ptrdiff_t incr)
{
	if (incr < 0 || (size_t)incr > KEEL_HEAP_SIZE - keel_brk)
		return (void *)-1;
	keel_brk += (size_t)incr;
	return keel_heap + keel_brk - incr;
}

const char *keel_strerror(long err)
{
	static const char *const names[] = {
		"success", "invalid argument", "out of memory", "not supported", "busy",
		"no such file or object", "out of range", "denied", "timed out", "I/O error",
		"no such system call", "no such child", "peer gone", "would wait for itself",
	};

	if (err < 0)
		err = -err;
	return (size_t)err < sizeof(names) / sizeof(names[0]) ? names[err] : "unknown error";
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
