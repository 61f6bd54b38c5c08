/*
 * grants.c - reg= and irq= in a driver's argv (grants.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grants.h"

int keel_grant_u64(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -1; /* strtoull would take a sign or blanks */
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || *end || n > max)
		return -1;
	*v = n;
	return 0;
}

int keel_grant_reg(const char *val, uint64_t *pa, uint64_t *size)
{
	const char *comma = strchr(val, ',');
	char head[24];

	if (!comma || (size_t)(comma - val) >= sizeof(head))
		return -1;
	memcpy(head, val, (size_t)(comma - val));
	head[comma - val] = '\0';
	if (keel_grant_u64(head, UINT64_MAX, pa) || keel_grant_u64(comma + 1, UINT64_MAX, size))
		return -1;
	return *size && *pa + *size > *pa ? 0 : -1;
}

int keel_grant_irq(const char *val, long *irq)
{
	uint64_t n;

	if (!strcmp(val, "-1")) {
		*irq = KEEL_GRANT_IRQ_NONE;
		return 0;
	}
	if (keel_grant_u64(val, KEEL_GRANT_IRQ_MAX, &n) || n == 0)
		return -1;
	*irq = (long)n;
	return 0;
}

int keel_grant_parse(int argc, char *const argv[], struct keel_grant *g)
{
	int have_reg = 0;

	*g = (struct keel_grant){ .irq = KEEL_GRANT_IRQ_NONE };
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "reg=", 4)) {
			if (keel_grant_reg(argv[i] + 4, &g->pa, &g->size))
				return -1;
			have_reg = 1;
		} else if (!strncmp(argv[i], "irq=", 4) && keel_grant_irq(argv[i] + 4, &g->irq)) {
			return -2;
		}
	}
	return have_reg ? 0 : -1;
}
