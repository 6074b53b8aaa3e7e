import Foundation

/// Turns log timestamps into UTC: infers the year of year-less stamps from a reference
/// time and converts zone-less wall-clock times from an IANA zone.
///
/// Year rule (FORMATS.md §2): a stamp without a year gets the year that places it at or
/// before the reference time, so `Dec 31` then `Jan 1` in one file land in consecutive years.
public final class TimeResolver {
    private let zone: TimeZone?
    /// The reference time's wall-clock fields in `zone`.
    private let referenceYear: Int
    private let referenceKey: Int64
    // One-entry cache of the zone's offset for a local hour.
    private var cachedLocalHour: Int64 = .min
    private var cachedOffset: Int64 = 0
    // The last stamp resolved and its result: consecutive lines mostly share their second.
    private var lastStamp: RawTimestamp?
    private var lastResult: Int64?

    /// - Parameters:
    ///   - referenceMillis: the reference time, UTC milliseconds.
    ///   - timeZone: the zone of timestamps without an offset; nil means UTC.
    public init(referenceMillis: Int64, timeZone: TimeZone?) {
        let utcZone = timeZone.map { $0.identifier == "UTC" || $0.identifier == "GMT" } ?? true
        zone = utcZone ? nil : timeZone
        let refSeconds = referenceMillis / 1000
        let offset = zone.map { Int64($0.secondsFromGMT(for: Date(timeIntervalSince1970: Double(refSeconds)))) } ?? 0
        let local = refSeconds + offset
        let days = Int(local >= 0 ? local / 86400 : (local - 86399) / 86400)
        let date = CivilTime.date(days: days)
        referenceYear = date.year
        let secondOfDay = Int(local - Int64(days) * 86400)
        referenceKey = Self.key(month: date.month, day: date.day, secondOfDay: secondOfDay)
    }

    @inline(__always)
    private static func key(month: Int, day: Int, secondOfDay: Int) -> Int64 {
        Int64(month) << 40 | Int64(day) << 32 | Int64(secondOfDay)
    }

    /// UTC milliseconds for a stamp; nil for an impossible date (e.g. `Feb 30`).
    public func resolve(_ stamp: RawTimestamp) -> Int64? {
        if let lastStamp, lastStamp == stamp { return lastResult }
        let result = convert(stamp)
        lastStamp = stamp
        lastResult = result
        return result
    }

    /// `resolve` without the one-entry cache (the result depends on the stamp alone).
    private func convert(_ stamp: RawTimestamp) -> Int64? {
        var stamp = stamp
        if stamp.year == nil {
            let key = Self.key(month: stamp.month, day: stamp.day, secondOfDay: stamp.hour * 3600 + stamp.minute * 60 + stamp.second)
            var year = key > referenceKey ? referenceYear - 1 : referenceYear
            // Feb 29 belongs to the latest leap year not after the reference.
            var tries = 0
            while stamp.day > CivilTime.daysIn(month: stamp.month, year: year) {
                year -= 1
                tries += 1
                if tries > 8 { return nil }
            }
            stamp.year = year
        } else if stamp.day > CivilTime.daysIn(month: stamp.month, year: stamp.year!) {
            return nil
        }
        if stamp.offsetSeconds != nil {
            return stamp.utcMillis
        }
        let local = stamp.localEpochSeconds
        guard let zone else { return local * 1000 + Int64(stamp.millis) }
        let localHour = local >= 0 ? local / 3600 : (local - 3599) / 3600
        if localHour != cachedLocalHour {
            cachedLocalHour = localHour
            cachedOffset = Self.offset(of: zone, forLocalSeconds: localHour * 3600)
        }
        return (local - cachedOffset) * 1000 + Int64(stamp.millis)
    }

    /// The zone's UTC offset in force at a local wall-clock time. In the hour a clock is
    /// set back, the earlier (summer) offset is taken; a time skipped when it is set forward
    /// is read with the offset before the change.
    static func offset(of zone: TimeZone, forLocalSeconds local: Int64) -> Int64 {
        let first = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local))))
        let second = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - first))))
        if first == second { return first }
        let third = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(local - second))))
        return third == second ? second : max(first, second)
    }
}
