import _Platform
import Testing
import Foundation
@testable import VolumeIO
@testable import Kernels
import TestSupport

@Test func niceTicksAndLabels() {
    #expect(niceTicks(0...1) == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map { $0 } || niceTicks(0...1).count == 6)
    #expect(niceTicks(0...255) == [0, 50, 100, 150, 200, 250])
    #expect(formatNumber(0.25, significant: 4) == "0.25")
    #expect(formatNumber(1000, significant: 4) == "1000")
    #expect(svgEscape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
}

@Test func thresholdSweepMarksTheLevel() throws {
    let t = (0..<256).map(Double.init)
    let curve = Table([("t", .number(t)), ("precision", .number(t.map { $0 / 255 })),
                       ("recall", .number(t.map { 1 - $0 / 255 })), ("f", .number(t.map { _ in 0.5 }))])
    let svg = try Plots.thresholdSweep(curve: curve, level: 102)
    #expect(svg.hasPrefix("<svg"))
    #expect(svg.contains("precision") && svg.contains("recall") && svg.contains(">F<"))
    // Plot area 70...620 px wide: level 102/255 = 0.4 → x = 70 + 0.4·550 = 290.
    #expect(svg.contains("<line x1=\"290\" y1=\"40\" x2=\"290\""))
    #expect(svg.contains("level 102"))
    #expect(svg.components(separatedBy: "<polyline").count == 4)
    #expect(throws: IOError.self) { try Plots.thresholdSweep(curve: Table([("t", .number([0]))]), level: 0) }
}

@Test func columnHistogramCountsEveryValueAndScatterPlotsEveryPoint() throws {
    let table = Table([("eccentricity", .number([0.1, 0.2, 0.2, 0.9, .nan])), ("angle_deg", .number([5, 10, 80, 45, 1]))])
    let svg = try Plots.columnHistogram(table, column: "eccentricity", bins: 4)
    #expect(svg.contains("eccentricity (4 values)"))
    #expect(svg.components(separatedBy: "<rect x=").count - 1 == 2 + 1)   // bins [0.1, 0.3) and [0.7, 0.9] + the plot frame
    let sc = try Plots.scatter(table, x: "eccentricity", y: "angle_deg")
    #expect(sc.components(separatedBy: "<circle").count - 1 == 4)           // the NaN row is left out
    #expect(throws: IOError.self) { try Plots.scatter(table, x: "nope", y: "angle_deg") }
    var h = [UInt64](repeating: 0, count: 256); h[10] = 1000; h[200] = 1
    let hist = Histogram(perSlice: h, sliceCount: 1)
    #expect(hist.total[10] == 1000)
    let hs = Plots.histogram(hist, log: true)
    #expect(hs.contains(">1000<"))   // a power-of-ten tick
    let dir = try temporaryFolder("plot")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try Plots.save(svg, to: dir + "/h.svg")
    #expect(try String(contentsOfFile: dir + "/h.svg", encoding: .utf8) == svg)
}
