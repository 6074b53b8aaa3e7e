import PostgresNIO
import Synchronization

/// Counts the notifications of one channel (PostgreSQL's LISTEN/NOTIFY) on a connection of
/// its own: a long-running reader compares the count instead of querying the database.
final class ChangeListener: Sendable {
    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    private let connection: PostgresConnection
    private let counter = Counter()

    init(pool: PostgresPool, channel: String) throws {
        connection = try pool.dedicatedConnection()
        let counter = counter
        connection.addListener(channel: channel) { _, _ in counter.value.add(1, ordering: .relaxed) }
        do {
            _ = try connection.query(PostgresQuery(unsafeSQL: "LISTEN \(channel)"), logger: pool.logger).wait()
        } catch {
            stop()
            throw PostgresError.connectionLost(pool.location.description, PostgresSession.reason(error))
        }
    }

    /// Whether notifications still arrive (the connection is open).
    var isListening: Bool { !connection.isClosed }

    /// The notifications heard so far.
    var heard: Int { counter.value.load(ordering: .relaxed) }

    func stop() {
        try? connection.close().wait()
    }
}
