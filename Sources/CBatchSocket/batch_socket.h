#ifndef ABUSE_INGEST_BATCH_SOCKET_H
#define ABUSE_INGEST_BATCH_SOCKET_H

#include <sys/socket.h>

/// Linux's batched datagram calls (recvmmsg(2), sendmmsg(2)), which glibc declares only
/// under _GNU_SOURCE and Swift's Glibc module therefore lacks: the same layout as
/// `struct mmsghdr`, the same symbols.
struct abuse_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/// recvmmsg's flag: block for the first datagram only.
#define ABUSE_MSG_WAITFORONE 0x10000

extern int abuse_recvmmsg(int fd, struct abuse_mmsghdr *vector, unsigned int length, int flags, void *timeout) __asm__("recvmmsg");
extern int abuse_sendmmsg(int fd, struct abuse_mmsghdr *vector, unsigned int length, int flags) __asm__("sendmmsg");

/// sched_getaffinity(2), also behind _GNU_SOURCE: the CPUs this process may run on, as a
/// bit mask of `size` bytes.
extern int abuse_sched_getaffinity(int pid, unsigned long size, void *mask) __asm__("sched_getaffinity");

#endif
