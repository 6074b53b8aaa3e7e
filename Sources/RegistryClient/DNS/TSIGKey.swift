import Foundation

/// A shared secret for TSIG (RFC 8945) with HMAC-SHA256, the one algorithm served, read from
/// a file in BIND's key syntax (what `tsig-keygen` writes and NSD, Knot and BIND read):
///
///     key "transfer.reg.example" {
///         algorithm hmac-sha256;
///         secret "base64…";
///     };
public struct TSIGKey: Sendable, Equatable {
    /// The key's name, case folded (names compare case-insensitively).
    public var name: DNSName
    public var secret: [UInt8]

    /// The algorithm's name on the wire.
    public static let algorithm = DNSName("hmac-sha256")!

    public init(name: DNSName, secret: [UInt8]) {
        self.name = name
        self.secret = secret
    }

    /// A key file that cannot be used, with its path and line.
    public struct FileError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var line: Int
        public var reason: String

        public var description: String { "\(path):\(line): \(reason)" }
    }

    /// The keys of a BIND key file (one or more `key "NAME" { … };` clauses; `#`, `//`
    /// and `/* */` comments allowed). Files over 64 KiB are refused.
    public static func load(path: String) throws(FileError) -> [TSIGKey] {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, line: 0, reason: "cannot read the key file") }
        guard data.count <= 65_536 else { throw FileError(path: path, line: 0, reason: "larger than 64 KiB: not a key file") }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    /// The keys of BIND key-file text.
    public static func parse(_ text: String, path: String = "<key>") throws(FileError) -> [TSIGKey] {
        var tokens = Tokens(text)
        var keys: [TSIGKey] = []
        func fail(_ reason: String) -> FileError { FileError(path: path, line: tokens.line, reason: reason) }
        while let word = tokens.next() {
            guard word == "key" else { throw fail("expected 'key', found '\(word)'") }
            guard let quoted = tokens.next(), let name = DNSName(quoted.trimmingCharacters(in: CharacterSet(charactersIn: "\""))), !name.labels.isEmpty else {
                throw fail("a key needs a name")
            }
            guard tokens.next() == "{" else { throw fail("expected '{' after the key's name") }
            var algorithm: String?
            var secret: [UInt8]?
            while let field = tokens.next(), field != "}" {
                guard let value = tokens.next(), tokens.next() == ";" else { throw fail("expected '\(field) VALUE;'") }
                switch field {
                case "algorithm": algorithm = value.lowercased()
                case "secret":
                    guard let bytes = Data(base64Encoded: value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))), !bytes.isEmpty else {
                        throw fail("the secret is not base64")
                    }
                    secret = Array(bytes)
                default: throw fail("unknown field '\(field)'")
                }
            }
            guard tokens.next() == ";" else { throw fail("expected ';' after the key's '}'") }
            guard algorithm == "hmac-sha256" else { throw fail("algorithm '\(algorithm ?? "none")': only hmac-sha256 is served") }
            guard let secret else { throw fail("key \(name) has no secret") }
            guard secret.count >= 16 else { throw fail("key \(name): a secret of \(secret.count) bytes is too short (16 at least)") }
            guard !keys.contains(where: { $0.name == name }) else { throw fail("key \(name) is defined twice") }
            keys.append(TSIGKey(name: name, secret: secret))
        }
        guard !keys.isEmpty else { throw FileError(path: path, line: tokens.line, reason: "no key in the file") }
        return keys
    }

    /// The file's text for `key` (what `tsig-keygen NAME` prints).
    public var fileText: String {
        let name = self.name.description.dropLast()
        return "key \"\(name)\" {\n\talgorithm hmac-sha256;\n\tsecret \"\(Data(secret).base64EncodedString())\";\n};\n"
    }

    /// Splits key-file text into words, quoted strings, and the punctuation `{ } ;`.
    private struct Tokens {
        let scalars: [Character]
        var index = 0
        var line = 1

        init(_ text: String) { scalars = Array(text) }

        mutating func next() -> String? {
            skipSpaceAndComments()
            guard index < scalars.count else { return nil }
            let c = scalars[index]
            if "{};".contains(c) {
                index += 1
                return String(c)
            }
            var word = ""
            if c == "\"" {
                word.append(c)
                index += 1
                while index < scalars.count, scalars[index] != "\"", scalars[index] != "\n" {
                    word.append(scalars[index])
                    index += 1
                }
                if index < scalars.count, scalars[index] == "\"" {
                    word.append("\"")
                    index += 1
                }
                return word
            }
            while index < scalars.count, !scalars[index].isWhitespace, !"{};\"".contains(scalars[index]) {
                word.append(scalars[index])
                index += 1
            }
            return word
        }

        private mutating func skipSpaceAndComments() {
            while index < scalars.count {
                let c = scalars[index]
                if c.isNewline {
                    line += 1
                    index += 1
                } else if c.isWhitespace {
                    index += 1
                } else if c == "#" || (c == "/" && index + 1 < scalars.count && scalars[index + 1] == "/") {
                    while index < scalars.count, scalars[index] != "\n" { index += 1 }
                } else if c == "/" && index + 1 < scalars.count && scalars[index + 1] == "*" {
                    index += 2
                    while index + 1 < scalars.count, !(scalars[index] == "*" && scalars[index + 1] == "/") {
                        if scalars[index].isNewline { line += 1 }
                        index += 1
                    }
                    index = min(index + 2, scalars.count)
                } else {
                    return
                }
            }
        }
    }
}
