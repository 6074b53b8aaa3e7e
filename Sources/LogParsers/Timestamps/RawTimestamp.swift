import Primitives
/// A timestamp as written in a log line, before year inference and zone conversion.
///
/// Stored in small integers (one is made for every line and travels by value through the
/// header parse); the fields read and write as `Int`.
public struct RawTimestamp: Equatable, Sendable {
    private static let none = Int32.min
    private var storedYear: Int32
    private var storedOffset: Int32 = RawTimestamp.none
    private var storedMillis: UInt16 = 0
    private var storedMonth: UInt8
    private var storedDay: UInt8
    private var storedHour: UInt8
    private var storedMinute: UInt8
    private var storedSecond: UInt8
    public var hasFraction = false

    /// Fields as scanned (two-digit fields, a four-digit year).
    init(year: Int?, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        storedYear = year.map { Int32(clamping: $0) } ?? Self.none
        storedMonth = UInt8(clamping: month)
        storedDay = UInt8(clamping: day)
        storedHour = UInt8(clamping: hour)
        storedMinute = UInt8(clamping: minute)
        storedSecond = UInt8(clamping: second)
    }

    /// nil when the log gives no year (RFC 3164).
    public var year: Int? {
        get { storedYear == Self.none ? nil : Int(storedYear) }
        set { storedYear = newValue.map { Int32(clamping: $0) } ?? Self.none }
    }
    public var month: Int {
        get { Int(storedMonth) }
        set { storedMonth = UInt8(clamping: newValue) }
    }
    public var day: Int {
        get { Int(storedDay) }
        set { storedDay = UInt8(clamping: newValue) }
    }
    public var hour: Int {
        get { Int(storedHour) }
        set { storedHour = UInt8(clamping: newValue) }
    }
    public var minute: Int {
        get { Int(storedMinute) }
        set { storedMinute = UInt8(clamping: newValue) }
    }
    public var second: Int {
        get { Int(storedSecond) }
        set { storedSecond = UInt8(clamping: newValue) }
    }
    public var millis: Int {
        get { Int(storedMillis) }
        set { storedMillis = UInt16(clamping: newValue) }
    }
    /// Offset east of UTC in seconds, when the log gives one.
    public var offsetSeconds: Int? {
        get { storedOffset == Self.none ? nil : Int(storedOffset) }
        set { storedOffset = newValue.map { Int32(clamping: $0) } ?? Self.none }
    }

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
