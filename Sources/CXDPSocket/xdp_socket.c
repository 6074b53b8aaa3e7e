#define _GNU_SOURCE
#include "xdp_socket.h"

#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

/// Frames per socket (half for receiving, half for answers), their size, and ring sizes.
#define FRAMES 4096
#define FRAME_SIZE 2048
#define RING_SIZE 2048
/// Longest frame the program hands over: a generic-mode frame keeps XDP's headroom.
#define LONGEST_FRAME (FRAME_SIZE - 256)
/// Ethernet (14) + IPv4 without options (20) + UDP (8).
#define HEADERS 42
_Static_assert(ABUSE_XDP_ANSWER_ROOM == FRAME_SIZE - HEADERS, "an answer fills its frame less the headers");

static void fail(char *error, size_t size, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int n = vsnprintf(error, size, format, arguments);
    va_end(arguments);
    if (errno != 0 && n >= 0 && (size_t)n < size) snprintf(error + n, size - n, ": %s", strerror(errno));
}

static long bpf(int command, union bpf_attr *attributes) {
    return syscall(__NR_bpf, command, attributes, sizeof(*attributes));
}

static struct bpf_insn instruction(uint8_t code, uint8_t dst, uint8_t src, int16_t offset, int32_t immediate) {
    struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = offset, .imm = immediate};
    return i;
}

int abuse_xdp_load(uint16_t port, uint32_t address, int queues, struct abuse_xdp_program *program, char *error, size_t size) {
    program->map_fd = program->program_fd = program->link_fd = -1;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_XSKMAP;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = queues;
    errno = 0;
    int map = (int)bpf(BPF_MAP_CREATE, &a);
    if (map < 0) {
        fail(error, size, "cannot create the XDP socket map (needs CAP_BPF and CAP_NET_ADMIN, or root)");
        return -1;
    }
    // r1 = ctx. Every test that fails jumps to `pass`: the frame goes on to the kernel.
    struct bpf_insn code[40];
    int n = 0, jumps[16], nj = 0;
#define EMIT(...) (code[n++] = instruction(__VA_ARGS__))
#define TO_PASS(...) (jumps[nj++] = n, EMIT(__VA_ARGS__))
    EMIT(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0);  // r2 = data
    EMIT(BPF_LDX | BPF_W | BPF_MEM, 3, 1, 4, 0);  // r3 = data_end
    EMIT(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0);
    EMIT(BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, HEADERS);
    TO_PASS(BPF_JMP | BPF_JGT | BPF_X, 4, 3, 0, 0);  // shorter than the headers
    EMIT(BPF_ALU64 | BPF_MOV | BPF_X, 4, 3, 0, 0);
    EMIT(BPF_ALU64 | BPF_SUB | BPF_X, 4, 2, 0, 0);
    TO_PASS(BPF_JMP | BPF_JGT | BPF_K, 4, 0, 0, LONGEST_FRAME);  // longer than a frame
    // Loads are little-endian: the constants are the wire bytes read that way.
    EMIT(BPF_LDX | BPF_H | BPF_MEM, 5, 2, 12, 0);
    TO_PASS(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, 0x0008);  // EtherType IPv4
    EMIT(BPF_LDX | BPF_B | BPF_MEM, 5, 2, 14, 0);
    TO_PASS(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, 0x45);  // version 4, no options
    EMIT(BPF_LDX | BPF_H | BPF_MEM, 5, 2, 20, 0);
    EMIT(BPF_ALU64 | BPF_AND | BPF_K, 5, 0, 0, 0xff3f);
    TO_PASS(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, 0);  // a fragment (MF or an offset)
    EMIT(BPF_LDX | BPF_B | BPF_MEM, 5, 2, 23, 0);
    TO_PASS(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, 17);  // UDP
    EMIT(BPF_LDX | BPF_H | BPF_MEM, 5, 2, 36, 0);
    TO_PASS(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)__builtin_bswap16(port));  // destination port
    if (address != 0) {
        EMIT(BPF_LDX | BPF_W | BPF_MEM, 5, 2, 30, 0);
        TO_PASS(BPF_JMP32 | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)address);  // destination address
    }
    EMIT(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 16, 0);  // r2 = rx_queue_index
    EMIT(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map);
    EMIT(0, 0, 0, 0, 0);
    EMIT(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, XDP_PASS);  // no socket on that queue: pass
    EMIT(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map);
    EMIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    int pass = n;
    EMIT(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, XDP_PASS);
    EMIT(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
#undef EMIT
#undef TO_PASS
    for (int k = 0; k < nj; k++) code[jumps[k]].off = (int16_t)(pass - jumps[k] - 1);

    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_XDP;
    a.insns = (uint64_t)(uintptr_t)code;
    a.insn_cnt = n;
    a.license = (uint64_t)(uintptr_t) "Dual BSD/GPL";
    char log[4096];
    log[0] = 0;
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    errno = 0;
    int fd = (int)bpf(BPF_PROG_LOAD, &a);
    if (fd < 0) {
        int saved = errno;
        close(map);
        errno = saved;
        fail(error, size, "the kernel refused the XDP program (%.200s)", log);
        return -1;
    }
    program->map_fd = map;
    program->program_fd = fd;
    return 0;
}

