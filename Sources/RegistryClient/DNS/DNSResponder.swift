import Primitives

/// Turns request bytes into answer bytes for the registry zone; never throws, never
/// answers a response (no reflection loops), FORMERR for malformed queries.
public struct DNSResponder: Sendable {
    public let zone: RegistryZone
    public let registry: LiveRegistry
    /// Milliseconds since the epoch, now.
    public let clock: @Sendable () -> Int64
    /// TSIG keys (RFC 8945): a query signed with one gets a signed answer (secondaries sign
    /// their SOA queries too); a query signed otherwise gets NOTAUTH.
    public var keys: [TSIGKey] = []
    /// The common A query's path (the batch server drives it directly).
    let fast: FastAnswer

    public init(zone: RegistryZone, registry: LiveRegistry, clock: @escaping @Sendable () -> Int64) {
        self.zone = zone
        self.registry = registry
        self.clock = clock
        fast = FastAnswer(zone: zone)
    }

    /// Appends the answer to `out`; false to drop the packet. The common A query takes a
    /// path without intermediate values; everything else the general one.
    public func answer(_ bytes: UnsafeRawBufferPointer, overUDP: Bool, into out: inout [UInt8]) -> Bool {
        let registry = self.registry
        return answer(bytes, overUDP: overUDP, into: &out, serial: { registry.serial }, status: registry.status(of:at:))
    }

    /// The same, reading the registry through a thread's own `reader` (no shared lock).
    public func answer(_ bytes: UnsafeRawBufferPointer, overUDP: Bool, into out: inout [UInt8], reader: LiveRegistry.Reader) -> Bool {
        answer(bytes, overUDP: overUDP, into: &out, serial: { reader.serial }, status: reader.status(of:at:))
    }

    private func answer(
        _ bytes: UnsafeRawBufferPointer, overUDP: Bool, into out: inout [UInt8], serial: () -> Int64, status: (IPAddress, Int64) -> RegistrationStatus
    ) -> Bool {
        let now = clock()
        if fast.answer(bytes, serial: { self.zone.zoneSerial(UInt32(truncatingIfNeeded: serial())) }, out: &out, status: { status($0, now) }) {
            return true
        }
        guard let reply = answer(bytes, overUDP: overUDP) else { return false }
        out += reply
        return true
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
        var signer: TSIG.Signer?
        if query.additional.last?.type == TSIG.type {
            switch TSIG.check(bytes, keys: keys) {
            case .valid(let valid): signer = valid
            case .invalid(_, let reply): return reply
            case .malformed, .unsigned: return RegistryZone.formatError(for: bytes)
            }
        }
        let now = clock()
        let serial = zone.zoneSerial(UInt32(truncatingIfNeeded: registry.serial))
        guard let response = zone.respond(to: query, serial: serial, state: { registry.state(of: $0, at: now) }) else { return nil }
        let reply = overUDP ? RegistryZone.udpBytes(response, query: query) : response.encode()
        guard signer != nil else { return reply }
        return signer!.sign(reply)
    }
}
