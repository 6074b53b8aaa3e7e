import Hummingbird
import NIOCore

/// The request context of the service: Hummingbird's, plus the client's address (for
/// per-address limits and logs).
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection, closed by a stop that cannot wait for a stalled upload.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// The client's IP address as text (`unknown` when the socket has none).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}
