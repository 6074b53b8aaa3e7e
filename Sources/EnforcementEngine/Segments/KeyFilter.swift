extension SegmentCodec {
    /// The keys of a block as a Bloom filter, stored beside the block (`segment_block.
    /// key_filter`, uncompressed): a lookup whose client is not in the block learns it
    /// without inflating the block, which is most blocks of a store with many reporters.
    /// Never a false "absent"; about 1 % false "maybe" (10 bits and 7 probes a key).
    ///
    /// Stored format (fixed: stored filters are read by later releases): byte 0 the probe
    /// count, then the bit array, bit `i` in byte `i / 8` at `1 << (i % 8)`. Probe `j` of a
    /// key is bit `(a + j × b) mod bits`, with `a` and `b` from `hashes(_:)`.
    enum KeyFilter {
        static let bitsPerKey = 10
        static let probes: UInt8 = 7

        /// The filter of `keys` (distinct or not).
        static func make(_ keys: [Key]) -> [UInt8] {
            let bytes = max(8, (keys.count * bitsPerKey + 7) / 8)
            var filter = [UInt8](repeating: 0, count: 1 + bytes)
            filter[0] = probes
            let bits = UInt64(bytes * 8)
            for key in keys {
                let (a, b) = hashes(key)
                for j in 0..<UInt64(probes) {
                    let bit = (a &+ j &* b) % bits
                    filter[1 + Int(bit / 8)] |= 1 << UInt8(bit % 8)
                }
            }
            return filter
        }

        /// False when `key` is certainly not among the filter's keys; true when it may be,
        /// and for a filter that is malformed (the block is then read).
        static func mayContain(_ filter: UnsafeRawBufferPointer, _ key: Key) -> Bool {
            guard filter.count > 1, filter[0] > 0 else { return true }
            let bits = UInt64(filter.count - 1) * 8
            let (a, b) = hashes(key)
            for j in 0..<UInt64(filter[0]) {
                let bit = (a &+ j &* b) % bits
                if filter[1 + Int(bit / 8)] & (1 << UInt8(bit % 8)) == 0 { return false }
            }
            return true
        }

        /// Two independent 64-bit hashes of a key (SplitMix64's finaliser over its words);
        /// `b` is odd.
        static func hashes(_ key: Key) -> (UInt64, UInt64) {
            let a = mix(key.high ^ mix(key.low ^ UInt64(key.length)))
            let b = mix(a ^ 0x9E37_79B9_7F4A_7C15) | 1
            return (a, b)
        }

        @inline(__always)
        static func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
