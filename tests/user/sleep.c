/*
 * sleep.c - /bin/sleep [SECONDS]: says it sleeps, then sleeps that long
 * (default: until killed), then says it woke. The shell's Ctrl-C test
 * runs it in the foreground, its redraw test in the background
 * (tests/boot/test_shell.py).
 */
#include <stdio.h>
#include <stdlib.h>

#include "keel.h"

int main(int argc, char **argv)
{
	char *end;
	long s = argc > 1 ? strtol(argv[1], &end, 10) : -1;

	if (argc > 1 && (*end || s < 0)) {
		printf("sleep: %s: not a number of seconds\n", argv[1]);
		return 2;
	}
	printf("sleep: pid %d sleeping %s%s\n", keel_getpid(), argc > 1 ? argv[1] : "forever",
	       argc > 1 ? " s" : "");
	fflush(stdout);
	for (long i = 0; s < 0 || i < s; i++)
		keel_sleep_us(1000000);
	printf("sleep: pid %d woke after %ld s\n", keel_getpid(), s);
	return 0;
}
