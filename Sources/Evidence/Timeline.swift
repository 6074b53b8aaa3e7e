import EnforcementEngine
import Foundation
import LogParsers
import Primitives

/// Hourly counts per reporter and event kind over a case window: `timeline.csv` and the
/// same as a chart, `timeline.svg` (static SVG drawn here: no script, no external font).
struct Timeline {
    struct Key: Hashable, Comparable {
        var hour: Int64
        var reporter: String
        var kind: EventKind

        static func < (a: Key, b: Key) -> Bool {
            (a.hour, a.reporter, a.kind.name) < (b.hour, b.reporter, b.kind.name)
        }
    }

    /// First hour of the window and the hour after its last (UTC ms, whole hours).
    var firstHour: Int64
    var endHour: Int64
    var counts: [Key: Int] = [:]

    init(windowStart: Int64, windowEnd: Int64) {
        firstHour = windowStart / 3_600_000 * 3_600_000
        endHour = max(firstHour + 3_600_000, (windowEnd + 3_599_999) / 3_600_000 * 3_600_000)
    }

    mutating func add(hour: Int64, reporter: String, kind: EventKind, count: Int) {
        guard hour >= firstHour, hour < endHour, count > 0 else { return }
        counts[Key(hour: hour, reporter: reporter, kind: kind), default: 0] += count
    }

    /// `hour,reporter,kind,count`, sorted.
    func csv() -> Data {
        var text = "hour,reporter,kind,count\n"
        for key in counts.keys.sorted() {
            text += "\(ISOTime.format(millis: key.hour, fraction: false)),\(Self.csvField(key.reporter)),\(key.kind.name),\(counts[key]!)\n"
        }
        return Data(text.utf8)
    }

    /// One panel per reporter (same scale), a stacked bar per hour coloured by kind, a
    /// legend, the window's hours along the bottom.
    func svg(caseID: String, subject: String) -> Data {
        let reporters = Set(counts.keys.map(\.reporter)).sorted()
        let kinds = EventKind.allCases.filter { kind in counts.keys.contains { $0.kind == kind } }
        let hours = Int((endHour - firstHour) / 3_600_000)
        var perBar: [String: [Int: [EventKind: Int]]] = [:]
        for (key, count) in counts {
            perBar[key.reporter, default: [:]][Int((key.hour - firstHour) / 3_600_000), default: [:]][key.kind, default: 0] += count
        }
        let peak = max(1, perBar.values.flatMap { $0.values.map { $0.values.reduce(0, +) } }.max() ?? 1)
        let left = 150.0, plotWidth = 720.0, panelHeight = 80.0, gap = 24.0, top = 56.0
        let barWidth = plotWidth / Double(max(1, hours))
        let height = top + Double(max(1, reporters.count)) * (panelHeight + gap) + 40
        let width = left + plotWidth + 60
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<title>\(XMLText.escaped("Hourly events of \(subject) by reporter and kind, case \(caseID)"))</title>\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s += "<text x=\"10\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(XMLText.escaped("\(caseID): \(subject), events per hour (peak \(peak))"))</text>\n"
        var legendX = 10.0
        for kind in kinds {
            s += "<rect x=\"\(Self.number(legendX))\" y=\"28\" width=\"10\" height=\"10\" fill=\"\(Self.colour(kind))\"/>"
            s += "<text x=\"\(Self.number(legendX + 14))\" y=\"37\">\(kind.name)</text>\n"
            legendX += 24 + Double(kind.name.count) * 6.5
        }
        for (index, reporter) in reporters.enumerated() {
            let y0 = top + Double(index) * (panelHeight + gap)
            let baseline = y0 + panelHeight
            s += "<text x=\"10\" y=\"\(Self.number(y0 + panelHeight / 2))\">\(XMLText.escaped(reporter))</text>\n"
            s += "<line x1=\"\(Self.number(left))\" y1=\"\(Self.number(baseline))\" x2=\"\(Self.number(left + plotWidth))\" y2=\"\(Self.number(baseline))\" stroke=\"#888888\"/>\n"
            for hour in (perBar[reporter] ?? [:]).keys.sorted() {
                var y = baseline
                for kind in kinds {
                    guard let count = perBar[reporter]?[hour]?[kind] else { continue }
                    let h = panelHeight * Double(count) / Double(peak)
                    y -= h
                    s += "<rect x=\"\(Self.number(left + Double(hour) * barWidth))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(1, barWidth - 1)))\" height=\"\(Self.number(h))\" fill=\"\(Self.colour(kind))\">"
                    s += "<title>\(XMLText.escaped("\(ISOTime.format(millis: firstHour + Int64(hour) * 3_600_000, fraction: false)) \(reporter) \(kind.name): \(count)"))</title></rect>\n"
                }
            }
        }
        let axisY = top + Double(max(1, reporters.count)) * (panelHeight + gap) + 4
        let step = max(1, hours / 6)
        for hour in stride(from: 0, through: hours, by: step) {
            let x = left + Double(hour) * barWidth
            let label = String(ISOTime.format(millis: firstHour + Int64(hour) * 3_600_000, fraction: false).dropLast(4))
            s += "<text x=\"\(Self.number(x))\" y=\"\(Self.number(axisY))\" text-anchor=\"middle\">\(XMLText.escaped(label))</text>\n"
        }
        s += "</svg>\n"
        return Data(s.utf8)
    }

    static func colour(_ kind: EventKind) -> String {
        switch kind {
        case .connect: "#9e9e9e"
        case .disconnect: "#bdbdbd"
        case .messageAccepted: "#2e7d32"
        case .rejected: "#c62828"
        case .deferred: "#ef6c00"
        case .authFailed: "#6a1b9a"
        case .lostConnection: "#1565c0"
        case .protocolError: "#795548"
        }
    }

    /// A CSV field quoted when it holds a comma, quote or line break (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Fixed-point text (two decimals at most), the same on every platform.
    static func number(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let whole = hundredths / 100, fraction = abs(hundredths % 100)
        if fraction == 0 { return String(whole) }
        return "\(whole)." + (fraction < 10 ? "0\(fraction)" : (fraction % 10 == 0 ? String(fraction / 10) : String(fraction)))
    }
}
