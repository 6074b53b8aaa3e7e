import Foundation
import RegistryClient

/// Parsing of config values, with errors that name the key.
public enum ConfigValue {
    public struct Invalid: Error, CustomStringConvertible {
        public var key: String
        public var value: String
        public var expected: String
        public var description: String { "\(key): '\(value)' is not \(expected)" }
    }

    public struct FileError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "config \(path): \(message)" }
    }

    static func integer(_ text: String, key: String, in range: ClosedRange<Int>) throws(Invalid) -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw Invalid(key: key, value: text, expected: "a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The comma-separated items of `text`, each one checked by `valid`.
    static func list(_ text: String, key: String, expected: String, valid: (String) -> Bool) throws(Invalid) -> [String] {
        var items: [String] = []
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard valid(item) else { throw Invalid(key: key, value: item, expected: expected) }
            items.append(item)
        }
        return items
    }

    static func address(_ text: String, key: String) throws(Invalid) -> String {
        guard ListenAddress(text) != nil else { throw Invalid(key: key, value: text, expected: "ADDR:PORT (or [IPv6]:PORT)") }
        return text
    }

    static func bytes(_ text: String, key: String, allowZero: Bool = false) throws(Invalid) -> Int64 {
        let units: [(String, Int64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("B", 1)]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var number = trimmed
        var scale: Int64 = 1
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = String(trimmed.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = factor
            break
        }
        guard let value = Int64(number), value >= (allowZero ? 0 : 1), value <= Int64.max / scale else {
            throw Invalid(key: key, value: text, expected: "a size (bytes, or with KiB, MiB, GiB, KB, MB, GB)")
        }
        return value * scale
    }

    static func duration(_ text: String, key: String, allowZero: Bool = false) throws(Invalid) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        var number = trimmed
        var scale = 1.0
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            number = String(trimmed.dropLast(suffix.count))
            scale = factor
            break
        }
        guard let value = Double(number), value.isFinite, allowZero ? value >= 0 : value > 0, value * scale <= 365 * 86_400 else {
            throw Invalid(key: key, value: text, expected: "a duration (seconds, or with ms, s, m, h, d)")
        }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// `300s`, `1.5s`, `250ms`.
    static func format(_ duration: Duration) -> String {
        let ms = duration.millis
        return ms % 1000 == 0 ? "\(ms / 1000)s" : "\(ms)ms"
    }
}
