/*
 * devtree_test.c - devmgr's device-tree reading (servers/devmgr/devtree.c)
 * on the host: `devtree_test FILE.dtb` prints what devmgr would do with
 * each device, one line each, for tests/devmgr/test_devtree.py:
 *
 *	console: <path> | none
 *	start: <the driver's argv, space-separated>
 *	skip: <path>: <compatible>: <why>
 *	none: <path>: <first compatible>
 *
 * (devmgr itself also probes virtio-mmio slots, which needs the device:
 * here every virtio,mmio node is a "start".) Exit status: 0, 1 when the
 * tree is refused, 2 on usage or I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devtree.h"

static struct devtree tree; /* large: not on the stack */

static void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	void *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "devtree_test: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "devtree_test: %s: cannot read\n", path);
		exit(2);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void print_start(const struct devtree_dev *d)
{
	char *argv[DEVTREE_ARGV_MAX], buf[DEVTREE_ARGS_SIZE];
	int n = devtree_argv(d, argv, buf, sizeof(buf));

	if (n < 0) {
		printf("skip: %s: %s: arguments too long\n", d->path, d->drv->compatible);
		return;
	}
	printf("start:");
	for (int i = 0; i < n; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct devtree_dev d;
	char why[128];
	size_t len;
	void *blob;

	if (argc != 2) {
		fprintf(stderr, "usage: devtree_test FILE.dtb\n");
		return 2;
	}
	blob = read_file(argv[1], &len);
	if (devtree_init(&tree, blob, len, why, sizeof(why))) {
		printf("devtree: %s\n", why);
		free(blob);
		return 1;
	}
	if (tree.stdout_node >= 0) {
		/* The console's line comes from the walk; say only that there is one. */
		printf("console: yes\n");
	} else {
		printf("console: none\n");
	}
	while (devtree_next(&tree, &d)) {
		if (!d.drv)
			printf("none: %s: %s\n", d.path, d.compatible);
		else if (d.skip != DEVTREE_OK)
			printf("skip: %s: %s: %s\n", d.path, d.drv->compatible,
			       devtree_skip_str(d.skip));
		else
			print_start(&d);
	}
	free(blob);
	return 0;
}
