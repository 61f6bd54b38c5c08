/*
 * uaccess.c - checked copies between kernel and user memory, page by
 * page through as_kva(). The task's own address space is only changed by
 * the task itself, so a page checked here stays mapped during the copy.
 */
#include "uaccess.h"
#include "as.h"
#include "arch/riscv.h"
#include "lib/string.h"

static int uaccess_copy(struct as *as, uintptr_t uva, void *kbuf, size_t n, bool to_user)
{
	while (n) {
		size_t chunk = MIN(n, PAGE_SIZE - (uva & (PAGE_SIZE - 1)));
		void *k = as_kva(as, uva, to_user ? PTE_W : PTE_R);

		if (!k)
			return -KEEL_EINVAL;
		if (to_user)
			memcpy(k, kbuf, chunk);
		else
			memcpy(kbuf, k, chunk);
		uva += chunk;
		kbuf = (char *)kbuf + chunk;
		n -= chunk;
	}
	return 0;
}

int copy_from_user(struct as *as, void *dst, uintptr_t src, size_t n)
{
	if (src + n < src)
		return -KEEL_EINVAL;
	return uaccess_copy(as, src, dst, n, false);
}

int copy_to_user(struct as *as, uintptr_t dst, const void *src, size_t n)
{
	if (dst + n < dst)
		return -KEEL_EINVAL;
	return uaccess_copy(as, dst, (void *)src, n, true);
}

long strncpy_from_user(struct as *as, char *dst, uintptr_t src, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		const char *k = as_kva(as, src + i, PTE_R);

		if (!k)
			return -KEEL_EINVAL;
		dst[i] = *k;
		if (!*k)
			return (long)i;
	}
	return -KEEL_ERANGE; /* no NUL within @max */
}
