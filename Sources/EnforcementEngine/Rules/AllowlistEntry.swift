import Primitives
import RegistryClient

/// A network no rule may act on, with the reason it is exempt (`rules/allowlist.yaml`).
public struct AllowlistEntry: Sendable, Equatable {
    public var network: IPNetwork
    public var reason: String
}
