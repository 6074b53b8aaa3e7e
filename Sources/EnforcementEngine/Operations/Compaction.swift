/// What one compaction did (or, dry, would do): the weeks whose segments were merged, and
/// the weeks left as they were, with why.
public struct Compaction: Sendable, Codable, Equatable {
    /// One reporter's week (Monday to Sunday, UTC): its segments merged into one.
    public struct Week: Sendable, Codable, Equatable {
        public var reporter: String
        /// The Monday, `YYYY-MM-DD`.
        public var week: String
        public var segments: Int
        public var records: Int
        /// Stored block bytes before and after (0 after in a dry run).
        public var bytesBefore: Int
        public var bytesAfter: Int
        /// Why the week was left as it was; nil when it was compacted (or would be).
        public var skipped: String?

        enum CodingKeys: String, CodingKey {
            case reporter, week, segments, records, skipped
            case bytesBefore = "bytes_before"
            case bytesAfter = "bytes_after"
        }

        /// Every key, `skipped` null when the week was compacted.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reporter, forKey: .reporter)
            try c.encode(week, forKey: .week)
            try c.encode(segments, forKey: .segments)
            try c.encode(records, forKey: .records)
            try c.encode(bytesBefore, forKey: .bytesBefore)
            try c.encode(bytesAfter, forKey: .bytesAfter)
            try c.encode(skipped, forKey: .skipped)
        }
    }

    /// Weeks ending before this day were eligible, `YYYY-MM-DD`.
    public var before: String
    public var dryRun: Bool
    public var weeks: [Week]
    /// Segments in the store before and after.
    public var segmentsBefore: Int
    public var segmentsAfter: Int

    public var compacted: Int { weeks.filter { $0.skipped == nil }.count }
    /// Weeks left as they were because their records could not be merged.
    public var leftAsTheyWere: Int { weeks.count - compacted }

    enum CodingKeys: String, CodingKey {
        case before, weeks
        case dryRun = "dry_run"
        case segmentsBefore = "segments_before"
        case segmentsAfter = "segments_after"
    }
}
