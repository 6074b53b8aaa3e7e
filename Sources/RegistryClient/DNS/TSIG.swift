import Crypto
import Primitives

/// Transaction signatures (RFC 8945) with HMAC-SHA256: checks the signature of a zone
/// transfer request and signs every message of the answer, each MAC chained to the one
/// before (§5.3.1), so a secondary can tell the whole transfer came from the primary.
public enum TSIG {
    public static let type: UInt16 = 250
    /// The window either side of the signing time (RFC 8945 recommends 300 s).
    public static let fudge: UInt16 = 300

    /// TSIG error codes (RFC 8945 §3).
    public enum ErrorCode {
        public static let badSignature: UInt16 = 16
        public static let badKey: UInt16 = 17
        public static let badTime: UInt16 = 18
    }

    /// The header's NOTAUTH: the signature or key was not accepted.
    public static let notAuthorized: UInt8 = 9

    /// A TSIG record as it was read.
    public struct Record: Sendable, Equatable {
        public var keyName: DNSName
        public var algorithm: DNSName
        public var timeSigned: UInt64
        public var fudge: UInt16
        public var mac: [UInt8]
        public var originalID: UInt16
        public var error: UInt16
        public var other: [UInt8]
    }

    /// What a request's signature says.
    public enum Check: Sendable, Equatable {
        /// No TSIG record.
        case unsigned
        /// Signed with `key`, and the signature holds: answer with a `Signer`.
        case valid(Signer)
        /// Signed, but not acceptably: `reply` is the error answer to send (NOTAUTH, with the
        /// TSIG error `code`).
        case invalid(code: UInt16, reply: [UInt8])
        /// Not a well-formed message or TSIG record (FORMERR).
        case malformed
    }

    /// Signs the messages of one answer in turn.
    public struct Signer: Sendable, Equatable {
        public let key: TSIGKey
        private var prior: [UInt8]
        private var first = true
        private let error: UInt16
        private let other: [UInt8]
        private let now: @Sendable () -> UInt64

        public static func == (a: Signer, b: Signer) -> Bool { a.key == b.key && a.prior == b.prior && a.first == b.first && a.error == b.error }

        /// A signer of answers to a request whose MAC was `requestMAC` (empty for a request:
        /// a NOTIFY the primary sends).
        init(key: TSIGKey, requestMAC: [UInt8], error: UInt16 = 0, other: [UInt8] = [], now: @escaping @Sendable () -> UInt64) {
            self.key = key
            self.prior = requestMAC
            self.error = error
            self.other = other
            self.now = now
        }

        /// A signer for a request the primary sends (a NOTIFY).
        public static func request(key: TSIGKey, now: @escaping @Sendable () -> UInt64 = TSIG.unixTime) -> Signer {
            Signer(key: key, requestMAC: [], now: now)
        }

