/// Why a DNS message could not be read. Every case is a malformed (or hostile) packet:
/// the server answers FORMERR or drops it, the client treats the answer as a failure.
public enum DNSWireError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated
    case labelTooLong
    case nameTooLong
    case tooManyLabels
    case badPointer
    case pointerLoop
    case reservedLabelType
    case trailingData

    public var description: String {
        switch self {
        case .truncated: "the message ends early"
        case .labelTooLong: "a label is longer than 63 bytes"
        case .nameTooLong: "a name is longer than 255 bytes"
        case .tooManyLabels: "a name has more than 127 labels"
        case .badPointer: "a compression pointer points forward or outside the message"
        case .pointerLoop: "compression pointers loop"
        case .reservedLabelType: "a label uses a reserved type"
        case .trailingData: "bytes after the last record"
        }
    }
}
