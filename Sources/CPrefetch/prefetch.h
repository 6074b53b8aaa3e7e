#ifndef ABUSE_INGEST_PREFETCH_H
#define ABUSE_INGEST_PREFETCH_H

/// Asks the CPU to bring the cache line at `address` in, without waiting for it: lets
/// loops over hash tables overlap their cache misses. A hint only; any address is safe.
static inline void abuse_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