        /// `message` with its TSIG record appended. The first message's MAC covers the
        /// request's MAC and all TSIG variables; each later one covers the MAC before it and
        /// the timers only (RFC 8945 §5.3.1).
        public mutating func sign(_ message: [UInt8]) -> [UInt8] {
            let time = now()
            var input: [UInt8] = []
            input.reserveCapacity(message.count + prior.count + 128)
            if !prior.isEmpty {
                TSIG.u16(UInt16(prior.count), into: &input)
                input += prior
            }
            input += message
            if first {
                TSIG.variables(key: key.name, time: time, error: error, other: other, into: &input)
            } else {
                TSIG.timers(time: time, into: &input)
            }
            let mac = Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key.secret)))
            first = false
            prior = mac
            let id = message.count >= 2 ? UInt16(message[0]) << 8 | UInt16(message[1]) : 0
            return TSIG.appending(
                Record(keyName: key.name, algorithm: TSIGKey.algorithm, timeSigned: time, fudge: TSIG.fudge, mac: mac, originalID: id, error: error, other: other),
                to: message)
        }
    }

    /// Seconds since 1970, as TSIG counts time.
    @Sendable public static func unixTime() -> UInt64 { UInt64(max(0, WallClock.system.nowMillis() / 1000)) }

    /// Checks the TSIG record of `request` against `keys` at time `now` (seconds).
    public static func check(_ request: UnsafeRawBufferPointer, keys: [TSIGKey], now: @escaping @Sendable () -> UInt64 = unixTime) -> Check {
        let located: (start: Int, record: Record)?
        do throws(DNSWireError) {
            located = try lastRecord(of: request)
        } catch {
            return .malformed
        }
        guard let (start, record) = located else { return .unsigned }
        // NOTAUTH with the question alone; the TSIG record goes after it.
        let refused = notAuthorizedReply(Array(request[0..<start]))
        func refusal(_ code: UInt16) -> Check {
            // Unsigned (RFC 8945 §5.2.2): the client's key is unknown or its MAC wrong.
            let answer = Record(
                keyName: record.keyName, algorithm: record.algorithm, timeSigned: now(), fudge: fudge, mac: [], originalID: record.originalID, error: code, other: [])
            return .invalid(code: code, reply: appending(answer, to: refused))
        }
        guard let key = keys.first(where: { $0.name == record.keyName }), record.algorithm == TSIGKey.algorithm else { return refusal(ErrorCode.badKey) }
        guard record.mac.count == SHA256.byteCount else { return refusal(ErrorCode.badSignature) }
        var input = Array(request[0..<start])
        input[0] = UInt8(record.originalID >> 8)
        input[1] = UInt8(record.originalID & 0xFF)
        decrementAdditionalCount(&input)
        variables(key: record.keyName, time: record.timeSigned, fudge: record.fudge, error: record.error, other: record.other, into: &input)
        guard HMAC<SHA256>.isValidAuthenticationCode(record.mac, authenticating: input, using: SymmetricKey(data: key.secret)) else {
            return refusal(ErrorCode.badSignature)
        }
        let time = now()
        let skew = time > record.timeSigned ? time - record.timeSigned : record.timeSigned - time
        if skew > UInt64(record.fudge) {
            // Signed (§5.2.3), carrying the server's time so the client can tell the skew.
            var signer = Signer(key: key, requestMAC: record.mac, error: ErrorCode.badTime, other: sixBytes(time), now: now)
            return .invalid(code: ErrorCode.badTime, reply: signer.sign(refused))
        }
        return .valid(Signer(key: key, requestMAC: record.mac, now: now))
    }

    /// The start of the message's last record and that record, when it is a TSIG record
    /// (which must come last, RFC 8945 §5.1); nil when there is none. Throws on a
    /// malformed message or TSIG record.
    static func lastRecord(of bytes: UnsafeRawBufferPointer) throws(DNSWireError) -> (Int, Record)? {
        var r = DNSReader(bytes, at: 4)
        let qd = Int(try r.u16())
        let total = Int(try r.u16()) + Int(try r.u16()) + Int(try r.u16())
        guard total > 0 else { return nil }
        for _ in 0..<qd {
            _ = try r.dnsName()
            try r.skip(4)
        }
        var start = 0
        var type: UInt16 = 0
        for _ in 0..<total {
            start = r.position
            _ = try r.dnsName()
            type = try r.u16()
            try r.skip(6)
            try r.skip(Int(try r.u16()))
        }
        guard type == TSIG.type else { return nil }
        var t = DNSReader(bytes, at: start)
        let keyName = try t.dnsName()
        _ = try t.u16()
        guard try t.u16() == DNSClass.any, try t.u32() == 0 else { throw .truncated }
        let length = Int(try t.u16())
        let end = t.position + length
        guard end == bytes.count else { throw .truncated }
        let algorithm = try t.dnsName()
        let time = UInt64(try t.u16()) << 32 | UInt64(try t.u32())
        let fudge = try t.u16()
        let macSize = Int(try t.u16())
        let macStart = t.position
        try t.skip(macSize)
        let mac = Array(bytes[macStart..<(macStart + macSize)])
        let originalID = try t.u16()
        let error = try t.u16()
        let otherSize = Int(try t.u16())
        let otherStart = t.position
        try t.skip(otherSize)
        guard t.position == end else { throw .truncated }
        return (
            start,
            Record(
                keyName: keyName, algorithm: algorithm, timeSigned: time, fudge: fudge, mac: mac, originalID: originalID, error: error,
                other: Array(bytes[otherStart..<(otherStart + otherSize)]))
        )
    }

    /// The record in wire form appended to `message`, whose additional count grows by one.
    static func appending(_ record: Record, to message: [UInt8]) -> [UInt8] {
        var out = message
        guard out.count >= 12 else { return out }
        let count = (UInt16(out[10]) << 8 | UInt16(out[11])) &+ 1
        out[10] = UInt8(count >> 8)
        out[11] = UInt8(count & 0xFF)
        record.keyName.append(to: &out)
        u16(type, into: &out)
        u16(DNSClass.any, into: &out)
        out += [0, 0, 0, 0]
        var data: [UInt8] = []
        record.algorithm.append(to: &data)
        data += sixBytes(record.timeSigned)
        u16(record.fudge, into: &data)
        u16(UInt16(record.mac.count), into: &data)
        data += record.mac
        u16(record.originalID, into: &data)
        u16(record.error, into: &data)
        u16(UInt16(record.other.count), into: &data)
        data += record.other
        u16(UInt16(data.count), into: &out)
        return out + data
    }

    /// The TSIG variables a MAC covers (§4.3.3): the names in canonical form (lower case,
    /// uncompressed), class ANY, TTL 0, then time, fudge, error and other data.
    static func variables(key: DNSName, time: UInt64, fudge: UInt16 = TSIG.fudge, error: UInt16, other: [UInt8], into out: inout [UInt8]) {
        key.append(to: &out)
        u16(DNSClass.any, into: &out)
        out += [0, 0, 0, 0]
        TSIGKey.algorithm.append(to: &out)
        out += sixBytes(time)
        u16(fudge, into: &out)
        u16(error, into: &out)
        u16(UInt16(other.count), into: &out)
        out += other
    }

    /// The timers only, for the later messages of an answer.
    static func timers(time: UInt64, into out: inout [UInt8]) {
        out += sixBytes(time)
        u16(fudge, into: &out)
    }

    static func sixBytes(_ value: UInt64) -> [UInt8] { (0..<6).reversed().map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }

    static func u16(_ value: UInt16, into out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }

    private static func decrementAdditionalCount(_ message: inout [UInt8]) {
        let count = (UInt16(message[10]) << 8 | UInt16(message[11])) &- 1
        message[10] = UInt8(count >> 8)
        message[11] = UInt8(count & 0xFF)
    }

    /// `message` (a request without its TSIG record) turned into a NOTAUTH response that
    /// keeps only its header and question.
    private static func notAuthorizedReply(_ message: [UInt8]) -> [UInt8] {
        var reply = Array(message[0..<questionEnd(message)])
        reply[2] |= 0x80
        reply[3] = (reply[3] & 0xF0) | notAuthorized
        for offset in [6, 8, 10] { (reply[offset], reply[offset + 1]) = (0, 0) }
        return reply
    }

    /// The end of the question section of a message already checked well-formed.
    private static func questionEnd(_ message: [UInt8]) -> Int {
        message.withUnsafeBytes { raw in
            var r = DNSReader(raw, at: 4)
            guard let qd = try? r.u16() else { return 12 }
            r.position = 12
            for _ in 0..<qd {
                guard (try? r.dnsName()) != nil, (try? r.skip(4)) != nil else { return 12 }
            }
            return r.position
        }
    }
}
