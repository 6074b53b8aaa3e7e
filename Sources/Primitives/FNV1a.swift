/// FNV-1a, 64 bits: a stable hash of bytes (Swift's `Hasher` is seeded per process, so it
/// cannot key anything that must be the same from run to run).
package enum FNV1a {
    @inlinable
    package static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}
