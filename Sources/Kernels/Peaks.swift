import Foundation

/// Peaks found in a histogram: per slice (nil where detection failed) and their average.
public struct HistogramPeaks: Sendable, Equatable {
    /// perSlice[z] holds `count` ascending peak positions (intensities), or nil.
    public var perSlice: [[Double]?]
    /// The per-slice peaks averaged over the slices where detection succeeded.
    public var average: [Double]
    /// Slices where fewer than `count` peaks were found.
    public var failedSlices: [Int] { perSlice.indices.filter { perSlice[$0] == nil } }

    /// Slices whose peaks jumped from the slice before (the nearest one below with peaks): some peak
    /// moved by more than half the distance between that slice's outer peaks. A drift across z moves
    /// peaks a little per slice; a jump means detection took other bumps of a histogram without
    /// clear peaks (a broad plateau), and a per-slice map would shift those slices against their
    /// neighbours while the average mixes different peaks. Empty for fewer than two peaks.
    public var jumpingSlices: [Int] {
        var out: [Int] = []
        var previous: [Double]?
        for (z, p) in perSlice.enumerated() {
            guard let p else { continue }
            if let q = previous, p.count >= 2 {
                let limit = (q[q.count - 1] - q[0]) / 2
                if zip(p, q).contains(where: { abs($0 - $1) > limit }) { out.append(z) }
            }
            previous = p
        }
        return out
    }
}

/// Detection parameters of the thesis rule (see `detectPeaks`).
public enum PeakRule {
    /// Gaussian smoothing of the histogram, in bins.
    public static let smoothing = 3.0
    /// Distance (bins) at which the gradients on both sides of a candidate peak are taken.
    public static let gradientDistance = 8
    /// Kernel width (bins) of the mean-shift refinement of each chosen peak.
    public static let refinement = 5.0
    /// Peaks lower than this fraction of the tallest one are ignored (noise in flat tails).
    public static let minimumHeight = 0.05
    /// With three peaks, an outer one this close to either end of the range (as a fraction of it) is
    /// taken for extracellular space (saturated bright, or black).
    public static let extracellularEdge = 0.1
}

/// The `count` main peaks of every slice of `h` and their average (the thesis rule, `detectPeaks`).
/// Throws when no slice gives `count` peaks.
public func peaks(_ h: Histogram, count: Int = 2) throws -> HistogramPeaks {
    guard count >= 1, count <= 16 else {
        throw VolumeError.invalidArgument(operation: "peaks", "count must be between 1 and 16, got \(count)")
    }
    // Slices in parallel into a flat buffer (NaN = not found), then averaged in order.
    let nz = h.sliceCount
    let flat = VoxelBuffer<Double>(uninitialized: max(nz * count, 1))
    let fp = flat.pointer
    try parallelSlices(nz) { z in
        let bins = h.slice(z).map { Double($0) }
        if let p = detectPeaks(bins, count: count) {
            for i in 0..<count { fp[z * count + i] = binPosition(h, p[i]) }
        } else {
            for i in 0..<count { fp[z * count + i] = .nan }
        }
    }
    var per: [[Double]?] = []
    var sum = [Double](repeating: 0, count: count)
    var found = 0
    for z in 0..<nz {
        if fp[z * count].isNaN { per.append(nil); continue }
        let v = (0..<count).map { fp[z * count + $0] }
        per.append(v)
        for i in 0..<count { sum[i] += v[i] }
        found += 1
    }
    withExtendedLifetime(flat) {}
    guard found > 0 else {
        throw VolumeError.invalidArgument(operation: "peaks",
            "no slice has \(count) clear histogram peaks (give them with --peaks)")
    }
    return HistogramPeaks(perSlice: per, average: sum.map { $0 / Double(found) })
}

/// A fractional bin index as an intensity (u8: the index itself).
func binPosition(_ h: Histogram, _ f: Double) -> Double {
    if h.lo == 0 && h.hi == 255 { return f }
    return h.lo + (f + 0.5) * (h.hi - h.lo) / Double(Histogram.binCount)
}

