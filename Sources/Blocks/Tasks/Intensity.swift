import Kernels
import VolumeIO

/// Per-slice 256-bin histograms of a u8 store: each block counts its part of its slices.
struct HistogramTask: BlockTask {
    static let kind = "histogram"
    let grid: BlockGrid
    let input: StoreRef
    var label: String { "histogram" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open()
        return { b in
            let box = grid.box(b)
            let h = try histogram(try src.read(box))
            var p = Partial()
            p["z0"] = [Double(box.z.lowerBound)]
            p["counts"] = h.perSlice.map { Double($0) }
            return p
        }
    }

    /// The whole volume's histogram from the blocks' counts.
    static func merge(_ parts: [Partial], slices: Int) -> Histogram {
        var counts = [UInt64](repeating: 0, count: slices * Histogram.binCount)
        for p in parts {
            guard let z0 = p["z0"].first.map(Int.init) else { continue }
            for (i, c) in p["counts"].enumerated() where z0 * Histogram.binCount + i < counts.count {
                counts[z0 * Histogram.binCount + i] &+= UInt64(c)
            }
        }
        return Histogram(perSlice: counts, sliceCount: slices, lo: 0, hi: 255)
    }
}

/// `normalize` block by block: each block passes its place in the slice, so the dither pattern
/// runs on as in the whole slice and the bytes equal those of the whole-volume map.
struct NormalizeTask: BlockMapTask {
    static let kind = "normalize"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    let reference: [Double]
    /// One pair, or one per slice.
    let peaks: [[Double]]
    let dither: Bool
    var label: String { "normalize" }

    func makeMap(_ src: ZarrArray) -> @Sendable (Volume, Int, Box) throws -> Volume {
        let sliceWidth = src.shape.x
        return { v, _, box in
            let pairs = peaks.count == 1 ? [(peaks[0][0], peaks[0][1])] : box.z.map { (peaks[$0][0], peaks[$0][1]) }
            return try normalize(v, to: (reference[0], reference[1]), peaks: pairs, dither: dither,
                                 origin: (box.y.lowerBound, box.x.lowerBound), sliceWidth: sliceWidth)
        }
    }
}
