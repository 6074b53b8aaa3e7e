import Foundation
import Primitives

/// Why a registry file was not imported; nothing of it was applied.
public enum RegistryImportError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, cause: String)
    /// Rows that do not validate, each with its line.
    case invalid(file: String, problems: [RegistryCSV.Problem])

    public var description: String {
        switch self {
        case .unreadable(let file, let cause): "cannot read \(file): \(cause)"
        case .invalid(let file, let problems): problems.map { "\($0.message) (\(file):\($0.line))" }.joined(separator: "\n")
        }
    }
}

extension RegistryStore {
    /// `registry import FILE.csv`: the whole file validated first (any bad row: nothing
    /// applied), then applied in one transaction, the file's SHA-256 as the source of every
    /// row it changes.
    public func importFile(_ path: String, now: Int64) throws -> ImportSummary {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RegistryImportError.unreadable(file: path, cause: error.localizedDescription)
        }
        let csv: RegistryCSV
        do throws(ValidationFailure) {
            csv = try RegistryCSV(bytes: Array(data))
        } catch {
            throw RegistryImportError.invalid(file: path, problems: error.problems)
        }
        return try importRows(csv.rows, file: path, sha256: Digest.sha256(data), now: now)
    }
}
