/// Where the ingest of one file stands, for a progress display: sent when the file starts
/// being read, every 65,536 lines, and when it is read through.
public struct IngestProgressReport: Sendable, Equatable {
    public var file: String
    public var lines: Int
    /// Uncompressed bytes parsed.
    public var bytes: UInt64
    /// Bytes of the file as shipped (gzip or not) read so far, and its size.
    public var shippedRead: Int64
    public var shippedSize: Int64
    public var finished: Bool

    public init(file: String, lines: Int, bytes: UInt64, shippedRead: Int64, shippedSize: Int64, finished: Bool) {
        self.file = file
        self.lines = lines
        self.bytes = bytes
        self.shippedRead = shippedRead
        self.shippedSize = shippedSize
        self.finished = finished
    }

    /// The share of the file done, 0…1: 1 once finished, else the share of its bytes read,
    /// at most 0.99 (reading runs a few megabytes ahead of parsing).
    public var fraction: Double {
        if finished { return 1 }
        return shippedSize > 0 ? min(0.99, Double(shippedRead) / Double(shippedSize)) : 0
    }
}
