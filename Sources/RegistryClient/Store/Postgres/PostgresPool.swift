import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A PostgreSQL database reached through a few connections that callers borrow one at a
/// time. The stores' API is synchronous (as it is over SQLite): a borrowed connection's
/// queries block the calling thread until PostgreSQL answers. Never call it from a SwiftNIO
/// event loop thread.
public final class PostgresPool: Sendable {
    public let location: PostgresLocation
    private let idle = Mutex<[PostgresConnection]>([])
    private let slots: DispatchSemaphore
    private let nextID = Atomic<Int>(0)
    let logger: Logger

    /// Connects once (so that a wrong location fails here, with the server's reason) and keeps
    /// up to `connections` open.
    public init(_ location: PostgresLocation, connections: Int = 4, logger: Logger = Logger(label: "abuse-ingest.postgres")) throws(PostgresError) {
        self.location = location
        self.logger = logger
        slots = DispatchSemaphore(value: max(1, connections))
        let first = try connect()
        idle.withLock { $0.append(first) }
    }

    deinit {
        for connection in idle.withLock({ $0 }) { try? connection.close().wait() }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws
    /// (or the connection is lost, which throws `PostgresError.connectionLost`).
    public func write<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try transaction("BEGIN", body)
    }

    /// Runs `body` in one read-only transaction that sees one state throughout (REPEATABLE
    /// READ: the snapshot of its first statement, as a SQLite read transaction sees).
    public func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    /// A transaction on a borrowed connection. A kept connection that the server dropped
    /// meanwhile (it restarted) fails at BEGIN, before any work: then once more, on a new one.
    private func transaction<T>(_ begin: String, _ body: (PostgresSession) throws -> T) throws -> T {
        var began = false
        do {
            return try borrow { session in
                try session.script(begin)
                began = true
                return try session.transaction(body)
            }
        } catch let error as PostgresError {
            guard case .connectionLost = error, !began else { throw error }
            return try borrow { session in
                try session.script(begin)
                return try session.transaction(body)
            }
        }
    }

    /// Runs `body` on a borrowed connection outside any transaction (each statement commits
    /// on its own).
    public func borrow<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        var kept = idle.withLock { $0.popLast() }
        while let connection = kept, connection.isClosed {
            try? connection.close().wait()
            kept = idle.withLock { $0.popLast() }
        }
        let connection = try kept ?? connect()
        let session = PostgresSession(connection: connection, location: location, logger: logger)
        defer {
            if !connection.isClosed, !session.broken {
                idle.withLock { $0.append(connection) }
            } else {
                try? connection.close().wait()
            }
        }
        return try body(session)
    }

    /// A connection of its own (for LISTEN, which holds it), not from the pool.
    public func dedicatedConnection() throws(PostgresError) -> PostgresConnection {
        try connect()
    }

    private func connect() throws(PostgresError) -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable:
            tls = .disable
        case .require:
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw .cannotConnect(location.description, "TLS: \(error)")
            }
        }
        var configuration =
            location.host.hasPrefix("/")
            ? PostgresConnection.Configuration(
                unixSocketPath: location.host + "/.s.PGSQL.\(location.port)", username: location.user, password: location.password,
                database: location.database)
            : PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password, database: location.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: nextID.add(1, ordering: .relaxed).newValue,
                logger: logger
            ).wait()
        } catch {
            throw .cannotConnect(location.description, PostgresSession.reason(error))
        }
    }
}