int abuse_xdp_attach(struct abuse_xdp_program *program, int ifindex, char *error, size_t size) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = program->program_fd;
    a.link_create.target_ifindex = ifindex;
    a.link_create.attach_type = BPF_XDP;
    a.link_create.flags = 0;  // native where the driver has it
    errno = 0;
    int link = (int)bpf(BPF_LINK_CREATE, &a);
    if (link < 0 && errno != EBUSY) {
        a.link_create.flags = XDP_FLAGS_SKB_MODE;
        errno = 0;
        link = (int)bpf(BPF_LINK_CREATE, &a);
    }
    if (link < 0) {
        fail(error, size, errno == EBUSY ? "another XDP program is attached to the interface" : "cannot attach the XDP program");
        return -1;
    }
    program->link_fd = link;
    return 0;
}

void abuse_xdp_unload(struct abuse_xdp_program *program) {
    if (program->link_fd >= 0) close(program->link_fd);
    if (program->program_fd >= 0) close(program->program_fd);
    if (program->map_fd >= 0) close(program->map_fd);
    program->map_fd = program->program_fd = program->link_fd = -1;
}

struct ring {
    uint32_t *producer;
    uint32_t *consumer;
    void *descriptors;
    void *mapping;
    size_t length;
};

struct abuse_xdp_socket {
    int fd;
    uint8_t *frames;
    struct ring rx, tx, fill, completion;
    uint32_t rx_next, tx_next, fill_next, completion_next;
    uint64_t free_frames[FRAMES / 2];
    int free_count;
    uint64_t malformed;
};

static int map_ring(int fd, const struct xdp_ring_offset *offsets, off_t page, size_t entry, struct ring *ring) {
    ring->length = offsets->desc + RING_SIZE * entry;
    void *m = mmap(NULL, ring->length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, page);
    if (m == MAP_FAILED) return -1;
    ring->mapping = m;
    ring->producer = (uint32_t *)((uint8_t *)m + offsets->producer);
    ring->consumer = (uint32_t *)((uint8_t *)m + offsets->consumer);
    ring->descriptors = (uint8_t *)m + offsets->desc;
    return 0;
}

void abuse_xdp_close(struct abuse_xdp_socket *s) {
    if (s == NULL) return;
    if (s->fd >= 0) close(s->fd);
    struct ring *rings[] = {&s->rx, &s->tx, &s->fill, &s->completion};
    for (int i = 0; i < 4; i++)
        if (rings[i]->mapping != NULL) munmap(rings[i]->mapping, rings[i]->length);
    if (s->frames != NULL) munmap(s->frames, (size_t)FRAMES * FRAME_SIZE);
    free(s);
}

