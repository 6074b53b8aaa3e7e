import Foundation
import Primitives

/// How to read a set of log files.
public struct ParseOptions: Sendable {
    /// nil: recognise each line's MTA from its program tag (raw Exim lines by their
    /// shape); otherwise every line is read as this MTA's.
    public var format: MTA?
    /// The time year-less stamps are placed at or before (UTC milliseconds); nil means
    /// each file's modification time (now, for standard input).
    public var referenceMillis: Int64?
    /// Zone of timestamps without an offset; nil means UTC.
    public var timeZone: TimeZone?
    /// Lines longer than this are counted as oversized and skipped.
    public var maxLineLength: Int
    /// Inflate gzip on a thread of its own, ahead of the parser (two cores for one file).
    /// Off when the caller already parses files in parallel on every core: the extra
    /// threads then only contend for the cores.
    public var decompressAhead: Bool
    /// Gzip input that inflates beyond this many times its compressed size is an error
    /// (`expansionTooLarge`), found while reading; nil: unbounded.
    public var maxExpansionRatio: Int?
    /// "Now", for standard input and bytes in memory (the reference without a file time).
    public var clock: WallClock = .system

    public init(
        format: MTA? = nil, referenceMillis: Int64? = nil, timeZone: TimeZone? = nil, maxLineLength: Int = LineReader.defaultMaxLineLength,
        decompressAhead: Bool = true
    ) {
        self.format = format
        self.referenceMillis = referenceMillis
        self.timeZone = timeZone
        self.maxLineLength = maxLineLength
        self.decompressAhead = decompressAhead
    }
}
