import Foundation

/// A coverage-guided fuzz target: a function over arbitrary bytes that must never crash and
/// checks what must hold of any input (round trips, bounds, valid output). A broken
/// invariant stops the process (`precondition`), which the fuzzer reports as a crash.
public struct FuzzTarget: Sendable {
    /// The name: `scripts/fuzz NAME`, and the corpus folder `Fuzz/Corpus/NAME`.
    public var name: String
    public var run: @Sendable (UnsafeRawBufferPointer) -> Void
    /// Seed inputs made from the repository's fixtures (`abuse-fuzz seed` writes them).
    public var seeds: @Sendable (_ repository: URL) throws -> [(name: String, bytes: [UInt8])]

    public static let all: [FuzzTarget] = [
        ParseTarget.target, GzipTarget.target, DNSMessageTarget.target, DNSResponderTarget.target, RulesTarget.target, RegistryCSVTarget.target,
        SegmentBlockTarget.target,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}
