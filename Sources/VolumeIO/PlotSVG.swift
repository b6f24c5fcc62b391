#if canImport(Glibc)
import _Platform
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Kernels

/// A small SVG chart builder: a plot area with axes, "nice" ticks, axis labels, a title and a
/// legend; series are lines, bars, points and vertical markers in data coordinates.
public struct SVGChart: Sendable {
    public var width = 640.0
    public var height = 420.0
    public var title = ""
    public var xLabel = ""
    public var yLabel = ""
    public var xRange: ClosedRange<Double>
    public var yRange: ClosedRange<Double>
    /// The y axis shows powers of ten (data y values are log10 of the quantity).
    public var logY = false
    private var body: [String] = []
    private var legend: [(name: String, colour: String, dashed: Bool)] = []
    private let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0

    public init(x: ClosedRange<Double>, y: ClosedRange<Double>) {
        xRange = x.lowerBound < x.upperBound ? x : (x.lowerBound - 0.5)...(x.lowerBound + 0.5)
        yRange = y.lowerBound < y.upperBound ? y : (y.lowerBound - 0.5)...(y.lowerBound + 0.5)
    }

    var plotWidth: Double { width - left - right }
    var plotHeight: Double { height - top - bottom }
    func px(_ x: Double) -> Double { left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth }
    func py(_ y: Double) -> Double { top + plotHeight - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * plotHeight }

    /// A polyline through the finite points.
    public mutating func line(_ xs: [Double], _ ys: [Double], colour: String, name: String? = nil, dashed: Bool = false) {
        let pts = zip(xs, ys).filter { $0.0.isFinite && $0.1.isFinite }.map { "\(formatNumber(px($0.0), decimals: 2)),\(formatNumber(py($0.1), decimals: 2))" }
        if pts.isEmpty { return }
        body.append("<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(pts.joined(separator: " "))\"/>")
        if let name { legend.append((name, colour, dashed)) }
    }

    /// Bars from `lefts[i]` to `lefts[i] + width` of height `heights[i]` (from the y range's bottom).
    public mutating func bars(lefts: [Double], width w: Double, heights: [Double], colour: String, name: String? = nil) {
        for (x, h) in zip(lefts, heights) where h.isFinite && h > yRange.lowerBound {
            let x0 = px(x), x1 = px(x + w), y0 = py(min(h, yRange.upperBound)), y1 = py(yRange.lowerBound)
            body.append("<rect x=\"\(formatNumber(x0, decimals: 2))\" y=\"\(formatNumber(y0, decimals: 2))\" width=\"\(formatNumber(max(0.5, x1 - x0), decimals: 2))\" height=\"\(formatNumber(y1 - y0, decimals: 2))\" fill=\"\(colour)\" stroke=\"white\" stroke-width=\"0.5\"/>")
        }
        if let name { legend.append((name, colour, false)) }
    }

    /// Dots at the finite points.
    public mutating func points(_ xs: [Double], _ ys: [Double], colour: String, radius: Double = 2.5, name: String? = nil) {
        for (x, y) in zip(xs, ys) where x.isFinite && y.isFinite {
            body.append("<circle cx=\"\(formatNumber(px(x), decimals: 2))\" cy=\"\(formatNumber(py(y), decimals: 2))\" r=\"\(formatNumber(radius, decimals: 2))\" fill=\"\(colour)\" fill-opacity=\"0.7\"/>")
        }
        if let name { legend.append((name, colour, false)) }
    }

    /// A vertical marker at x across the plot area.
    public mutating func verticalLine(at x: Double, colour: String, name: String? = nil) {
        guard x.isFinite else { return }
        body.append("<line x1=\"\(formatNumber(px(x), decimals: 2))\" y1=\"\(formatNumber(top, decimals: 2))\" x2=\"\(formatNumber(px(x), decimals: 2))\" y2=\"\(formatNumber(top + plotHeight, decimals: 2))\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>")
        if let name { legend.append((name, colour, true)) }
    }

