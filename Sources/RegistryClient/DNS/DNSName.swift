/// A domain name as lower-cased labels (ASCII case folded, other bytes kept).
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    public var labels: [[UInt8]]

    public init(labels: [[UInt8]]) {
        self.labels = labels.map { $0.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
    }

    /// Parses dotted text (`reg.example.org`, a trailing dot allowed).
    public init?(_ text: String) {
        var parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        if parts.last?.isEmpty == true { parts.removeLast() }
        if text == "." { parts = [] }
        guard parts.allSatisfy({ !$0.isEmpty && $0.count <= 63 }), parts.reduce(1, { $0 + $1.count + 1 }) <= 255 else { return nil }
        self.init(labels: parts)
    }

    /// Whether `self` equals `zone` or lies below it; returns the labels in front of it.
    public func prefix(under zone: DNSName) -> ArraySlice<[UInt8]>? {
        guard labels.count >= zone.labels.count else { return nil }
        let offset = labels.count - zone.labels.count
        for i in 0..<zone.labels.count where labels[offset + i] != zone.labels[i] { return nil }
        return labels[0..<offset]
    }

    public var description: String {
        labels.isEmpty ? "." : labels.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ".") + "."
    }

    /// The length of the wire form, uncompressed.
    public var wireLength: Int {
        labels.reduce(1) { $0 + 1 + $1.count }
    }

    /// Wire form, uncompressed.
    public func append(to out: inout [UInt8]) {
        for label in labels {
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
        }
        out.append(0)
    }
}
