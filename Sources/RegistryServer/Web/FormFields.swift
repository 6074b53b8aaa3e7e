import Foundation

/// The fields of an `application/x-www-form-urlencoded` body (or a query), bounded: at most
/// 64 fields, each value at most 16 KiB after decoding. The first of a repeated name wins.
struct FormFields: Sendable {
    private(set) var values: [String: String] = [:]

    static let maxFields = 64
    static let maxValueBytes = 16 * 1024

    init(_ text: Substring) {
        for (n, pair) in text.split(separator: "&", omittingEmptySubsequences: true).enumerated() where n < Self.maxFields {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            guard let value, value.utf8.count <= Self.maxValueBytes, values[name] == nil else { continue }
            values[name] = value
        }
    }

    init(_ data: Data) {
        self.init(Substring(String(decoding: data, as: UTF8.self)))
    }

    subscript(_ name: String) -> String? { values[name] }

    /// A field trimmed of surrounding white space, nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// `+` is a space; `%XX` a byte; the result must be UTF-8.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hex), let low = iterator.next().flatMap(hex) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// Percent-encodes a value for a query string.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