    /// The SVG document.
    public func render() -> String {
        var s: [String] = []
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(formatNumber(width, decimals: 2))\" height=\"\(formatNumber(height, decimals: 2))\" viewBox=\"0 0 \(formatNumber(width, decimals: 2)) \(formatNumber(height, decimals: 2))\" font-family=\"sans-serif\" font-size=\"12\">")
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        if !title.isEmpty {
            s.append("<text x=\"\(formatNumber(width / 2, decimals: 2))\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(svgEscape(title))</text>")
        }
        // Grid and ticks.
        for t in niceTicks(xRange) {
            let x = px(t)
            s.append("<line x1=\"\(formatNumber(x, decimals: 2))\" y1=\"\(formatNumber(top, decimals: 2))\" x2=\"\(formatNumber(x, decimals: 2))\" y2=\"\(formatNumber(top + plotHeight + 5, decimals: 2))\" stroke=\"#ddd\"/>")
            s.append("<text x=\"\(formatNumber(x, decimals: 2))\" y=\"\(formatNumber(top + plotHeight + 18, decimals: 2))\" text-anchor=\"middle\">\(formatNumber(t, significant: 4))</text>")
        }
        let yTicks = logY ? logTicks(yRange) : niceTicks(yRange)
        for t in yTicks {
            let y = py(t)
            s.append("<line x1=\"\(formatNumber(left - 5, decimals: 2))\" y1=\"\(formatNumber(y, decimals: 2))\" x2=\"\(formatNumber(left + plotWidth, decimals: 2))\" y2=\"\(formatNumber(y, decimals: 2))\" stroke=\"#ddd\"/>")
            let label = logY ? formatNumber(pow(10, t), significant: 4) : formatNumber(t, significant: 4)
            s.append("<text x=\"\(formatNumber(left - 8, decimals: 2))\" y=\"\(formatNumber(y + 4, decimals: 2))\" text-anchor=\"end\">\(label)</text>")
        }
        s.append(contentsOf: body)
        // Axes.
        s.append("<rect x=\"\(formatNumber(left, decimals: 2))\" y=\"\(formatNumber(top, decimals: 2))\" width=\"\(formatNumber(plotWidth, decimals: 2))\" height=\"\(formatNumber(plotHeight, decimals: 2))\" fill=\"none\" stroke=\"black\"/>")
        if !xLabel.isEmpty {
            s.append("<text x=\"\(formatNumber(left + plotWidth / 2, decimals: 2))\" y=\"\(formatNumber(height - 12, decimals: 2))\" text-anchor=\"middle\">\(svgEscape(xLabel))</text>")
        }
        if !yLabel.isEmpty {
            s.append("<text transform=\"translate(16,\(formatNumber(top + plotHeight / 2, decimals: 2))) rotate(-90)\" text-anchor=\"middle\">\(svgEscape(yLabel))</text>")
        }
        // Legend, top right inside the plot.
        if !legend.isEmpty {
            let lw = 14.0 + 7.5 * Double(legend.map(\.name.count).max() ?? 0) + 30
            let x0 = left + plotWidth - lw - 8, y0 = top + 8
            s.append("<rect x=\"\(formatNumber(x0, decimals: 2))\" y=\"\(formatNumber(y0, decimals: 2))\" width=\"\(formatNumber(lw, decimals: 2))\" height=\"\(formatNumber(Double(legend.count) * 18 + 8, decimals: 2))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>")
            for (k, e) in legend.enumerated() {
                let y = y0 + 16 + Double(k) * 18
                s.append("<line x1=\"\(formatNumber(x0 + 8, decimals: 2))\" y1=\"\(formatNumber(y - 4, decimals: 2))\" x2=\"\(formatNumber(x0 + 30, decimals: 2))\" y2=\"\(formatNumber(y - 4, decimals: 2))\" stroke=\"\(e.colour)\" stroke-width=\"3\"\(e.dashed ? " stroke-dasharray=\"4 3\"" : "")/>")
                s.append("<text x=\"\(formatNumber(x0 + 36, decimals: 2))\" y=\"\(formatNumber(y, decimals: 2))\">\(svgEscape(e.name))</text>")
            }
        }
        s.append("</svg>")
        return s.joined(separator: "\n") + "\n"
    }
}

/// Ticks at 1, 2 or 5 × 10^k spacing, about 6 over the range.
func niceTicks(_ r: ClosedRange<Double>) -> [Double] {
    let span = r.upperBound - r.lowerBound
    guard span > 0, span.isFinite else { return [r.lowerBound] }
    let raw = span / 6
    let mag = pow(10, floor(log10(raw)))
    let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
    var out: [Double] = []
    var t = ceil(r.lowerBound / step - 1e-9) * step
    while t <= r.upperBound + step * 1e-9 && out.count < 50 {
        out.append(abs(t) < step * 1e-9 ? 0 : t)
        t += step
    }
    return out
}

/// Integer powers of ten inside a log10 range.
func logTicks(_ r: ClosedRange<Double>) -> [Double] {
    let lo = Int(ceil(r.lowerBound - 1e-9)), hi = Int(floor(r.upperBound + 1e-9))
    return lo <= hi ? (lo...hi).map(Double.init) : [r.lowerBound]
}



