#include <lzma.h>

/// LZMA_CONCATENATED is a macro Swift cannot import: decode concatenated .xz streams.
static inline uint32_t abuse_lzma_concatenated(void) { return LZMA_CONCATENATED; }
