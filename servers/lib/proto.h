/*
 * proto.h - the IPC protocols Keel's servers speak (docs/servers.md).
 *
 * Every message is a label and four words in registers, plus at most one
 * handle (keel.h, struct keel_msg). Bulk data goes through a memory
 * object the client shares at CONNECT time: the client makes it
 * (keel_mem_create), maps it, and passes its handle; the server maps it
 * too and keeps one per client pid. A reply's label is 0 or -KEEL_E*.
 *
 * Slot 0 of every server init or devmgr starts is a send handle to its
 * parent's endpoint (PROTO_H_PARENT); init's endpoint also serves names.
 */
#ifndef KEEL_PROTO_H
#define KEEL_PROTO_H

#define PROTO_H_PARENT 0 /* send: the parent's endpoint */
/* The shell's control handle (power, hotplug, kill), after PROTO_H_PARENT. */
#define PROTO_H_SHELL_CONTROL 1

/*
 * What spawn takes (core/syscall.c, docs/syscalls.md): strings of at most
 * PROTO_SPAWN_STR_MAX bytes (SYS_ARG_MAX, 1024, with the NUL), 62 of
 * argv and of envp each, 16 KiB of strings in all.
 */
#define PROTO_SPAWN_STR_MAX   1023
#define PROTO_SPAWN_STRS_MAX  62
#define PROTO_SPAWN_BYTES_MAX 16384

/* A name travels in the four words: up to 32 bytes, NUL-padded. */
#define PROTO_NAME_MAX 32

/* --- to the parent (init, devmgr) ----------------------------------------- */

/* w = the name to register (may be empty); handle = a send handle to the server's endpoint. */
#define PROTO_READY 0x100
/* w = a name; reply handle = a send handle to its endpoint, label -KEEL_ENOENT if none. */
#define PROTO_LOOKUP 0x101
/* As READY, but only registers the name (for another task); from devmgr only. */
#define PROTO_REGISTER 0x102
/*
 * Start a driver and supervise it (to init, from devmgr only: a server
 * init gave the devices grant). handle = a memory object (map-read)
 * holding "<binary>\0<node path>\0reg=<pa>,<size>\0irq=<n>\0..." (the
 * driver's argv, binary first), w0 = its bytes (at most 512). Init makes
 * the driver's DRV_H_* handles itself from reg= and irq= (grants.h),
 * fresh at every restart. Reply w0 = the driver's pid (the running one's,
 * if that binary already drives that node).
 */
#define PROTO_SPAWN 0x103

/*
 * --- device drivers, as devmgr starts them -----------------------------------
 *
 * argv: <binary> <node path> reg=<pa>,<size> irq=<n> [key=value...] from
 * the node's properties (reg-shift=, reg-io-width=, clock-frequency=,
 * current-speed=), and "console" if it is /chosen's stdout-path.
 * Handles: slot 0 the parent, 1 the node's first register window
 * (map it read-write), 2 a notification (wait) its interrupt signals
 * with bit 0, 3 the interrupt itself (keel_irq_ack after each one).
 * Slots 2 and 3 are absent (-1 in argv's irq=) for a node without one.
 */
#define DRV_H_MMIO	1
#define DRV_H_IRQ_NOTIF 2
#define DRV_H_IRQ	3

/* --- console: the UART drivers and the console server ------------------- */

#define PROTO_SHARED_SIZE 4096 /* the memory a client shares */

/* handle = the client's shared memory; reply handle = a notification signalled on input. */
#define CON_CONNECT 0x200
/* w0 = bytes at the start of the shared page to write; reply w0 = bytes written. */
#define CON_WRITE 0x201
/* w0 = at most this many bytes; reply w0 = bytes put in the shared page (0: none yet). */
#define CON_READ 0x202

/* --- block devices --------------------------------------------------------- */

#define BLK_SHARED_SIZE 65536 /* the memory a client shares */

/* handle = the client's shared memory. */
#define BLK_CONNECT 0x300
/* reply w0 = sectors, w1 = bytes per sector (512). */
#define BLK_INFO 0x301
/* w0 = first sector, w1 = sectors, w2 = offset in the shared memory. */
#define BLK_READ  0x302
#define BLK_WRITE 0x303
/* Everything written reaches the medium before the reply. */
#define BLK_FLUSH 0x304

/* --- file system ------------------------------------------------------------ */

/*
 * A path is a NUL-terminated string at the start of the shared memory;
 * data goes at FS_DATA (at most FS_DATA_MAX bytes a call).
 */
#define FS_SHARED_SIZE 16384
#define FS_PATH_MAX    256
#define FS_DATA	       FS_PATH_MAX
#define FS_DATA_MAX    (FS_SHARED_SIZE - FS_DATA)

#define FS_CONNECT 0x400 /* handle = the client's shared memory */
#define FS_STAT	   0x401 /* path; reply w0 = size, w1 = mode (S_IF*) */
/* path, w0 = offset, w1 = bytes; reply w0 = bytes at FS_DATA */
#define FS_READ 0x402
/* path, w0 = offset, w1 = bytes at FS_DATA, w2 = FS_O_*; reply w0 = bytes */
#define FS_WRITE 0x403
/* path, w0 = index; reply w0 = 1 (name at FS_DATA, w1 = mode, w2 = size) or 0 past the end */
#define FS_READDIR 0x404
#define FS_MKDIR   0x405 /* path */
#define FS_UNLINK  0x406 /* path: a file, or an empty directory */
#define FS_SYNC	   0x407 /* write everything back to the disk; w0 = FS_SYNC_* */

#define FS_SYNC_FINAL 1 /* then refuse changes: the machine is going down */

#define FS_O_CREATE 1
#define FS_O_TRUNC  2
#define FS_O_APPEND 4

/* --- echo: the smallest whole server (servers/echo, docs/hacking.md) ------- */

#define ECHO_SHARED_SIZE 4096
#define ECHO_CONNECT	 0x500 /* handle = the client's shared memory */
/* w0 = bytes at the start of the shared page; reply w0 = the same count, w1 = the server's pid. */
#define ECHO_ECHO 0x501

/* Pack @name (at most PROTO_NAME_MAX bytes used) into a message's words, NUL-padded. */
static inline void proto_name_pack(const char *name, unsigned long w[4])
{
	char *b = (char *)w;
	unsigned int i = 0;

	for (; name && name[i] && i < PROTO_NAME_MAX; i++)
		b[i] = name[i];
	for (; i < PROTO_NAME_MAX; i++)
		b[i] = 0;
}

/* The name in a message's words, NUL-terminated in @out (PROTO_NAME_MAX + 1 bytes). */
static inline void proto_name_unpack(const unsigned long w[4], char *out)
{
	const char *b = (const char *)w;
	unsigned int i = 0;

	for (; i < PROTO_NAME_MAX && b[i]; i++)
		out[i] = b[i];
	out[i] = 0;
}

#endif
