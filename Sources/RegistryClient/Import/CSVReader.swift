/// Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into records with
/// their 1-based line numbers. A malformed quote is reported, never guessed at.
struct CSVReader {
    struct Record {
        var line: Int
        var fields: [String]
    }

    struct Problem: Error {
        var line: Int
        var message: String
    }

    /// Parses all records; `maxFieldLength` bounds every field.
    static func records(_ bytes: [UInt8], maxFieldLength: Int = 1024) -> (records: [Record], problems: [Problem]) {
        var records: [Record] = []
        let problems = bytes.withUnsafeBytes { raw in
            forEachRecord(raw, maxFieldLength: maxFieldLength) { records.append($0) }
        }
        return (records, problems)
    }

    /// Streams the records to `body` (without keeping them); returns the problems met.
    static func forEachRecord(_ bytes: UnsafeRawBufferPointer, maxFieldLength: Int = 1024, _ body: (Record) -> Void) -> [Problem] {
        var problems: [Problem] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var wasQuoted = false
        var tooLong = false
        var i = 0
        func endField() {
            if field.count > maxFieldLength { tooLong = true }
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if tooLong {
                problems.append(Problem(line: recordLine, message: "a field is longer than \(maxFieldLength) bytes"))
            } else if !(fields.count == 1 && fields[0].isEmpty) {
                body(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
            tooLong = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if c == 0x0A { line += 1 }
                    field.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\""):
                if field.isEmpty && !wasQuoted {
                    inQuotes = true
                    wasQuoted = true
                } else {
                    problems.append(Problem(line: line, message: "a quote inside an unquoted field"))
                    field.append(c)
                }
            case 0x0D:
                if i + 1 < bytes.count, bytes[i + 1] == 0x0A { break }
                field.append(c)
            case 0x0A:
                endRecord()
                line += 1
                recordLine = line
            default:
                field.append(c)
            }
            i += 1
        }
        if inQuotes { problems.append(Problem(line: recordLine, message: "a quoted field is never closed")) }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        return problems
    }
}
