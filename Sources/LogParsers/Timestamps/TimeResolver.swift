import Foundation
import Primitives

/// Turns log timestamps into UTC: infers the year of year-less stamps from a reference
/// time and converts zone-less wall-clock times from an IANA zone.
///
/// Year rule (FORMATS.md §2): a stamp without a year gets the year that places it at or
/// before the reference time, so `Dec 31` then `Jan 1` in one file land in consecutive years.
///
/// Summer time, for zone-less stamps in a zone that observes it: in the hour a clock is set
/// back (Europe/Zurich: 02:00–02:59 on the last Sunday of October happens twice), a stamp
/// is read as its first occurrence (summer time) unless that instant lies more than
/// `setBackTolerance` before the last instant resolved in the file: then the clock has
/// already been set back and the stamp is its second occurrence (standard time). A file's
/// lines in order thus land on the right instants through the repeated hour; a file that
/// logs nothing in the first pass of the hour but logs in its second cannot be told apart
/// and reads as the first. A stamp in the hour skipped when the clock is set forward
/// (02:00–02:59 on the last Sunday of March) is read with the offset before the change.
public final class TimeResolver {
    /// How far back an earlier reading may be before the later one is taken (out-of-order
    /// lines from several processes stay within a few seconds).
    static let setBackTolerance: Int64 = 10 * 60_000
    private let zone: TimeZone?
    /// The reference time's wall-clock fields in `zone`.
    private let referenceYear: Int
    private let referenceKey: Int64
    // One-entry cache of the zone's offsets for a local hour (`later` set in a repeated hour).
    private var cachedLocalHour: Int64 = .min
    private var cachedOffsets: (earlier: Int64, later: Int64?) = (0, nil)
    // The latest instant resolved so far (UTC ms): decides the repeated hour.
    private var latest: Int64 = .min
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
        if let result, result > latest { latest = result }
        return result
    }

    /// `resolve` without the one-entry cache.
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
            cachedOffsets = Self.offsets(of: zone, forLocalSeconds: localHour * 3600)
        }
        let earlier = (local - cachedOffsets.earlier) * 1000 + Int64(stamp.millis)
        if let later = cachedOffsets.later, latest != .min, earlier < latest - Self.setBackTolerance {
            return (local - later) * 1000 + Int64(stamp.millis)
        }
        return earlier
    }

    /// The zone's UTC offsets at a local wall-clock time: the one in force, and in the hour
    /// a clock is set back (a time that happens twice) the standard offset of its second
    /// occurrence as `later`. A time skipped when the clock is set forward is read with the
    /// offset before the change.
    static func offsets(of zone: TimeZone, forLocalSeconds local: Int64) -> (earlier: Int64, later: Int64?) {
        func offset(at utc: Int64) -> Int64 { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc)))) }
        // The offsets a day either side cover any one transition; a candidate offset holds
        // when the instant it gives has that offset.
        let candidates = Set([offset(at: local - 86_400), offset(at: local + 86_400), offset(at: local)])
        let valid = candidates.filter { offset(at: local - $0) == $0 }.sorted(by: >)
        switch valid.count {
        case 0: return (offset(at: local - 86_400), nil)  // skipped: the offset before the change
        case 1: return (valid[0], nil)
        default: return (valid[0], valid[valid.count - 1])  // repeated: summer first, then standard
        }
    }
}
