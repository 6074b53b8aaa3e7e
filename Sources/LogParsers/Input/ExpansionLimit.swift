/// The bound on how far a compressed stream may expand (a bomb is stopped while it is read,
/// never inflated to its end): `ratio` times the compressed bytes taken, past 1 MiB.
struct ExpansionLimit {
    let ratio: UInt64?

    init(_ ratio: Int?) { self.ratio = ratio.map { UInt64(max(1, $0)) } }

    /// Throws when `produced` bytes from `taken` compressed ones exceed the ratio.
    func check(produced: UInt64, taken: UInt64, format: String) throws(InputError) {
        guard let ratio, produced > (1 << 20), produced / ratio > taken else { return }
        throw InputError(.expansionTooLarge, detail: "\(produced) bytes from \(taken) compressed, beyond \(ratio):1 (a \(format) bomb?)", offset: produced)
    }
}