struct abuse_xdp_socket *abuse_xdp_open(int ifindex, int queue, const struct abuse_xdp_program *program, char *error, size_t size) {
    struct abuse_xdp_socket *s = calloc(1, sizeof *s);
    if (s == NULL) return NULL;
    errno = 0;
    s->fd = socket(AF_XDP, SOCK_RAW, 0);
    if (s->fd < 0) {
        fail(error, size, "cannot open an AF_XDP socket");
        abuse_xdp_close(s);
        return NULL;
    }
    void *frames = mmap(NULL, (size_t)FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (frames == MAP_FAILED) {
        fail(error, size, "cannot map frame memory");
        abuse_xdp_close(s);
        return NULL;
    }
    s->frames = frames;
    struct xdp_umem_reg region = {.addr = (uint64_t)(uintptr_t)frames, .len = (uint64_t)FRAMES * FRAME_SIZE, .chunk_size = FRAME_SIZE, .headroom = 0};
    int ring_size = RING_SIZE;
    struct xdp_mmap_offsets offsets;
    socklen_t length = sizeof offsets;
    if (setsockopt(s->fd, SOL_XDP, XDP_UMEM_REG, &region, sizeof region) != 0
        || setsockopt(s->fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring_size, sizeof ring_size) != 0
        || setsockopt(s->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring_size, sizeof ring_size) != 0
        || setsockopt(s->fd, SOL_XDP, XDP_RX_RING, &ring_size, sizeof ring_size) != 0
        || setsockopt(s->fd, SOL_XDP, XDP_TX_RING, &ring_size, sizeof ring_size) != 0
        || getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &offsets, &length) != 0) {
        fail(error, size, "cannot set up the AF_XDP socket's rings");
        abuse_xdp_close(s);
        return NULL;
    }
    if (map_ring(s->fd, &offsets.rx, XDP_PGOFF_RX_RING, sizeof(struct xdp_desc), &s->rx) != 0
        || map_ring(s->fd, &offsets.tx, XDP_PGOFF_TX_RING, sizeof(struct xdp_desc), &s->tx) != 0
        || map_ring(s->fd, &offsets.fr, XDP_UMEM_PGOFF_FILL_RING, sizeof(uint64_t), &s->fill) != 0
        || map_ring(s->fd, &offsets.cr, XDP_UMEM_PGOFF_COMPLETION_RING, sizeof(uint64_t), &s->completion) != 0) {
        fail(error, size, "cannot map the AF_XDP socket's rings");
        abuse_xdp_close(s);
        return NULL;
    }
    // The first half of the frames receives; the second half carries answers.
    uint64_t *fill = s->fill.descriptors;
    for (int i = 0; i < FRAMES / 2; i++) fill[i] = (uint64_t)i * FRAME_SIZE;
    s->fill_next = FRAMES / 2;
    __atomic_store_n(s->fill.producer, s->fill_next, __ATOMIC_RELEASE);
    for (int i = 0; i < FRAMES / 2; i++) s->free_frames[i] = (uint64_t)(FRAMES / 2 + i) * FRAME_SIZE;
    s->free_count = FRAMES / 2;

    struct sockaddr_xdp address = {.sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = queue};
    uint32_t key = queue, value = s->fd;
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = program->map_fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)&value;
    if (bind(s->fd, (struct sockaddr *)&address, sizeof address) != 0) {
        if (errno == EBUSY)
            fail(error, size, "another AF_XDP socket holds queue %d of the interface (another serve-dns --xdp?)", queue);
        else
            fail(error, size, "cannot bind an AF_XDP socket to queue %d", queue);
        abuse_xdp_close(s);
        return NULL;
    }
    if (bpf(BPF_MAP_UPDATE_ELEM, &a) != 0) {
        fail(error, size, "cannot enter the AF_XDP socket into the map");
        abuse_xdp_close(s);
        return NULL;
    }
    return s;
}

static uint16_t read16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void write16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/// The one's-complement sum of `length` bytes (RFC 1071), folded to 16 bits.
static uint32_t sum(const uint8_t *p, size_t length, uint32_t total) {
    for (; length >= 2; p += 2, length -= 2) total += (uint32_t)(p[0] << 8 | p[1]);
    if (length == 1) total += (uint32_t)(p[0] << 8);
    while (total >> 16) total = (total & 0xffff) + (total >> 16);
    return total;
}

/// The UDP payload of an IPv4 frame without options, or -1 when the headers do not hold.
static int payload(const uint8_t *frame, uint32_t length) {
    if (length < HEADERS || read16(frame + 12) != 0x0800 || frame[14] != 0x45 || frame[23] != 17) return -1;
    if ((read16(frame + 20) & 0x3fff) != 0) return -1;
    uint32_t total = read16(frame + 16), udp = read16(frame + 38);
    if (total < 28 || 14 + total > length || udp < 8 || udp > total - 20) return -1;
    if (read16(frame + 34) == 0) return -1;  // no port to answer to
    return (int)(udp - 8);
}

/// Asks the kernel to send what waits in the transmit ring; in copy mode it sends a few
/// dozen frames per call: calls until the ring is empty, the interface stays busy, or the
/// call fails for good.
static void kick(struct abuse_xdp_socket *s) {
    for (int attempt = 0; attempt < 64 && __atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE) != s->tx_next; attempt++) {
        if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR) break;
    }
}

