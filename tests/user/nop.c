/*
 * nop.c - exits 0 at once. ipc_bench spawns and waits for it in a loop:
 * what starting a small ELF, its exit and the parent's wait cost
 * (crt0 and main only; --gc-sections keeps the rest of libkeel out).
 */
int main(void)
{
	return 0;
}
