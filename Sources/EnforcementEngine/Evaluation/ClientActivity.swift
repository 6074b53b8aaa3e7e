import LogParsers
import Primitives

/// The stored activity of one client over an evaluation's span, flattened.
public struct ClientActivity: Sendable {
    public struct Row: Sendable, Equatable {
        public var reporter: String
        /// Hours since the epoch.
        public var hour: Int64
        public var kind: UInt8
        public var reason: UInt8
        public var status: UInt8
        public var count: Int

        public init(reporter: String, hour: Int64, kind: UInt8, reason: UInt8, status: UInt8, count: Int) {
            self.reporter = reporter
            self.hour = hour
            self.kind = kind
            self.reason = reason
            self.status = status
            self.count = count
        }
    }

    public var ip: IPAddress
    public var rows: [Row]

    public init(ip: IPAddress, rows: [Row]) {
        self.ip = ip
        self.rows = rows
    }
}
