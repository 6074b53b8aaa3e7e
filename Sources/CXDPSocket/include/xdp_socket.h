#ifndef ABUSE_INGEST_XDP_SOCKET_H
#define ABUSE_INGEST_XDP_SOCKET_H

#include <stddef.h>
#include <stdint.h>

/// AF_XDP (Linux ≥ 5.10): IPv4 UDP datagrams to one port taken off a network interface
/// before the kernel's IP and UDP layers, and answers put back on it the same way, as
/// Knot DNS's XDP mode does. An XDP program on the interface sends the datagrams to one
/// AF_XDP socket per receive queue; everything else (IPv6, other ports, fragments, IP
/// options, datagrams too long for a frame) goes on to the kernel as before.
///
/// Ethernet, IPv4 and UDP headers are read and written here; the DNS payload is the
/// caller's. The program is attached through a BPF link, so it leaves the interface when
/// the link closes, also when the process dies.

/// Room for one answer (a UDP payload) in a transmit frame: the frame (2,048 bytes) less the
/// Ethernet, IPv4 and UDP headers.
#define ABUSE_XDP_ANSWER_ROOM (2048 - 42)

/// The XDP program and its socket map on one interface.
struct abuse_xdp_program {
    int map_fd;
    int program_fd;
    int link_fd;
};

/// One datagram of a receive batch.
struct abuse_xdp_packet {
    /// The DNS query (the UDP payload), in the receive frame.
    const uint8_t *query;
    uint32_t query_length;
    /// Room for the answer (a UDP payload, `ABUSE_XDP_ANSWER_ROOM` bytes) in a transmit frame.
    uint8_t *answer;
    /// Set by the caller before `abuse_xdp_send`: the answer's length; 0 sends nothing.
    uint32_t answer_length;
    uint64_t receive_frame;
    uint64_t transmit_frame;
};

struct abuse_xdp_socket;

/// Loads the program for UDP `port` (and IPv4 `address`, network order, unless 0) with a
/// socket map of `queues` entries. Attaching comes later (`abuse_xdp_attach`), once the
/// sockets are in the map. Returns 0, or -1 with `error` set.
int abuse_xdp_load(uint16_t port, uint32_t address, int queues, struct abuse_xdp_program *program, char *error, size_t size);

/// Attaches the program to the interface (native XDP where the driver has it, generic
/// otherwise). Returns 0, or -1 with `error` set.
int abuse_xdp_attach(struct abuse_xdp_program *program, int ifindex, char *error, size_t size);

/// Detaches the program and closes its descriptors.
void abuse_xdp_unload(struct abuse_xdp_program *program);

/// An AF_XDP socket on `queue` of the interface, with its own frame memory, entered into
/// the program's map. NULL, with `error` set, when it cannot be made.
struct abuse_xdp_socket *abuse_xdp_open(int ifindex, int queue, const struct abuse_xdp_program *program, char *error, size_t size);

/// Up to `max` datagrams, waiting at most `timeout_ms` for the first. Each comes with a
/// transmit frame for its answer. Malformed frames are dropped and counted. Returns the
/// count (0 on timeout).
int abuse_xdp_receive(struct abuse_xdp_socket *socket, struct abuse_xdp_packet *packets, int max, int timeout_ms);

/// Sends the answers of a batch `abuse_xdp_receive` returned (those with a length), each
/// back to its query's sender, and gives the receive frames back to the kernel. Returns
/// the number of answers put on the interface.
int abuse_xdp_send(struct abuse_xdp_socket *socket, struct abuse_xdp_packet *packets, int count);

/// Frames dropped as malformed since the socket was opened.
uint64_t abuse_xdp_malformed(const struct abuse_xdp_socket *socket);

void abuse_xdp_close(struct abuse_xdp_socket *socket);

#endif