int abuse_xdp_receive(struct abuse_xdp_socket *s, struct abuse_xdp_packet *packets, int max, int timeout_ms) {
    // Answers an earlier kick left in the ring (a busy interface) go first.
    if (__atomic_load_n(s->tx.consumer, __ATOMIC_ACQUIRE) != s->tx_next) kick(s);
    // Answer frames the kernel has sent are free again.
    uint32_t done = __atomic_load_n(s->completion.producer, __ATOMIC_ACQUIRE);
    const uint64_t *completed = s->completion.descriptors;
    while (s->completion_next != done) s->free_frames[s->free_count++] = completed[s->completion_next++ & (RING_SIZE - 1)];
    __atomic_store_n(s->completion.consumer, s->completion_next, __ATOMIC_RELEASE);

    uint32_t ready = __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) - s->rx_next;
    if (ready == 0) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) <= 0) return 0;
        ready = __atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) - s->rx_next;
    }
    const struct xdp_desc *descriptors = s->rx.descriptors;
    uint64_t *fill = s->fill.descriptors;
    int count = 0;
    while (ready > 0 && count < max && s->free_count > 0) {
        struct xdp_desc d = descriptors[s->rx_next++ & (RING_SIZE - 1)];
        ready--;
        const uint8_t *frame = s->frames + d.addr;
        int query = payload(frame, d.len);
        if (query < 0) {
            s->malformed++;
            fill[s->fill_next++ & (RING_SIZE - 1)] = d.addr;
            continue;
        }
        uint64_t out = s->free_frames[--s->free_count];
        struct abuse_xdp_packet *p = &packets[count++];
        p->query = frame + HEADERS;
        p->query_length = (uint32_t)query;
        p->answer = s->frames + out + HEADERS;
        p->answer_length = 0;
        p->receive_frame = d.addr;
        p->transmit_frame = out;
    }
    __atomic_store_n(s->rx.consumer, s->rx_next, __ATOMIC_RELEASE);
    __atomic_store_n(s->fill.producer, s->fill_next, __ATOMIC_RELEASE);
    return count;
}

int abuse_xdp_send(struct abuse_xdp_socket *s, struct abuse_xdp_packet *packets, int count) {
    struct xdp_desc *transmit = s->tx.descriptors;
    uint64_t *fill = s->fill.descriptors;
    int queued = 0;
    for (int i = 0; i < count; i++) {
        struct abuse_xdp_packet *p = &packets[i];
        const uint8_t *in = s->frames + p->receive_frame;
        uint8_t *out = s->frames + p->transmit_frame;
        uint32_t length = p->answer_length;
        if (length == 0 || length > ABUSE_XDP_ANSWER_ROOM) {
            s->free_frames[s->free_count++] = p->transmit_frame;
        } else {
            // Ethernet: back to the sender's link address.
            memcpy(out, in + 6, 6);
            memcpy(out + 6, in, 6);
            write16(out + 12, 0x0800);
            // IPv4: from the address asked, to the asker; no fragmenting, no ID (RFC 6864).
            uint8_t *ip = out + 14;
            ip[0] = 0x45;
            ip[1] = 0;
            write16(ip + 2, (uint16_t)(28 + length));
            write16(ip + 4, 0);
            write16(ip + 6, 0x4000);
            ip[8] = 64;
            ip[9] = 17;
            write16(ip + 10, 0);
            memcpy(ip + 12, in + 30, 4);
            memcpy(ip + 16, in + 26, 4);
            write16(ip + 10, (uint16_t)~sum(ip, 20, 0));
            // UDP, with its checksum over the pseudo-header (RFC 768).
            uint8_t *udp = out + 34;
            memcpy(udp, in + 36, 2);
            memcpy(udp + 2, in + 34, 2);
            write16(udp + 4, (uint16_t)(8 + length));
            write16(udp + 6, 0);
            uint32_t total = sum(ip + 12, 8, 17 + 8 + length);
            uint16_t check = (uint16_t)~sum(udp, 8 + length, total);
            write16(udp + 6, check == 0 ? 0xffff : check);
            transmit[s->tx_next++ & (RING_SIZE - 1)] = (struct xdp_desc){.addr = p->transmit_frame, .len = HEADERS + length};
            queued++;
        }
        fill[s->fill_next++ & (RING_SIZE - 1)] = p->receive_frame;
    }
    __atomic_store_n(s->fill.producer, s->fill_next, __ATOMIC_RELEASE);
    if (queued == 0) return 0;
    __atomic_store_n(s->tx.producer, s->tx_next, __ATOMIC_RELEASE);
    kick(s);
    return queued;
}

uint64_t abuse_xdp_malformed(const struct abuse_xdp_socket *s) { return s->malformed; }
