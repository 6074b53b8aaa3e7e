/// One log line as a parser sees it: the bytes, where the MTA's own message starts, and
/// what the envelope already told (time, host, program, pid).
struct LineContext {
    var line: UnsafeRawBufferPointer
    /// Index of the message's first byte.
    var message: Int
    var host: Range<Int>?
    var tag: Range<Int>?
    var pid: Int32?
    /// UTC milliseconds when the envelope carried a time.
    var time: Int64?
    var hasFraction = false
    var number: Int
    var offset: UInt64

    /// A new event of `kind` stamped with this line's time, host, process, pid and place.
    @inline(__always)
    func event(_ mta: MTA, _ kind: EventKind, process: Range<Int>? = nil) -> ParsedEvent {
        var event = ParsedEvent(mta: mta, kind: kind)
        if let time {
            event.time = time
            event.hasTime = true
            event.hasFraction = hasFraction
        }
        if let host { event.host = line.slice(host.lowerBound, host.upperBound) }
        if let process = process ?? tag { event.process = line.slice(process.lowerBound, process.upperBound) }
        event.pid = pid
        event.line = number
        event.offset = offset
        return event
    }

    func field(_ range: Range<Int>) -> ByteField { line.slice(range.lowerBound, range.upperBound) }
}

/// What a parser made of a line.
enum LineOutcome {
    /// At least one event was emitted (or will be, for lines correlated later).
    case events
    /// Not connection-relevant (deliveries, housekeeping).
    case skipped
    /// Looked relevant but matched no known form: counted, with its line number.
    case unparsed
}

/// A parser for one MTA's messages. One instance per file: it may keep bounded state
/// (queue ids, sessions) between lines.
protocol MTAParser: AnyObject {
    var mta: MTA { get }
    func parse(_ context: LineContext, emit: (inout ParsedEvent) -> Void) -> LineOutcome
    /// Called at the end of the file (pending correlations are dropped and counted).
    func finish()
}

extension MTAParser {
    func finish() {}
}
