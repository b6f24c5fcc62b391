import Testing
import Foundation
@testable import Kernels

private func gauss(_ mu: Double, _ sigma: Double, _ height: Double) -> [Double] {
    (0..<256).map { height * exp(-0.5 * pow((Double($0) - mu) / sigma, 2)) }
}
private func add(_ hs: [Double]...) -> [Double] { (0..<256).map { i in hs.reduce(0) { $0 + $1[i] } } }

@Test func u8HistogramCountsPerSliceAndTotal() throws {
    // 2 slices of 3×5 (15 voxels: not a multiple of the 8-byte step).
    var v = [UInt8](repeating: 7, count: 30)
    v[0] = 0; v[14] = 255; v[15] = 255; v[29] = 3
    let vol = Volume(shape: Shape(z: 2, y: 3, x: 5), storage: .u8(VoxelBuffer(v)))
    let h = try histogram(vol)
    #expect(h.sliceCount == 2 && h.lo == 0 && h.hi == 255)
    #expect(h.slice(0)[0 * 256 + 0] == 1 && h.slice(0)[7] == 13 && h.slice(0)[255] == 1)
    #expect(h.slice(1)[256 + 255] == 1 && h.slice(1)[256 + 3] == 1 && h.slice(1)[256 + 7] == 13)
    #expect(h.total[7] == 26 && h.total.reduce(0, +) == 30)
    let last = try histogram(vol, z: -1)
    #expect(last.sliceCount == 1 && last.perSlice[3] == 1 && last.perSlice[0] == 0)
    #expect(throws: VolumeError.self) { try histogram(vol, z: 2) }
}

@Test func wideTypesAreBinnedBetweenMinAndMax() throws {
    let vol = Volume(shape: Shape(z: 1, y: 1, x: 5), storage: .u16(VoxelBuffer<UInt16>([1000, 1010, 1020, 1030, 1030])))
    let h = try histogram(vol)
    #expect(h.lo == 1000 && h.hi == 1030)
    #expect(h.perSlice[0] == 1 && h.perSlice[85] == 1 && h.perSlice[170] == 1 && h.perSlice[255] == 2)
    let f = Volume(shape: Shape(z: 1, y: 1, x: 3), storage: .f32(VoxelBuffer<Float>([0, .nan, 1])))
    #expect(try histogram(f).total.reduce(0, +) == 2)
}

@Test func peaksOfABimodalHistogram() {
    let h = add(gauss(100, 6, 1000), gauss(170, 6, 2000))
    let p = detectPeaks(h) ?? []
    #expect(p.count == 2)
    #expect(abs(p[0] - 100) < 0.1 && abs(p[1] - 170) < 0.1)
}

@Test func smallRiseOnASlopeIsAveragedAway() {
    // A rise on the falling flank of the first peak is no peak; an isolated small one is.
    let base = add(gauss(100, 20, 1000), gauss(190, 6, 2000))
    let withRise = add(base, gauss(130, 2, 300))
    // The rise is a local maximum of the smoothed histogram (so the rule, not the smoothing, removes it).
    let sm = smoothHistogram(withRise, sigma: PeakRule.smoothing)
    #expect((124...136).contains { sm[$0] > sm[$0 - 1] && sm[$0] >= sm[$0 + 1] })
    #expect(detectPeaks(withRise, count: 3) == nil)
    #expect(detectPeaks(withRise, count: 2).map { abs($0[0] - 100) < 2 && abs($0[1] - 190) < 0.5 } == true)
    let withPeak = add(base, gauss(230, 4, 300))
    #expect(detectPeaks(withPeak, count: 3)?.count == 3)
}

@Test func fourPeaksGiveTheMiddleTwo() {
    let h = add(gauss(40, 5, 500), gauss(150, 6, 1000), gauss(185, 6, 2000), gauss(235, 5, 600))
    let p = detectPeaks(h) ?? []
    #expect(p.count == 2 && abs(p[0] - 150) < 0.5 && abs(p[1] - 185) < 0.5)
    // Three: the two tallest.
    let q = detectPeaks(add(gauss(40, 5, 500), gauss(150, 6, 1000), gauss(185, 6, 2000))) ?? []
    #expect(q.count == 2 && abs(q[0] - 150) < 0.5)
}

@Test func aPeakClippedIntoTheLastBinCountsAsTheBrightPeak() {
    // Extracellular space saturated at 255 (a spike in the last bin) and a dark one at 20, with a broad low hump
    // at 125: the four tallest are 125, 165, 205, 255 — the middle two are the cell's peaks (before, the last bin was
    // never a maximum, and 20, 125, 165, 205 gave 125 and 165).
    var h = add(gauss(20, 4, 250), gauss(125, 10, 400), gauss(165, 5, 1500), gauss(205, 5, 2500))
    h[255] += 3000; h[254] += 1000
    let p = detectPeaks(h) ?? []
    #expect(p.count == 2 && abs(p[0] - 165) < 0.5 && abs(p[1] - 205) < 0.5, "\(p)")
    // The same in the first bin.
    var d = add(gauss(125, 10, 400), gauss(165, 5, 1500), gauss(205, 5, 2500), gauss(240, 4, 600))
    d[0] += 3000; d[1] += 1000
    let q = detectPeaks(d) ?? []
    #expect(q.count == 2 && abs(q[0] - 165) < 0.5 && abs(q[1] - 205) < 0.5, "\(q)")
}

