import Foundation
import LogParsers

/// Reads chosen lines back from an archived shipment, byte for byte, in one pass.
public enum ArchiveExcerpts {
    /// The lines (1-based numbers) of `file` (plain or gzip), with the byte offset each
    /// line started at. Lines over the reader's limit come back cut to it.
    public static func read(_ file: URL, lines wanted: Set<Int>) throws(InputError) -> [Int: (offset: UInt64, bytes: [UInt8])] {
        guard !wanted.isEmpty else { return [:] }
        let (source, _) = try LogInput.open(path: file.path)
        let reader = LineReader(source: source)
        var found: [Int: (offset: UInt64, bytes: [UInt8])] = [:]
        try reader.forEachLine { line in
            if wanted.contains(line.number) { found[line.number] = (line.offset, Array(line.bytes)) }
        }
        return found
    }
}
