import Primitives

/// Small stacked bar charts as inline SVG, drawn from numbers: every text in them is
/// escaped, and colours are presentation attributes (the CSP allows no inline styles).
struct BarChart {
    struct Series {
        var name: String
        var values: [Int]
    }

    var title: String
    /// One label per bar (days).
    var labels: [String]
    var series: [Series]
    var width = 720
    var height = 170

    static let palette = ["#4e79a7", "#e15759", "#f28e2b", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    var svg: String {
        let left = 44.0
        let right = 10.0
        let top = 24.0
        let bottom = 36.0
        let legendWidth = 150.0
        let plotWidth = Double(width) - left - right - legendWidth
        let plotHeight = Double(height) - top - bottom
        let totals = labels.indices.map { i in series.reduce(0) { $0 + (i < $1.values.count ? max(0, $1.values[i]) : 0) } }
        let peak = max(1, totals.max() ?? 1)
        let step = labels.isEmpty ? plotWidth : plotWidth / Double(labels.count)
        let barWidth = max(1, step * 0.8)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(XMLText.escaped(title))\" font-family=\"sans-serif\" font-size=\"10\">"
        s += "<title>\(XMLText.escaped(title))</title>"
        s += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
        s += "<text x=\"\(Int(left))\" y=\"14\" font-size=\"11\" font-weight=\"bold\" fill=\"#222222\">\(XMLText.escaped(title)) (peak \(peak))</text>"
        s += "<line x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\" stroke=\"#888888\"/>"
        s += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" text-anchor=\"end\" fill=\"#555555\">\(peak)</text>"
        s += "<text x=\"\(left - 4)\" y=\"\(top + plotHeight)\" text-anchor=\"end\" fill=\"#555555\">0</text>"
        let labelEvery = max(1, labels.count / 8)
        for (i, label) in labels.enumerated() {
            let x = left + Double(i) * step + (step - barWidth) / 2
            var y = top + plotHeight
            for (k, serie) in series.enumerated() {
                let value = i < serie.values.count ? max(0, serie.values[i]) : 0
                guard value > 0 else { continue }
                let h = plotHeight * Double(value) / Double(peak)
                y -= h
                s += "<rect x=\(Self.q(x)) y=\(Self.q(y)) width=\(Self.q(barWidth)) height=\(Self.q(h)) fill=\"\(Self.palette[k % Self.palette.count])\">"
                s += "<title>\(XMLText.escaped("\(label) \(serie.name): \(value)"))</title></rect>"
            }
            if i % labelEvery == 0 {
                s += "<text x=\(Self.q(x + barWidth / 2)) y=\(Self.q(top + plotHeight + 13)) text-anchor=\"middle\" fill=\"#555555\">\(XMLText.escaped(label))</text>"
            }
        }
        for (k, serie) in series.enumerated() {
            let y = top + Double(k) * 14
            let x = left + plotWidth + 14
            s += "<rect x=\(Self.q(x)) y=\(Self.q(y)) width=\"10\" height=\"10\" fill=\"\(Self.palette[k % Self.palette.count])\"/>"
            s += "<text x=\(Self.q(x + 14)) y=\(Self.q(y + 9)) fill=\"#222222\">\(XMLText.escaped(String(serie.name.prefix(24))))</text>"
        }
        return s + "</svg>"
    }

    private static func q(_ value: Double) -> String { "\"\((value * 10).rounded() / 10)\"" }
}
