import Primitives
/// Reads the client peer from the forms MTAs log it in, always choosing the TCP peer and
/// never an address from a HELO name.
enum PeerScanner {
    struct Peer {
        /// Index of the peer's first byte (its name, HELO or `[`).
        var start: Int
        var name: Range<Int>?
        var ip: IPAddress
        /// The client's TCP port when the MTA logs it (`[ip]:port`), else 0.
        var port: UInt16 = 0
        /// Index just after the peer (after `]` and any `:port`).
        var end: Int
    }

    /// A bracketed address, the port after it (0 when none) and the index after both.
    struct Bracketed {
        var ip: IPAddress
        var port: UInt16
        var end: Int
    }

    /// An address between `[` at `open` and the next `]`; `IPv6:` prefixes allowed.
    static func bracketed(_ line: UnsafeRawBufferPointer, open: Int) -> Bracketed? {
        guard open < line.count, line[open] == UInt8(ascii: "[") else { return nil }
        guard let close = line.index(of: UInt8(ascii: "]"), from: open + 1, to: min(line.count, open + 66)) else { return nil }
        guard let ip = IPAddress.parse(line.slice(open + 1, close)) else { return nil }
        let (port, end) = scanPort(line, close + 1)
        return Bracketed(ip: ip, port: port, end: end)
    }

    /// Reads `:port` (digits) at `at`: the port (0 when absent or above 65535) and the index
    /// after it.
    static func scanPort(_ line: UnsafeRawBufferPointer, _ at: Int) -> (UInt16, Int) {
        guard at + 1 < line.count, line[at] == UInt8(ascii: ":"), line[at + 1] >= 48, line[at + 1] <= 57 else { return (0, at) }
        var i = at + 1
        var value = 0
        while i < line.count, line[i] >= 48, line[i] <= 57 {
            if value <= 65_535 { value = value * 10 + Int(line[i] - 48) }
            i += 1
        }
        return (value <= 65_535 ? UInt16(value) : 0, i)
    }

    /// Postfix `name[ip]` or `[ip]`, with an optional `:port`, starting at `at`.
    /// The name is the verified reverse name or `unknown`; it never contains `[`.
    static func postfix(_ line: UnsafeRawBufferPointer, at: Int) -> Peer? {
        guard let open = line.index(of: UInt8(ascii: "["), from: at, to: min(line.count, at + 300)) else { return nil }
        if line.index(of: 0x20, from: at, to: open) != nil { return nil }
        guard let found = bracketed(line, open: open) else { return nil }
        return Peer(start: at, name: open > at ? at..<open : nil, ip: found.ip, port: found.port, end: found.end)
    }

    /// Exim `host_and_ident`: `[name ][(helo) ][ip][:port]` at `at`. The address is the
    /// first bracketed token outside parentheses, so a HELO of `([1.2.3.4])` never wins.
    static func exim(_ line: UnsafeRawBufferPointer, at: Int) -> Peer? {
        var i = at
        var depth = 0
        var name: Range<Int>?
        let limit = min(line.count, at + 600)
        var tokenStart = at
        while i < limit {
            let c = line[i]
            if c == UInt8(ascii: "(") {
                depth += 1
            } else if c == UInt8(ascii: ")") {
                depth = max(0, depth - 1)
            } else if c == UInt8(ascii: "["), depth == 0, i == tokenStart {
                guard let found = bracketed(line, open: i) else { return nil }
                return Peer(start: at, name: name, ip: found.ip, port: found.port, end: found.end)
            } else if c == 0x20, depth == 0 {
                if name == nil, tokenStart == at, i > at, line[at] != UInt8(ascii: "(") { name = at..<i }
                tokenStart = i + 1
            }
            i += 1
        }
        return nil
    }

    /// Sendmail `relay=` value: `[user@]name [ip]`, `[ip]`, or `name [IPv6:…]` at `at`.
    static func sendmail(_ line: UnsafeRawBufferPointer, at: Int) -> Peer? {
        var i = at
        if i < line.count, line[i] != UInt8(ascii: "[") {
            let end = min(line.tokenEnd(i), line.index(of: UInt8(ascii: ","), from: i) ?? line.count)
            var nameStart = i
            if let atSign = line.index(of: UInt8(ascii: "@"), from: i, to: end) { nameStart = atSign + 1 }
            let name = nameStart..<end
            i = line.skipSpaces(end)
            guard let found = bracketed(line, open: i) else { return nil }
            return Peer(start: at, name: name.isEmpty ? nil : name, ip: found.ip, port: found.port, end: found.end)
        }
        guard let found = bracketed(line, open: i) else { return nil }
        return Peer(start: at, name: nil, ip: found.ip, port: found.port, end: found.end)
    }
}