@Test func peaksPerSliceAveragedSkippingFailures() throws {
    let a = add(gauss(100, 6, 1000), gauss(170, 6, 2000)), b = add(gauss(110, 6, 1000), gauss(180, 6, 2000))
    let flat = [Double](repeating: 0, count: 256)
    let counts = (a + flat + b).map { UInt64($0.rounded()) }
    let h = Histogram(perSlice: counts, sliceCount: 3)
    let p = try peaks(h)
    #expect(p.failedSlices == [1])
    #expect(abs(p.average[0] - 105) < 0.2 && abs(p.average[1] - 175) < 0.2)
    #expect(throws: VolumeError.self) { try peaks(Histogram(perSlice: flat.map { UInt64($0) }, sliceCount: 1)) }
    // Binned histograms report intensities, not bins.
    let wide = Histogram(perSlice: a.map { UInt64($0.rounded()) }, sliceCount: 1, lo: 0, hi: 512)
    #expect(abs((try peaks(wide)).average[0] - 201) < 0.3)
}

@Test func jumpingSlicesAreThoseWhosePeaksLeapNotDrift() throws {
    // A drift of 5 levels per slice is no jump; a slice whose peaks moved by more than half the gap
    // (here 30 of 50) is, and so is the slice that comes back; a failed slice is skipped over.
    let drift = HistogramPeaks(perSlice: [[100, 150], [105, 155], [110, 160]], average: [105, 155])
    #expect(drift.jumpingSlices.isEmpty)
    let leap = HistogramPeaks(perSlice: [[100, 150], [102, 151], nil, [132, 181], [101, 150]], average: [109, 158])
    #expect(leap.jumpingSlices == [3, 4])
    #expect(HistogramPeaks(perSlice: [[100], [200]], average: [150]).jumpingSlices.isEmpty)
    // From detection: two slices with peaks 100/170, then one with 140/210.
    let a = add(gauss(100, 6, 1000), gauss(170, 6, 2000)), b = add(gauss(140, 6, 1000), gauss(210, 6, 2000))
    let h = Histogram(perSlice: (a + a + b).map { UInt64($0.rounded()) }, sliceCount: 3)
    #expect(try peaks(h).jumpingSlices == [2])
}

@Test func normalizationMapsThePeaksAndIsMonotone() {
    let t = normalizationTable(p1: 100, p2: 150, P1: 120, P2: 180)
    #expect(t[100] == 120 && t[150] == 180 && t[0] == 0 && t[255] == 255)
    #expect(t[50] == 60 && t[125] == 150)
    #expect(zip(t, t.dropFirst()).allSatisfy { $0 <= $1 })
    for c in 0..<16 {
        let d = normalizationTable(p1: 100.4, p2: 150.3, P1: 162.99, P2: 187.51, ditherClass: c)
        #expect(zip(d, d.dropFirst()).allSatisfy { $0 <= $1 })
    }
    // The dither classes average to the exact map (to 1/32 from the classes, 1.5/64 from the fixed point).
    for x in [0, 37, 100, 120, 150, 200, 254] {
        let mean = (0..<16).map { Double(normalizationTable(p1: 100.4, p2: 150.3, P1: 162.99, P2: 187.51, ditherClass: $0)[x]) }
            .reduce(0, +) / 16
        #expect(abs(mean - normalizeMap(Double(x), p1: 100.4, p2: 150.3, P1: 162.99, P2: 187.51)) <= 1.0 / 32 + 1.5 / 64)
    }
}

@Test func normalizeAppliesOnePairPerSlice() throws {
    // Slice 0 holds 0…255; slice 1 too; different peaks per slice.
    let v = (0..<512).map { UInt8($0 % 256) }
    let vol = Volume(shape: Shape(z: 2, y: 16, x: 16), spacing: Spacing(x: 1, y: 2, z: 3), storage: .u8(VoxelBuffer(v)))
    let n = try normalize(vol, to: (120, 180), peaks: [(100, 150), (90, 160)], dither: false)
    let t0 = normalizationTable(p1: 100, p2: 150, P1: 120, P2: 180), t1 = normalizationTable(p1: 90, p2: 160, P1: 120, P2: 180)
    #expect(n.u8?.array == t0 + t1)
    #expect(n.spacing == vol.spacing && n.type == .u8)
    // Dithered: a constant slice keeps the exact mapped mean (16 voxels hold each class once).
    let c = Volume(shape: Shape(z: 1, y: 32, x: 32), storage: .u8(VoxelBuffer([UInt8](repeating: 130, count: 1024))))
    let d = try normalize(c, to: (162.99, 187.51), peaks: [(100.4, 150.3)])
    let mean = (d.u8?.array ?? []).reduce(0.0) { $0 + Double($1) } / 1024
    #expect(abs(mean - normalizeMap(130, p1: 100.4, p2: 150.3, P1: 162.99, P2: 187.51)) <= 1.0 / 32 + 1.5 / 64)
    // Wider types: f32, no rounding.
    let f = Volume(shape: Shape(z: 1, y: 1, x: 3), storage: .f32(VoxelBuffer<Float>([100, 125, 300])))
    #expect(try normalize(f, to: (120, 180), peaks: [(100, 150)]).f32?.array == [120, 150, Float(180 + 150.0 * 75 / 105)])
}

