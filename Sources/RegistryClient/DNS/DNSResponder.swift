/// Turns request bytes into answer bytes for the registry zone; never throws, never
/// answers a response (no reflection loops), FORMERR for malformed queries.
public struct DNSResponder: Sendable {
    public let zone: RegistryZone
    public let registry: LiveRegistry
    /// Milliseconds since the epoch, now.
    public let clock: @Sendable () -> Int64

    public init(zone: RegistryZone, registry: LiveRegistry, clock: @escaping @Sendable () -> Int64) {
        self.zone = zone
        self.registry = registry
        self.clock = clock
    }

    /// The answer to one datagram or TCP message, or nil to drop it.
    public func answer(_ bytes: UnsafeRawBufferPointer, overUDP: Bool) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: bytes)
        } catch {
            return RegistryZone.formatError(for: bytes)
        }
        let now = clock()
        let serial = UInt32(truncatingIfNeeded: registry.serial)
        guard let response = zone.respond(to: query, serial: serial, state: { registry.state(of: $0, at: now) }) else { return nil }
        return overUDP ? RegistryZone.udpBytes(response, query: query) : response.encode()
    }
}
