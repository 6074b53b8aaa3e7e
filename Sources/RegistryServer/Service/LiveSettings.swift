import Synchronization

/// The configuration in force, replaced as a whole on SIGHUP.
public final class LiveSettings: Sendable {
    private let value: Mutex<ServeConfiguration>

    public init(_ configuration: ServeConfiguration) { value = Mutex(configuration) }

    public var current: ServeConfiguration { value.withLock { $0 } }

    public func replace(with configuration: ServeConfiguration) { value.withLock { $0 = configuration } }
}
