import Foundation
import Primitives

/// Reads one log file (or standard input) and hands every connection event to a callback:
/// the streaming core of `parse` and `ingest`. Memory stays flat whatever the file size.
public final class LogFileParser {
    public let options: ParseOptions

    public init(options: ParseOptions) {
        self.options = options
    }

    /// Parses `path` (`-` for standard input).
    ///
    /// - Parameters:
    ///   - name: the file's name in events' `source.file`; defaults to `path`.
    ///   - progress: called every 65,536 lines with the lines and uncompressed bytes so far.
    ///   - rawBytes: sees the file's bytes as stored (compressed or not), each once and in
    ///     order, possibly on another thread: to hash or copy the file in the same pass.
    ///   - onEvent: called for every event, in place; the event's views are valid only
    ///     during the call.
    /// - Returns: the file's figures. A truncated or corrupt stream is not thrown: the
    ///   events before it are delivered and the summary says `complete: false` with the offset.
    /// - Throws: `InputError` when the file cannot be opened at all.
    public func parse(
        path: String, name: String? = nil, progress: ((Int, UInt64) -> Void)? = nil,
        rawBytes: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil, onEvent: (inout ParsedEvent) -> Void
    ) throws(InputError) -> FileSummary {
        let displayName = name ?? path
        var summary = FileSummary(file: displayName)
        let opened: (source: ByteSource, compression: LogInput.Compression?)
        do throws(InputError) {
            opened = try LogInput.open(path: path, observer: rawBytes, decompressAhead: options.decompressAhead, maxExpansionRatio: options.maxExpansionRatio)
        } catch {
            var error = error
            error.file = displayName
            if error.code == .openFailed || error.code == .readFailed { throw error }
            summary.compressed = true
            summary.complete = false
            summary.error = error.description
            summary.errorOffset = error.offset
            return summary
        }
        summary.compressed = opened.compression != nil
        summary.compression = opened.compression?.rawValue
        let reference = options.referenceMillis ?? Self.modificationMillis(path) ?? options.clock.nowMillis()
        return run(opened.source, summary: summary, reference: reference, progress: progress, onEvent: onEvent)
    }

    /// Parses plain log text already in memory (lines read back from an archive, for
    /// instance), with the same parsers as `parse(path:)`. Times are resolved against the
    /// options' reference time, or now.
    public func parse(bytes: [UInt8], name: String, onEvent: (inout ParsedEvent) -> Void) -> FileSummary {
        run(MemoryByteSource(bytes), summary: FileSummary(file: name), reference: options.referenceMillis ?? options.clock.nowMillis(), progress: nil, onEvent: onEvent)
    }

    private func run(
        _ source: ByteSource, summary: FileSummary, reference: Int64, progress: ((Int, UInt64) -> Void)?, onEvent: (inout ParsedEvent) -> Void
    ) -> FileSummary {
        var summary = summary
        let displayName = summary.file
        let resolver = TimeResolver(referenceMillis: reference, timeZone: options.timeZone)
        var run = FileRun(resolver: resolver, forced: options.format)
        let reader = LineReader(source: source, maxLineLength: options.maxLineLength)
        var firstEvent = Int64.max
        var lastEvent = Int64.min
        var firstFraction = false
        var lastFraction = false
        var kindCounts = [Int](repeating: 0, count: EventKind.allCases.count)
        do throws(InputError) {
            try reader.forEachLine { line in
                if let progress, line.number & 0xFFFF == 0 { progress(line.number, line.offset) }
                run.handle(line, summary: &summary) { event in
                    kindCounts[Int(event.kind.rawValue)] += 1
                    if event.hasTime {
                        if event.time < firstEvent {
                            firstEvent = event.time
                            firstFraction = event.hasFraction
                        }
                        if event.time > lastEvent {
                            lastEvent = event.time
                            lastFraction = event.hasFraction
                        }
                    }
                    onEvent(&event)
                }
            }
        } catch {
            var error = error
            error.file = displayName
            summary.complete = false
            summary.error = error.description
            summary.errorOffset = error.offset
        }
        run.finish(summary: &summary)
        summary.lines = reader.linesRead
        summary.bytes = reader.bytesRead
        for kind in EventKind.allCases where kindCounts[Int(kind.rawValue)] > 0 {
            summary.eventsByKind[kind.name] = kindCounts[Int(kind.rawValue)]
            summary.events += kindCounts[Int(kind.rawValue)]
        }
        if firstEvent != .max {
            summary.firstEvent = ISOTime.format(millis: firstEvent, fraction: firstFraction)
            summary.lastEvent = ISOTime.format(millis: lastEvent, fraction: lastFraction)
        }
        return summary
    }

    static func modificationMillis(_ path: String) -> Int64? {
        guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let date = attributes[.modificationDate] as? Date
        else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }
}
