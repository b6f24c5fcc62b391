/// A 256-bin intensity histogram of a volume, per slice and in total.
/// For u8 the bins are the grey levels; for u16/f32 they span [lo, hi] evenly.
public struct Histogram: Sendable, Equatable {
    public static let binCount = 256
    /// perSlice[z * 256 + bin]
    public var perSlice: [UInt64]
    public var sliceCount: Int
    public var lo: Double
    public var hi: Double

    public init(perSlice: [UInt64], sliceCount: Int, lo: Double = 0, hi: Double = 255) {
        precondition(perSlice.count == sliceCount * Histogram.binCount)
        self.perSlice = perSlice
        self.sliceCount = sliceCount
        self.lo = lo
        self.hi = hi
    }

    /// Bin counts summed over all slices.
    public var total: [UInt64] {
        var t = [UInt64](repeating: 0, count: Histogram.binCount)
        for z in 0..<sliceCount {
            for b in 0..<Histogram.binCount { t[b] &+= perSlice[z * Histogram.binCount + b] }
        }
        return t
    }

    public func slice(_ z: Int) -> ArraySlice<UInt64> {
        perSlice[(z * Histogram.binCount)..<((z + 1) * Histogram.binCount)]
    }

    /// Intensity at the centre of a bin.
    public func binCenter(_ b: Int) -> Double {
        if lo == 0 && hi == 255 { return Double(b) }
        return lo + (Double(b) + 0.5) * (hi - lo) / Double(Histogram.binCount)
    }
}
