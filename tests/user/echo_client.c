/*
 * echo_client.c - the echo server's client, for tests/boot/test_servers.py:
 * sends its arguments and prints "echo[<server pid>]: <what came back>".
 */
#include <stdio.h>
#include <string.h>

#include "client.h"

int main(int argc, char **argv)
{
	char text[256];
	size_t n = 0;
	long pid = 0, got;

	text[0] = '\0';
	for (int i = 1; i < argc; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", i > 1 ? " " : "",
				      argv[i]);
	got = keel_echo(text, n, &pid);
	if (got < 0) {
		printf("echo-client: %s\n", keel_strerror(got));
		return 1;
	}
	printf("echo[%ld]: %.*s\n", pid, (int)got, text);
	return 0;
}
