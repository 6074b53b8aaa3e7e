import Foundation
import Primitives

/// Line charts stacked one above the other, sharing the x axis, as a standalone SVG: the
/// benchmarks draw their own figures for the docs.
struct SVGChart {
    struct Series {
        var name: String
        var values: [(x: Double, y: Double)]
    }

    /// One chart: its series drawn in `colors` order, named in a legend when there are
    /// several.
    struct Panel {
        var label: String
        var series: [Series]

        init(label: String, values: [(x: Double, y: Double)]) {
            self.init(label: label, series: [Series(name: label, values: values)])
        }

        init(label: String, series: [Series]) {
            self.label = label
            self.series = series
        }
    }

    static let colors = ["#1f5fa8", "#c2410c", "#15803d"]

    var title: String
    var panels: [Panel]
    var xLabel: String
    var width = 720.0
    var panelHeight = 220.0

    func render() -> String {
        let left = 70.0
        let right = 20.0
        let top = 40.0
        let gap = 50.0
        let height = top + Double(panels.count) * (panelHeight + gap) + 10
        let xs = panels.flatMap { $0.series.flatMap { $0.values.map(\.x) } }
        let xMax = Self.niceCeiling(xs.max() ?? 1)
        let plotWidth = width - left - right
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="22" font-size="14">\(XMLText.escaped(title))</text>

            """
        for (index, panel) in panels.enumerated() {
            let y0 = top + Double(index) * (panelHeight + gap)
            let yMax = Self.niceCeiling(panel.series.flatMap { $0.values.map(\.y) }.max() ?? 1)
            func px(_ x: Double) -> Double { left + x / xMax * plotWidth }
            func py(_ y: Double) -> Double { y0 + panelHeight - y / yMax * panelHeight }
            out += "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(plotWidth)\" height=\"\(panelHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
            for step in 0...4 {
                let y = yMax * Double(step) / 4
                let x = xMax * Double(step) / 4
                out += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(py(y))\" y2=\"\(py(y))\" stroke=\"#eee\"/>\n"
                out += "<text x=\"\(left - 6)\" y=\"\(py(y) + 4)\" text-anchor=\"end\">\(Self.format(y))</text>\n"
                out += "<text x=\"\(px(x))\" y=\"\(y0 + panelHeight + 16)\" text-anchor=\"middle\">\(Self.format(x))</text>\n"
            }
            out += "<text x=\"\(left + 8)\" y=\"\(y0 + 16)\">\(XMLText.escaped(panel.label))</text>\n"
            for (number, series) in panel.series.enumerated() {
                let color = Self.colors[number % Self.colors.count]
                let path = series.values.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                for point in series.values {
                    out += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"\(color)\"/>\n", px(point.x), py(point.y))
                }
                if panel.series.count > 1 {
                    let y = y0 + 34 + Double(number) * 16
                    out += "<line x1=\"\(left + 8)\" x2=\"\(left + 28)\" y1=\"\(y - 4)\" y2=\"\(y - 4)\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                    out += "<text x=\"\(left + 34)\" y=\"\(y)\">\(XMLText.escaped(series.name))</text>\n"
                }
            }
            if index == panels.count - 1 {
                out += "<text x=\"\(left + plotWidth / 2)\" y=\"\(y0 + panelHeight + 34)\" text-anchor=\"middle\">\(XMLText.escaped(xLabel))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// 1, 2 or 5 times a power of ten, at least `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let power = pow(10, floor(log10(value)))
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// Whole numbers as they are (12500), others with at most four significant digits and
    /// no trailing zeros (12.5, 0.025).
    static func format(_ value: Double) -> String {
        value >= 1 && value == value.rounded() ? String(format: "%.0f", value) : String(format: "%.4g", value)
    }
}
