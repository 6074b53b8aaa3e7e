import Foundation
import RegistryClient

/// A `RegistryDNSServer` running in a task for a test: bound when `start` returns,
/// stopped (its task cancelled and awaited) by `stop`. Async all the way: a test that
/// blocked a thread on the server would starve the few threads async work runs on.
public final class ServedZone: Sendable {
    public let server: RegistryDNSServer
    public let port: Int
    private let task: Task<Void, any Error>

    private init(server: RegistryDNSServer, port: Int, task: Task<Void, any Error>) {
        self.server = server
        self.port = port
        self.task = task
    }

    public static func start(_ server: RegistryDNSServer) async throws -> ServedZone {
        let port = try await server.bind()
        return ServedZone(server: server, port: port, task: Task { try await server.run() })
    }

    public func stop() async {
        task.cancel()
        _ = await task.result
    }
}
