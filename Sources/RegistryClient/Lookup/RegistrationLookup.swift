import Primitives

/// Where registration statuses come from: the embedded registry (the default) or a
/// remote registry zone over DNS. A lookup that fails answers `unknown`, never
/// `unregistered`.
public protocol RegistrationLookup: Sendable {
    /// The state of `ip` at `time` (UTC ms). Backends that only know the present (DNS)
    /// answer the current state whatever `time` is.
    func state(of ip: IPAddress, at time: Int64) async -> RegistrationState
}

/// The embedded registry: the in-memory index built from the database.
public struct EmbeddedRegistrationLookup: RegistrationLookup {
    public let index: RegistrationIndex

    public init(index: RegistrationIndex) {
        self.index = index
    }

    public func state(of ip: IPAddress, at time: Int64) async -> RegistrationState {
        index.state(of: ip, at: time)
    }
}
