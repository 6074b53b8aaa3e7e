import Primitives

/// The index as bytes, for `IndexCache`: its parts written as they are held, little-endian,
/// so that reading them back is a copy, not a decode of history rows. Layout: the magic
/// `ABRI`, a version, the history mark the index was built at, the counts, the IPv4
/// networks (first address, prefix length, history start and count), the IPv6 ones, the
/// history arrays, the strings, and an FNV-1a hash of everything before it.
extension RegistrationIndex {
    /// A cache file that is not a whole, intact index of the expected history.
    public struct ArchiveError: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "not a usable registry index file: \(reason)" }
    }

    static let archiveMagic: [UInt8] = Array("ABRI".utf8)
    static let archiveVersion: UInt32 = 1

    /// The index's bytes, marked as built at history `mark`.
    public func archived(mark: String) -> [UInt8] {
        var out = ArchiveWriter()
        out.bytes += Self.archiveMagic
        out.put(Self.archiveVersion)
        out.put(text: mark)
        out.put(UInt32(v4.networks.count))
        out.put(UInt32(v6.networks.count))
        out.put(UInt32(validFrom.count))
        out.put(UInt32(strings.count))
        for network in v4.networks {
            out.put(network.first)
            out.bytes.append(network.prefixLength)
            out.put(network.historyStart)
            out.put(network.historyCount)
        }
        for network in v6.networks {
            out.put(UInt64(truncatingIfNeeded: network.first >> 64))
            out.put(UInt64(truncatingIfNeeded: network.first))
            out.bytes.append(network.prefixLength)
            out.put(network.historyStart)
            out.put(network.historyCount)
        }
        for value in validFrom { out.put(value) }
        out.bytes += statuses
        for ref in registrantRefs { out.put(ref) }
        for ref in caseRefs { out.put(ref) }
        for string in strings { out.put(text: string) }
        out.put(FNV1a.hash(out.bytes))
        return out.bytes
    }

    /// The index read back from `archived(mark:)`'s bytes, which must carry `mark`. Every
    /// count, range and reference is checked: a damaged file is an error, never a wrong
    /// answer or a crash.
    public convenience init(archived bytes: UnsafeRawBufferPointer, mark: String) throws(ArchiveError) {
        guard bytes.count >= 8 + Self.archiveMagic.count else { throw ArchiveError(reason: "too short") }
        let body = UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - 8)])
        let stored = bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self).littleEndian
        guard FNV1a.hash(body) == stored else { throw ArchiveError(reason: "its checksum does not match (damaged or cut short)") }
        var input = ArchiveReader(bytes: body)
        guard try Array(input.take(Self.archiveMagic.count)) == Self.archiveMagic, try input.read(UInt32.self) == Self.archiveVersion else {
            throw ArchiveError(reason: "another format or version")
        }
        guard try input.text() == mark else { throw ArchiveError(reason: "built at another state of the registry") }
        let v4Count = Int(try input.read(UInt32.self))
        let v6Count = Int(try input.read(UInt32.self))
        let history = Int(try input.read(UInt32.self))
        let stringCount = Int(try input.read(UInt32.self))
        // Each counted item takes at least a byte: counts beyond the file are refused before
        // anything is allocated for them.
        guard v4Count + v6Count + history + stringCount <= body.count else { throw ArchiveError(reason: "counts beyond its size") }
        func range(_ start: Int32, _ count: Int32) throws(ArchiveError) {
            guard start >= 0, count > 0, Int(start) + Int(count) <= history else { throw ArchiveError(reason: "a history range outside the history") }
        }
        var v4Networks: [IntervalTable<UInt32>.Network] = []
        v4Networks.reserveCapacity(v4Count)
        for _ in 0..<v4Count {
            let first = try input.read(UInt32.self)
            let prefix = try input.read(UInt8.self)
            let start = try input.read(Int32.self)
            let count = try input.read(Int32.self)
            guard prefix <= 32 else { throw ArchiveError(reason: "an IPv4 prefix longer than 32") }
            try range(start, count)
            let last = prefix == 0 ? UInt32.max : first | ((UInt32(1) << UInt32(32 - prefix)) &- 1)
            v4Networks.append(.init(first: first, last: last, prefixLength: prefix, parent: -1, historyStart: start, historyCount: count))
        }
        var v6Networks: [IntervalTable<UInt128>.Network] = []
        v6Networks.reserveCapacity(v6Count)
        for _ in 0..<v6Count {
            let first = UInt128(try input.read(UInt64.self)) << 64 | UInt128(try input.read(UInt64.self))
            let prefix = try input.read(UInt8.self)
            let start = try input.read(Int32.self)
            let count = try input.read(Int32.self)
            guard prefix <= 128 else { throw ArchiveError(reason: "an IPv6 prefix longer than 128") }
            try range(start, count)
            let last = prefix == 0 ? UInt128.max : first | ((UInt128(1) << UInt128(128 - Int(prefix))) &- 1)
            v6Networks.append(.init(first: first, last: last, prefixLength: prefix, parent: -1, historyStart: start, historyCount: count))
        }
        let validFrom = try input.array(Int64.self, history)
        let statuses = Array(try input.take(history))
        let registrantRefs = try input.array(Int32.self, history)
        let caseRefs = try input.array(Int32.self, history)
        var strings: [String] = []
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount { strings.append(try input.text()) }
        guard input.offset == body.count else { throw ArchiveError(reason: "bytes after its end") }
        guard registrantRefs.allSatisfy({ $0 >= 0 && Int($0) < stringCount }), caseRefs.allSatisfy({ $0 >= -1 && Int($0) < stringCount }) else {
            throw ArchiveError(reason: "a reference to no string")
        }
        self.init(
            v4Networks: v4Networks, v6Networks: v6Networks, validFrom: validFrom, statuses: statuses, registrantRefs: registrantRefs, caseRefs: caseRefs,
            strings: strings)
    }
}

/// Little-endian integers and length-prefixed UTF-8 into a byte array.
private struct ArchiveWriter {
    var bytes: [UInt8] = []

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    mutating func put(text: String) {
        let utf8 = Array(text.utf8)
        put(UInt32(utf8.count))
        bytes += utf8
    }
}

/// Reads what `ArchiveWriter` wrote, every read bounds-checked.
private struct ArchiveReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func take(_ count: Int) throws(RegistrationIndex.ArchiveError) -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else { throw RegistrationIndex.ArchiveError(reason: "cut short at byte \(offset)") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(RegistrationIndex.ArchiveError) -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    mutating func array<T: FixedWidthInteger>(_: T.Type, _ count: Int) throws(RegistrationIndex.ArchiveError) -> [T] {
        let raw = try take(count * MemoryLayout<T>.size)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = T(littleEndian: raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)) }
            initialized = count
        }
    }

    mutating func text() throws(RegistrationIndex.ArchiveError) -> String {
        let count = Int(try read(UInt32.self))
        return String(decoding: try take(count), as: UTF8.self)
    }
}
