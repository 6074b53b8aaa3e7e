import Foundation
import Primitives

/// A registry import file (FORMATS.md §3), validated whole before anything is applied.
public struct RegistryCSV: Sendable {
    public static let header = ["network", "registrant", "status", "abuse_contact", "since"]
    /// Larger files are refused (a registry of 10 M networks is ~700 MB of CSV).
    public static let maxBytes = 2 << 30

    public struct Row: Sendable, Equatable {
        public var line: Int
        public var network: IPNetwork
        public var registrant: String
        public var status: RegistrationStatus
        public var abuseContact: String
        /// UTC milliseconds.
        public var since: Int64
    }

    /// A bad row, with its 1-based line number.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public var rows: [Row]

    /// Validates `bytes`; throws every problem found (nothing partial is returned).
    public init(bytes: [UInt8]) throws(ValidationFailure) {
        let result: Result<RegistryCSV, ValidationFailure> = bytes.withUnsafeBytes { raw in
            do throws(ValidationFailure) {
                return .success(try RegistryCSV(bytes: raw))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Validates the file's bytes record by record (nothing but valid rows is kept).
    public init(bytes input: UnsafeRawBufferPointer) throws(ValidationFailure) {
        var problems: [Problem] = []
        if input.count > Self.maxBytes {
            throw ValidationFailure(problems: [Problem(line: 0, message: "the file is larger than \(Self.maxBytes) bytes")])
        }
        var content = input
        if content.count >= 3, content[0] == 0xEF, content[1] == 0xBB, content[2] == 0xBF {
            content = UnsafeRawBufferPointer(rebasing: content[3...])
        }
        var rows: [Row] = []
        var seen: [IPNetwork: Int] = [:]
        var sawHeader = false
        var headerOK = false
        let csvProblems = CSVReader.forEachRecord(content) { record in
            if !sawHeader {
                sawHeader = true
                let header = record.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                headerOK = header == Self.header
                if !headerOK {
                    problems.append(Problem(line: record.line, message: "the header must be \(Self.header.joined(separator: ",")), found \(record.fields.joined(separator: ","))"))
                }
                return
            }
            guard headerOK else { return }
            switch Self.row(record) {
            case .success(let row):
                if let earlier = seen.updateValue(record.line, forKey: row.network) {
                    seen[row.network] = earlier
                    problems.append(Problem(line: record.line, message: "\(row.network) appears twice (first on line \(earlier))"))
                } else {
                    rows.append(row)
                }
            case .failure(let problem):
                problems.append(problem)
            }
        }
        problems += csvProblems.map { Problem(line: $0.line, message: $0.message) }
        if !sawHeader {
            problems.append(Problem(line: 1, message: "the file is empty: expected the header \(Self.header.joined(separator: ","))"))
        }
        if !problems.isEmpty { throw ValidationFailure(problems: problems.sorted { $0.line < $1.line }) }
        self.rows = rows
    }

    static func row(_ record: CSVReader.Record) -> Result<Row, Problem> {
        func fail(_ message: String) -> Result<Row, Problem> { .failure(Problem(line: record.line, message: message)) }
        guard record.fields.count == 5 else { return fail("expected 5 fields, found \(record.fields.count)") }
        let f = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        let network: IPNetwork
        do {
            network = try IPNetwork(parsing: f[0])
        } catch {
            return fail("\(error)")
        }
        guard Self.isValidRegistrant(f[1]) else {
            return fail("registrant '\(f[1])' must be 1–64 letters, digits, '-', '_' or '.'")
        }
        guard let status = RegistrationStatus(rawValue: f[2]), RegistrationStatus.recordable.contains(status) else {
            return fail("status '\(f[2])' must be active, suspended or revoked")
        }
        guard Self.isValidContact(f[3]) else {
            return fail("abuse_contact '\(f[3])' is not a plain e-mail address (local@domain, printable ASCII, no spaces)")
        }
        guard let since = ISOTime.parse(f[4]) else {
            return fail("since '\(f[4])' is not an ISO 8601 time such as 2026-01-15T00:00:00Z")
        }
        return .success(Row(line: record.line, network: network, registrant: f[1], status: status, abuseContact: f[3], since: since))
    }

    static func isValidRegistrant(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 64 else { return false }
        return text.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: ".")
        }
    }

    /// A contact goes into mail headers later: printable ASCII only, one `@`, no spaces,
    /// no header-breaking characters.
    static func isValidContact(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 254 else { return false }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "\"") })
        else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
    }
}

/// Every problem of an import file; nothing of it was applied.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var problems: [RegistryCSV.Problem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
