import Foundation

/// The SHA-256 of an RFC 9530 `Content-Digest` (or `Repr-Digest`) field:
/// `sha-256=:<base64>:`, other algorithms in the list ignored.
public enum ContentDigest {
    public enum Parsed: Equatable, Sendable {
        /// No sha-256 member.
        case absent
        case sha256([UInt8])
        /// A sha-256 member that is not 32 bytes of base64.
        case malformed
    }

    public static func parse(_ field: String?) -> Parsed {
        guard let field else { return .absent }
        for member in field.split(separator: ",") {
            let parts = member.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "sha-256" else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard value.count > 2, value.hasPrefix(":"), value.hasSuffix(":"), let data = Data(base64Encoded: String(value.dropFirst().dropLast())), data.count == 32 else {
                return .malformed
            }
            return .sha256(Array(data))
        }
        return .absent
    }

    /// The field value for `digest`.
    public static func field(_ digest: some Sequence<UInt8>) -> String { "sha-256=:\(Data(digest).base64EncodedString()):" }
}
