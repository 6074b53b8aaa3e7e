/// A field of a log line: a view of bytes valid only while the line is being handled.
public typealias ByteField = UnsafeRawBufferPointer

extension UnsafeRawBufferPointer {
    /// The bytes as a String (invalid UTF-8 replaced by U+FFFD).
    @inlinable
    public var text: String { String(decoding: self, as: UTF8.self) }
}
