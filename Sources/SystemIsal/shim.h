#include <isa-l/igzip_lib.h>

/// Sizes and constants that Swift cannot import from the library's macros.
static inline uint32_t abuse_isal_level_buffer_size(int level) {
    switch (level) {
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    case 3: return ISAL_DEF_LVL3_DEFAULT;
    default: return 0;
    }
}