/// The thesis rule on one 256-bin histogram; returns `count` ascending fractional bin positions or nil.
///
/// 1. Smooth with a Gaussian (σ = 2 bins, reflected ends).
/// 2. A local maximum i (the first and last bins included: the ends mirror) is a peak only when the gradients on both sides, h[i] − h[i−d] and
///    h[i+d] − h[i] (d = 8 bins), have a negative product; where the product is positive the maximum
///    is a small rise on a slope and is averaged away (from the dip on the slope's upper side to where
///    the histogram comes back to the dip's height, replaced by a straight line), and the search
///    repeats. Maxima below 5 % of the tallest are ignored.
/// 3. For count 2: with four or more peaks, the four tallest are taken and the middle two returned
///    (extracellular space adds a very dark and a very bright peak); with three, the two inner ones when
///    the brightest lies in the top tenth of the bins (or the darkest in the bottom tenth), else the two
///    tallest; otherwise the two found. For other counts, the `count` tallest. Positions are refined by a
///    mean shift on the raw counts with a Gaussian kernel of 5 bins (`meanShiftMode`).
public func detectPeaks(_ counts: [Double], count: Int = 2) -> [Double]? {
    let n = counts.count
    guard n >= 3 else { return nil }
    var h = smoothHistogram(counts, sigma: PeakRule.smoothing)
    let d = PeakRule.gradientDistance
    var peaks: [Int] = []
    for _ in 0..<200 {
        let top = h.max() ?? 0
        guard top > 0 else { return nil }
        peaks = []
        var changed = false
        var i = 0
        while i < n {
            // A maximum, possibly a plateau: [i, j] equal, lower on both sides. The ends count as mirrors, so a
            // peak in the first or last bin (saturated extracellular space, clipped to 0 or 255) is a peak too.
            guard i == 0 || h[i] > h[i - 1] else { i += 1; continue }
            var j = i
            while j + 1 < n && h[j + 1] == h[i] { j += 1 }
            guard (j + 1 == n && i > 0) || (j + 1 < n && h[j + 1] < h[i]) else { i = j + 1; continue }
            let c = (i + j) / 2
            let gl = h[c] - h[reflectIndex(c - d, n)]
            let gr = h[reflectIndex(c + d, n)] - h[c]
            if gl * gr > 0 {
                // Average the rise away: from the dip before it (on the slope's upper side) to where the
                // histogram falls back to the dip's height, replaced by a straight line; look again.
                var a: Int, b: Int
                if gl < 0 {  // falling slope: the dip is on the left
                    a = i
                    while a > 0 && h[a - 1] <= h[a] { a -= 1 }
                    b = j
                    while b < n - 1 && h[b] > h[a] { b += 1 }
                } else {     // rising slope: the dip is on the right
                    b = j
                    while b < n - 1 && h[b + 1] <= h[b] { b += 1 }
                    a = i
                    while a > 0 && h[a] > h[b] { a -= 1 }
                }
                if b - a >= 2 {
                    for k in (a + 1)..<b { h[k] = h[a] + (h[b] - h[a]) * Double(k - a) / Double(b - a) }
                } else {
                    for k in i...j { h[k] = max(h[max(i - 1, 0)], h[min(j + 1, n - 1)]) }
                }
                changed = true
                break
            }
            if h[c] >= PeakRule.minimumHeight * top { peaks.append(c) }
            i = j + 1
        }
        if !changed { break }
    }
    // Two peaks, one of them clipped into an end bin: that one is saturated extracellular space, and
    // the cell's second peak was not found (better a slice to give with --peaks than a wrong pair).
    if count == 2 && peaks.count == 2 && (peaks[0] == 0 || peaks[1] == n - 1) { return nil }
    guard peaks.count >= count else { return nil }
    var chosen: [Int]
    let byHeight = peaks.sorted { h[$0] > h[$1] }
    if count == 2 && peaks.count >= 4 {
        chosen = Array(byHeight.prefix(4)).sorted()
        chosen = [chosen[1], chosen[2]]
    } else if count == 2 && peaks.count == 3 {
        // One extra peak: extracellular space when it lies in the outer tenth of the range (saturated
        // bright or black), otherwise the two tallest are the cell's.
        let three = peaks.sorted(), edge = Double(n - 1) * PeakRule.extracellularEdge
        if Double(three[2]) >= Double(n - 1) - edge {
            chosen = [three[0], three[1]]
        } else if Double(three[0]) <= edge {
            chosen = [three[1], three[2]]
        } else {
            chosen = Array(byHeight.prefix(2)).sorted()
        }
    } else {
        chosen = Array(byHeight.prefix(count)).sorted()
    }
    return chosen.map { meanShiftMode(counts, from: Double($0), bandwidth: PeakRule.refinement) }
}

/// Refines a peak position to the nearest mode of the histogram's Gaussian kernel density
/// (mean shift on the raw counts): a continuous position, insensitive to the empty and doubled
/// bins that rounding after a stretch leaves in a histogram. When the mode lies more than one
/// kernel width away (a shoulder rather than a peak at this width), the start is kept.
func meanShiftMode(_ counts: [Double], from start: Double, bandwidth h: Double) -> Double {
    let n = counts.count
    var x = start
    let r = Int(4 * h + 1)
    // Converged to 1e-4 of a grey level: far below what the normalisation can resolve, and the
    // linear convergence of mean shift makes a tighter bound cost thousands of exp() per peak.
    // The Gaussian weights exp(−(i−x)²/2h²) by recurrence along i: w(i+1) = w(i)·ρ(i), ρ(i+1) = ρ(i)·q
    // with q = exp(−1/h²): two exp() per step instead of one per bin (the mean shift was most of the
    // time of `peaks`).
    let q = exp(-1 / (h * h))
    for _ in 0..<300 {
        let c = Int(x.rounded())
        var sw = 0.0, swx = 0.0
        let lo = max(0, c - r), hi = min(n - 1, c + r)
        guard lo <= hi else { return start }
        let d0 = Double(lo) - x
        var w = exp(-0.5 * d0 * d0 / (h * h))
        var rho = exp(-(2 * d0 + 1) / (2 * h * h))
        for i in lo...hi {
            let wc = w * counts[i]
            sw += wc
            swx += wc * Double(i)
            w *= rho
            rho *= q
        }
        guard sw > 0 else { return start }
        let nx = swx / sw
        if abs(nx - start) > h { return start }
        if abs(nx - x) < 1e-4 { return nx }
        x = nx
    }
    return x
}

/// Gaussian smoothing of a histogram (reflected ends).
func smoothHistogram(_ h: [Double], sigma: Double) -> [Double] {
    let n = h.count
    let r = Int(4 * sigma + 0.5)
    var w = [Double](repeating: 0, count: 2 * r + 1)
    for i in -r...r { w[i + r] = exp(-0.5 * Double(i * i) / (sigma * sigma)) }
    let s = w.reduce(0, +)
    var out = [Double](repeating: 0, count: n)
    for i in 0..<n {
        var acc = 0.0
        for k in -r...r { acc += w[k + r] * h[reflectIndex(i + k, n)] }
        out[i] = acc / s
    }
    return out
}