@Test func normalizeRejectsBadPeaks() throws {
    let vol = Volume(zeros: Shape(z: 2, y: 2, x: 2), type: .u8)
    #expect(throws: VolumeError.self) { try normalize(vol, to: (120, 180), peaks: [(150, 100)]) }
    #expect(throws: VolumeError.self) { try normalize(vol, to: (120, 180), peaks: [(0, 100)]) }
    #expect(throws: VolumeError.self) { try normalize(vol, to: (120, 180), peaks: [(100, 150), (100, 150), (100, 150)]) }
    #expect(throws: VolumeError.self) { try normalize(vol, to: (180, 120), peaks: [(100, 150)]) }
    let labels = Volume(zeros: Shape(z: 2, y: 2, x: 2), type: .u32, kind: .labels)
    #expect(throws: VolumeError.self) { try normalize(labels, to: (120, 180), peaks: [(100, 150)]) }
}

/// The pair-table byte count equals counting byte by byte: random bytes, one constant value, and
/// slices whose size leaves a tail of single bytes.
@Test func histogramCountsEqualCountingOneByOne() throws {
    var s: UInt64 = 3
    for (nx, fill) in [(123, nil), (64, nil), (77, UInt8(200)), (1, nil)] as [(Int, UInt8?)] {
        let shape = Shape(z: 3, y: 41, x: nx)
        let bytes = (0..<shape.count).map { _ -> UInt8 in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return fill ?? UInt8(truncatingIfNeeded: s >> 56)
        }
        let h = try histogram(Volume(shape: shape, storage: .u8(VoxelBuffer(bytes))))
        var expected = [UInt64](repeating: 0, count: 3 * 256)
        for (i, b) in bytes.enumerated() { expected[i / shape.sliceCount * 256 + Int(b)] += 1 }
        #expect(h.perSlice == expected, "\(nx) columns, fill \(String(describing: fill))")
    }
}

/// Three peaks: an outer one in the top or bottom tenth of the range is extracellular space and the
/// inner two are the cell's, even when the outer one is taller than the mitochondria's; elsewhere the two
/// tallest. Two peaks, one clipped into the last bin: the cell's second peak is missing (nil, not a wrong pair).
@Test func aThirdPeakNearAnEndIsExtracellularSpace() {
    func bumps(_ centres: [(Double, Double)]) -> [Double] {
        (0..<256).map { x in centres.reduce(0.0) { $0 + $1.1 * exp(-0.5 * pow((Double(x) - $1.0) / 6, 2)) } }
    }
    let bright = detectPeaks(bumps([(170, 300), (205, 1000), (245, 600)]))
    #expect(bright.map { abs($0[0] - 170) < 1 && abs($0[1] - 205) < 1 } == true)
    let dark = detectPeaks(bumps([(15, 600), (150, 300), (185, 1000)]))
    #expect(dark.map { abs($0[0] - 150) < 1 && abs($0[1] - 185) < 1 } == true)
    let inner = detectPeaks(bumps([(100, 200), (150, 1000), (185, 900)]))
    #expect(inner.map { abs($0[0] - 150) < 1 && abs($0[1] - 185) < 1 } == true)
    var clipped = bumps([(205, 1000)])
    clipped[255] = 400; clipped[254] = 150
    #expect(detectPeaks(clipped) == nil)
}

/// A binned histogram spans the finite voxels; ±infinity lands in the end bins and NaN is not counted
/// (an infinite range trapped in plot and save).
@Test func infiniteVoxelsGoToTheEndBins() throws {
    let values: [Float] = [10, 20, .infinity, -.infinity, .nan, 30]
    let h = try histogram(Volume(shape: Shape(z: 1, y: 1, x: 6), storage: .f32(VoxelBuffer(values))))
    #expect(h.lo == 10 && h.hi == 30)
    #expect(h.total.reduce(0, +) == 5)
    #expect(h.total[0] == 2 && h.total[255] == 2)
    let allInfinite = try histogram(Volume(shape: Shape(z: 1, y: 1, x: 2), storage: .f32(VoxelBuffer<Float>([.infinity, .infinity]))))
    #expect(allInfinite.lo.isFinite && allInfinite.hi > allInfinite.lo && allInfinite.total[255] == 2)
}
