/* hello.c - a picolibc program with text, rodata, data, bss and TLS (errno). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int counter = 41;    /* .data */
char scratch[12288]; /* .bss, spanning pages */

int main(int argc, char **argv)
{
	scratch[argc] = (char)counter;
	errno = 0;
	printf("hello from %s: %d %s\n", argc ? argv[0] : "?", scratch[argc] + 1, strerror(ENOENT));
	return 0;
}
