import Foundation
import Logging
import Primitives

/// swift-log records as one JSON object per line on standard error (`--log-format json`):
/// `{"time","level","label","message",…metadata}`.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { fields[key] = "\(value)" }
        fields["time"] = ISOTime.format(millis: Int64(Date().timeIntervalSince1970 * 1000), fraction: true)
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        guard var line = try? CanonicalJSON.string(fields) else { return }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