func svgEscape(_ s: String) -> String {
    escaped(s, ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"])
}

/// The plots of `plot VALUE PATH`: each returns the SVG text; `save` writes it atomically.
public enum Plots {
    /// The total counts of a 256-bin histogram as bars (`log`: a log10 count axis, empty bins left out).
    public static func histogram(_ h: Histogram, log: Bool = false, title: String = "histogram") -> String {
        let counts = h.total.map { Double($0) }
        let w = h.lo == 0 && h.hi == 255 ? 1.0 : (h.hi - h.lo) / Double(Histogram.binCount)
        let lefts = (0..<Histogram.binCount).map { h.binCenter($0) - w / 2 }
        return bars(lefts: lefts, width: w, counts: counts, log: log, title: title, xLabel: "intensity")
    }

    /// Precision, recall and F against the threshold t/255 from an `fscore` curve table (columns
    /// t, precision, recall, f), with the chosen level marked by a vertical line.
    public static func thresholdSweep(curve: Table, level: Int?, title: String = "threshold sweep") throws -> String {
        guard let t = curve.numbers("t"), let p = curve.numbers("precision"), let r = curve.numbers("recall"),
              let f = curve.numbers("f") else {
            throw IOError("", "plot: a threshold sweep needs a curve table with columns t, precision, recall and f")
        }
        let x = t.map { $0 / 255 }
        var c = SVGChart(x: 0...1, y: 0...1)
        c.title = title; c.xLabel = "threshold"; c.yLabel = "precision, recall, F"
        c.line(x, p, colour: "#1f77b4", name: "precision")
        c.line(x, r, colour: "#2ca02c", name: "recall")
        c.line(x, f, colour: "#d62728", name: "F")
        if let level {
            let fAt = level >= 0 && level < f.count ? f[level] : .nan
            c.verticalLine(at: Double(level) / 255, colour: "#555",
                           name: "level \(level) (\(formatNumber((Double(level) / 255 * 1000).rounded() / 1000, significant: 4)))" + (fAt.isFinite ? ", F \(formatNumber((fAt * 1000).rounded() / 1000, significant: 4))" : ""))
        }
        return c.render()
    }

    /// A histogram of one number column of a table (`bins` equal bins over its finite range).
    public static func columnHistogram(_ table: Table, column: String, bins: Int = 20, log: Bool = false) throws -> String {
        guard let v = table.numbers(column) else { throw IOError("", "plot: the table has no number column \(column)") }
        guard bins >= 1 && bins <= 10_000 else { throw IOError("", "plot: bins must be in 1...10000") }
        let finite = v.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi0 = finite.max() ?? 1
        let hi = hi0 > lo ? hi0 : lo + 1
        let w = (hi - lo) / Double(bins)
        var counts = [Double](repeating: 0, count: bins)
        for x in finite { counts[min(bins - 1, Int((x - lo) / w))] += 1 }
        return bars(lefts: (0..<bins).map { lo + Double($0) * w }, width: w, counts: counts, log: log,
                    title: "\(column) (\(finite.count) values)", xLabel: column)
    }

    /// A scatter plot of two number columns of a table.
    public static func scatter(_ table: Table, x: String, y: String) throws -> String {
        guard let xs = table.numbers(x) else { throw IOError("", "plot: the table has no number column \(x)") }
        guard let ys = table.numbers(y) else { throw IOError("", "plot: the table has no number column \(y)") }
        func range(_ v: [Double]) -> ClosedRange<Double> {
            let f = v.filter(\.isFinite)
            let lo = f.min() ?? 0, hi = f.max() ?? 1
            let pad = (hi - lo) * 0.05
            return (lo - pad)...(hi + pad)
        }
        var c = SVGChart(x: range(xs), y: range(ys))
        c.title = "\(y) against \(x)"; c.xLabel = x; c.yLabel = y
        c.points(xs, ys, colour: "#1f77b4")
        return c.render()
    }

    /// Writes an SVG document to `path` atomically.
    public static func save(_ svg: String, to path: String) throws { try writeText(svg, to: path) }

    private static func bars(lefts: [Double], width: Double, counts: [Double], log: Bool, title: String, xLabel: String) -> String {
        let heights = log ? counts.map { $0 > 0 ? log10($0) : -.infinity } : counts
        let top = heights.filter(\.isFinite).max() ?? 1
        let xr = (lefts.first ?? 0)...((lefts.last ?? 1) + width)
        var c = SVGChart(x: xr, y: log ? -0.3...max(top * 1.05, 1) : 0...max(top * 1.05, 1))
        c.logY = log
        c.title = title; c.xLabel = xLabel; c.yLabel = log ? "count (log)" : "count"
        c.bars(lefts: lefts, width: width, heights: heights, colour: "#4c72b0")
        return c.render()
    }
}
