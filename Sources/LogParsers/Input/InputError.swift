/// Why reading an input stopped. Each case carries the byte offset reached in the
/// uncompressed stream, so the caller can say exactly where the file broke.
public struct InputError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case openFailed = "cannot open"
        case readFailed = "read failed"
        case truncatedGzip = "truncated gzip stream"
        case corruptGzip = "corrupt gzip stream"
        case trailingGarbage = "trailing garbage after gzip data"
        case nestingTooDeep = "compressed more than 3 times"
        case expansionTooLarge = "compressed stream expands beyond the allowed ratio"
        /// zstd, xz or bzip2 (the detail names which).
        case truncatedStream = "truncated compressed stream"
        case corruptStream = "corrupt compressed stream"
    }

    public var code: Code
    /// Extra detail from the OS or zlib.
    public var detail: String
    /// Uncompressed byte offset reached when the error happened.
    public var offset: UInt64
    /// The file's name as given by the user (`-` for standard input).
    public var file: String

    public init(_ code: Code, detail: String = "", offset: UInt64 = 0, file: String = "") {
        self.code = code
        self.detail = detail
        self.offset = offset
        self.file = file
    }

    public var description: String {
        var text = code.rawValue
        if !detail.isEmpty { text += ": \(detail)" }
        let place = code == .openFailed ? "" : "byte \(offset)"
        if file.isEmpty { return place.isEmpty ? text : "\(text) (\(place))" }
        return place.isEmpty ? "\(text) (\(file))" : "\(text) (\(file), \(place))"
    }
}
