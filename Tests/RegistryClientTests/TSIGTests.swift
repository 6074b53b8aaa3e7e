import Foundation
import RegistryClient
import TestSupport
import Testing

/// Transaction signatures (RFC 8945, HMAC-SHA256) and BIND key files.
struct TSIGTests {
    static let key = TSIGKey(name: DNSName("xfr.reg.example.org")!, secret: Array(repeating: 7, count: 32))

    /// An AXFR request signed with `key` at `time`.
    static func signedRequest(_ key: TSIGKey, at time: UInt64) -> [UInt8] {
        var query = DNSMessage(id: 0x2222)
        query.questions = [DNSMessage.Question(name: DNSName("reg.example.org")!, type: DNSType.axfr)]
        var signer = TSIG.Signer.request(key: key, now: { time })
        return signer.sign(query.encode())
    }

    static func check(_ bytes: [UInt8], keys: [TSIGKey], at time: UInt64) -> TSIG.Check {
        bytes.withUnsafeBytes { TSIG.check($0, keys: keys, now: { time }) }
    }

    @Test func acceptsARequestSignedWithItsKeyAndNothingElse() throws {
        let now: UInt64 = 1_795_000_000
        let request = Self.signedRequest(Self.key, at: now)
        guard case .valid(let signer) = Self.check(request, keys: [Self.key], at: now + 10) else {
            Issue.record("a request signed with the key is valid")
            return
        }
        #expect(signer.key == Self.key)

        // Any byte of the question changed: BADSIG, answered NOTAUTH, unsigned.
        var tampered = request
        tampered[20] ^= 0x20
        guard case .invalid(let code, let reply) = Self.check(tampered, keys: [Self.key], at: now) else {
            Issue.record("a tampered request is refused")
            return
        }
        #expect(code == TSIG.ErrorCode.badSignature)
        let answer = try DNSMessage(parsing: reply)
        #expect(answer.isResponse && answer.rcode == TSIG.notAuthorized && answer.id == 0x2222 && answer.answers.isEmpty)

        // Signed with another key of the same name: BADSIG; with a key not configured: BADKEY.
        let impostor = TSIGKey(name: Self.key.name, secret: Array(repeating: 8, count: 32))
        #expect(Self.code(Self.check(Self.signedRequest(impostor, at: now), keys: [Self.key], at: now)) == TSIG.ErrorCode.badSignature)
        let stranger = TSIGKey(name: DNSName("other.example")!, secret: Self.key.secret)
        #expect(Self.code(Self.check(Self.signedRequest(stranger, at: now), keys: [Self.key], at: now)) == TSIG.ErrorCode.badKey)
        #expect(Self.code(Self.check(request, keys: [], at: now)) == TSIG.ErrorCode.badKey, "no key configured: any signature is unknown")

        // Signed 10 minutes before the server's clock (fudge 300 s): BADTIME, signed.
        guard case .invalid(let late, let timeReply) = Self.check(request, keys: [Self.key], at: now + 600) else {
            Issue.record("a request outside the time window is refused")
            return
        }
        #expect(late == TSIG.ErrorCode.badTime)
        #expect(timeReply.count > tampered.count, "BADTIME answers carry a MAC and the server's time")

        var unsigned = DNSMessage(id: 1)
        unsigned.questions = [DNSMessage.Question(name: DNSName("reg.example.org")!, type: DNSType.axfr)]
        #expect(Self.check(unsigned.encode(), keys: [Self.key], at: now) == .unsigned)
        #expect(Self.check(Array(request.dropLast(3)), keys: [Self.key], at: now) == .malformed)
    }

    static func code(_ check: TSIG.Check) -> UInt16? {
        if case .invalid(let code, _) = check { return code }
        return nil
    }

    /// What `tsig-keygen` (Debian bind9) writes is read back; the key's own text too.
    @Test func readsTheKeyFilesTsigKeygenWrites() throws {
        let keygen = try Requirement.program("tsig-keygen", debianPackage: "bind9")
        let text = try run([keygen, "-a", "hmac-sha256", "transfer.reg.example"]).output
        let keys = try TSIGKey.parse(text)
        #expect(keys.count == 1 && keys[0].name == DNSName("transfer.reg.example")! && keys[0].secret.count == 32)
        #expect(try TSIGKey.parse(keys[0].fileText) == keys)
        let two = try TSIGKey.parse("# two keys\n" + Self.key.fileText + "/* a comment */\n" + keys[0].fileText)
        #expect(two.map(\.name) == [Self.key.name, keys[0].name])
    }

    @Test func refusesKeyFilesItCannotUseWithTheirLine() {
        func reason(_ text: String) -> String { refusal { _ = try TSIGKey.parse(text, path: "k.conf") } }
        #expect(reason("key \"a.example\" {\n\talgorithm hmac-md5;\n\tsecret \"AAAAAAAAAAAAAAAAAAAAAA==\";\n};\n") == "k.conf:4: algorithm 'hmac-md5': only hmac-sha256 is served")
        #expect(reason("key \"a.example\" {\n\talgorithm hmac-sha256;\n};\n") == "k.conf:3: key a.example. has no secret")
        #expect(reason("key \"a.example\" {\n\talgorithm hmac-sha256;\n\tsecret \"not base64!\";\n};\n") == "k.conf:3: the secret is not base64")
        #expect(reason("key \"a.example\" {\n\talgorithm hmac-sha256;\n\tsecret \"AAAA\";\n};\n").contains("too short"))
        #expect(reason("options { };") == "k.conf:1: expected 'key', found 'options'")
        #expect(reason("# nothing\n") == "k.conf:2: no key in the file")
    }
}

extension TSIGTests {
    /// A query dig 9.18 sent over UDP (`dig -k key.conf reg.example SOA`): EDNS with a
    /// cookie, then the TSIG record. Its signature holds at the time it was signed.
    @Test func verifiesTheSOAQueryDigSignsWithACookie() throws {
        let hex = """
            c8db0120000100000000000203726567076578616d706c65000006000100002904d000000000000c000a0008f0bd11e52f023ef80378667203726567076578616d706c650000\
            fa00ff00000000003d0b686d61632d7368613235360000006b0cbf97012c002041b6d95aa2d6b98a0a70032c16e3993c2cf943179496121ba8baf9a09ae6fc50c8db00000000
            """
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        let key = TSIGKey(name: DNSName("xfr.reg.example")!, secret: Array(Data(base64Encoded: "SpWEpEpp3P7TY0DChwZsRJ6Ab2fczBTwqlxReFsjPCU=")!))
        let signedAt: UInt64 = 0x6b0c_bf97
        guard case .valid = Self.check(bytes, keys: [key], at: signedAt + 1) else {
            Issue.record("dig's signed query: \(Self.check(bytes, keys: [key], at: signedAt + 1))")
            return
        }
    }
}
