/*
 * hello.c - the smallest server: says who and where it is, and returns.
 * It proves the initcall path (spawn, argv and environment, exit code)
 * before real servers arrive.
 */
#include <stdio.h>

#include "keel.h"

int main(int argc, char **argv)
{
	printf("%s: pid %d, parent %d, %d argument%s%s%s\n", argv[0], keel_getpid(), keel_getppid(),
	       argc - 1, argc == 2 ? "" : "s", argc > 1 ? ": " : "", argc > 1 ? argv[1] : "");
	return 0;
}
