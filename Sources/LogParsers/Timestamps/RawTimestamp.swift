/// A timestamp as written in a log line, before year inference and zone conversion.
public struct RawTimestamp: Equatable, Sendable {
    /// nil when the log gives no year (RFC 3164).
    public var year: Int?
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var millis: Int = 0
    public var hasFraction = false
    /// Offset east of UTC in seconds, when the log gives one.
    public var offsetSeconds: Int?

    /// Seconds since the epoch if this wall-clock time were UTC (year required).
    var localEpochSeconds: Int64 {
        let days = CivilTime.days(year: year ?? 1970, month: month, day: day)
        return Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// UTC milliseconds, for a timestamp that carries its year and offset.
    public var utcMillis: Int64 {
        (localEpochSeconds - Int64(offsetSeconds ?? 0)) * 1000 + Int64(millis)
    }
}
