import Foundation
import RegistryClient

/// The DNS wire decoder: any bytes give a message or a `DNSWireError`; a message decoded
/// encodes to bytes that decode to the same message.
enum DNSMessageTarget {
    static let target = FuzzTarget(name: "dns-message", run: run, seeds: { _ in DNSResponderTarget.queries() })

    static func run(_ data: UnsafeRawBufferPointer) {
        guard let message = try? DNSMessage(parsing: data) else { return }
        let encoded = message.encode()
        guard let again = try? DNSMessage(parsing: encoded) else {
            preconditionFailure("an encoded message does not decode: \(encoded)")
        }
        precondition(again == message, "a message changes through encoding: \(message) became \(again)")
    }
}
