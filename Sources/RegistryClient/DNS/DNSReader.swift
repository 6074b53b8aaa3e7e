/// Reads DNS wire format from a byte buffer with bounds checks everywhere; names follow
/// compression pointers only backwards, at most 32 times, so loops are rejected.
struct DNSReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    mutating func u8() throws(DNSWireError) -> UInt8 {
        guard position < bytes.count else { throw .truncated }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() throws(DNSWireError) -> UInt16 {
        guard position + 2 <= bytes.count else { throw .truncated }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    mutating func u32() throws(DNSWireError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw .truncated }
        defer { position += 4 }
        return UInt32(bytes[position]) << 24 | UInt32(bytes[position + 1]) << 16 | UInt32(bytes[position + 2]) << 8 | UInt32(bytes[position + 3])
    }

    mutating func skip(_ count: Int) throws(DNSWireError) {
        guard count >= 0, position + count <= bytes.count else { throw .truncated }
        position += count
    }

    /// Reads a name, calling `label` with each label's range in order (case as sent).
    mutating func name(_ label: (Range<Int>) throws(DNSWireError) -> Void) throws(DNSWireError) {
        var cursor = position
        var jumped = false
        var jumps = 0
        var length = 1
        var labels = 0
        // Pointers must point before the start of the name being read.
        var lowestStart = position
        while true {
            guard cursor < bytes.count else { throw .truncated }
            let byte = bytes[cursor]
            switch byte & 0xC0 {
            case 0x00:
                if byte == 0 {
                    if !jumped { position = cursor + 1 }
                    return
                }
                let count = Int(byte)
                guard cursor + 1 + count <= bytes.count else { throw .truncated }
                length += count + 1
                labels += 1
                guard length <= 255 else { throw .nameTooLong }
                guard labels <= 127 else { throw .tooManyLabels }
                try label((cursor + 1)..<(cursor + 1 + count))
                cursor += 1 + count
            case 0xC0:
                guard cursor + 1 < bytes.count else { throw .truncated }
                let target = Int(byte & 0x3F) << 8 | Int(bytes[cursor + 1])
                guard target < lowestStart else { throw .badPointer }
                jumps += 1
                guard jumps <= 32 else { throw .pointerLoop }
                if !jumped {
                    position = cursor + 2
                    jumped = true
                }
                lowestStart = target
                cursor = target
            default:
                throw .reservedLabelType
            }
        }
    }

    /// Reads a name into a `DNSName`.
    mutating func dnsName() throws(DNSWireError) -> DNSName {
        try dnsNameAsSent().name
    }

    /// Reads a name into a `DNSName` and its labels with their case as sent.
    mutating func dnsNameAsSent() throws(DNSWireError) -> (name: DNSName, labels: [[UInt8]]) {
        var labels: [[UInt8]] = []
        let source = bytes
        try name { (range: Range<Int>) throws(DNSWireError) in labels.append(Array(source[range])) }
        return (DNSName(labels: labels), labels)
    }
}
