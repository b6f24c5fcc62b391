import Foundation
import Kernels

/// A network ready to predict, with the model's input normalisation.
struct Predictor {
    let net: UNet
    let mean: Float
    let std: Float
    var frames: Int { net.arch.frames }
    var bin: Int { net.arch.bin }
}

/// Probability maps for every slice of `volume`, as f32 in [0, 1] with the volume's spacing.
///
/// Slices of any size are cut into square tiles of `tile` pixels (rounded to the network's size multiple,
/// reflected past the slice's edges) overlapping by `overlap` pixels and blended with a smooth window, so
/// memory is bounded by the tile. `tta: 8` averages the 8 rotations/flips of every tile; several models are
/// an ensemble whose probabilities are averaged (their frame counts may differ).
/// With `slices` only those slices are predicted (the others serve as the frames of multi-frame
/// models): a block of slices read with a halo of frames/2 on either side gives exactly the
/// probabilities of the whole volume.
///
///     let prob = try infer(models: [m1, m3, m5], volume: images, tile: 512, overlap: 32, tta: 8)
public func infer(models: [Model], volume: Volume, slices: Range<Int>? = nil, tile: Int = 512, overlap: Int = 32,
                  tta: Int = 1, showProgress: Bool = true) throws -> Volume {
    guard !models.isEmpty else { throw LearningError.invalid("infer needs at least one model") }
    try requireFinite(volume, what: "infer: the images")
    let predictors = try models.map { m in Predictor(net: try m.makeNetwork(), mean: m.inputMean, std: m.inputStd) }
    let range = slices ?? 0..<volume.shape.z
    guard range.lowerBound >= 0, range.upperBound <= volume.shape.z, !range.isEmpty || volume.shape.z == 0 else {
        throw LearningError.invalid("infer: slices \(range.lowerBound):\(range.upperBound) are outside 0:\(volume.shape.z)")
    }
    let progress = showProgress ? Kernels.Progress(label: "infer", total: max(1, range.count)) : nil
    defer { progress?.finish() }
    return try predict(predictors, volume: volume, slices: range, tile: tile, overlap: overlap, tta: tta, progress: progress)
}

func predict(_ predictors: [Predictor], volume: Volume, slices range: Range<Int>? = nil, tile: Int, overlap: Int, tta: Int,
             progress: Kernels.Progress?) throws -> Volume {
    let range = range ?? 0..<volume.shape.z
    guard tta == 1 || tta == 8 else { throw LearningError.invalid("tta must be 1 or 8 (got \(tta))") }
    guard tile >= 8, tile <= 4096 else { throw LearningError.invalid("tile must be 8…4096 pixels (got \(tile))") }
    guard overlap >= 0, overlap * 2 < tile else {
        throw LearningError.invalid("overlap must be at least 0 and less than half the tile (got \(overlap) for tile \(tile))")
    }
    let shape = volume.shape
    let h = shape.y, w = shape.x, hw = h * w
    guard hw > 0 else { throw LearningError.invalid("infer: the volume is empty") }
    let outShape = Shape(z: range.count, y: h, x: w)
    try MemoryBudget.check(outShape.count * 4, what: "infer output")
    BLAS.configure()
    let out = VoxelBuffer<Float>(zeroed: outShape.count)
    let maxFrames = predictors.map(\.frames).max() ?? 1
    // The normalised frames are held for one band of tile rows at a time, not whole slices:
    // a slice of a large volume (4096² and more) is then read once per band, not kept thrice.
    // (A binned model's slice is smaller: these bounds hold for it too.)
    let maxTile = predictors.map { min(roundUp(tile, $0.net.arch.sizeMultiple), roundUp(max(h, w), $0.net.arch.sizeMultiple)) }.max() ?? tile
    let bandCapacity = min(maxTile, h) * w
    // One model accumulates straight into its output slice; an ensemble needs a slice apart.
    let single = predictors.count == 1
    let binnedPlane = predictors.map(\.bin).filter { $0 > 1 }.min().map { binnedLength(h, $0) * binnedLength(w, $0) } ?? 0
    try MemoryBudget.check((maxFrames * bandCapacity + (single ? 0 : hw) + w + (maxFrames + 1) * binnedPlane) * 4,
                           what: "infer slice buffers")
    let ensembleAcc = single ? nil : VoxelBuffer<Float>(zeroed: hw)
    let binnedProb = VoxelBuffer<Float>(zeroed: binnedPlane)
    for pr in predictors {
        let t = min(roundUp(tile, pr.net.arch.sizeMultiple), roundUp(max(h, w), pr.net.arch.sizeMultiple))
        try MemoryBudget.check(pr.net.arch.activationBytes(batch: 1, size: t), what: "inference on tiles of \(t)²")
    }
    let tiler = SliceTiler(planes: maxFrames * bandCapacity, width: w, tile: tile, overlap: overlap, tta: tta)
    let inv = 1 / Float(predictors.count)
    for z in range {
        let o = out.pointer + (z - range.lowerBound) * hw
        for pr in predictors {
            if pr.bin == 1 {
                let a = ensembleAcc?.pointer ?? o
                if !single { a.update(repeating: 0, count: hw) }
                try tiler.predict(pr, volume, z: z, accumulator: a, into: o, scale: inv, ensemble: !single)
            } else {
                // The frames binned, predicted at their resolution, the probabilities interpolated back.
                let frames = try binnedSlices(volume, slices: frameSlices(z: z, frames: pr.frames, depth: shape.z), bin: pr.bin)
                let hb = frames.shape.y, wb = frames.shape.x, p = binnedProb.pointer
                p.update(repeating: 0, count: hb * wb)
                try tiler.predict(pr, frames, z: pr.frames / 2, accumulator: p, into: p, scale: 1, ensemble: false)
                unbin(p, hb: hb, wb: wb, bin: pr.bin, into: o, h: h, w: w, scale: inv, add: !single)
            }
        }
        progress?.advance()
    }
    let o = out.pointer
    for i in 0..<outShape.count { o[i] = min(max(o[i], 0), 1) }
    return Volume(shape: outShape, spacing: volume.spacing, kind: .image, storage: .f32(out))
}

/// Reusable buffers of a tiled prediction of one slice at a time.
private final class SliceTiler {
    var planes: [Float]
    let rowWeights: VoxelBuffer<Float>
    let input = Tensor()
    let tile: Int, overlap: Int, tta: Int

    init(planes: Int, width: Int, tile: Int, overlap: Int, tta: Int) {
        self.planes = [Float](repeating: 0, count: planes)
        rowWeights = VoxelBuffer<Float>(zeroed: width)
        self.tile = tile; self.overlap = overlap; self.tta = tta
    }

    /// Slice z of `volume` predicted by `pr` in tiles: window-weighted sums accumulated in `a` (a slice), then
    /// divided by their weights into `o` (`scale` × added for an ensemble member, written for one model; `a` may
    /// be `o` then).
    func predict(_ pr: Predictor, _ volume: Volume, z: Int, accumulator a: UnsafeMutablePointer<Float>,
                 into o: UnsafeMutablePointer<Float>, scale: Float, ensemble: Bool) throws {
        let h = volume.shape.y, w = volume.shape.x
        let m = pr.net.arch.sizeMultiple
        let t = min(roundUp(tile, m), roundUp(max(h, w), m))
        let ov = min(overlap, t / 2 - 1 >= 0 ? t / 2 - 1 : 0)
        let ys = tilePositions(length: h, tile: t, overlap: ov)
        let xs = tilePositions(length: w, tile: t, overlap: ov)
        let window = blendWindow(t, ov)
        let slices = frameSlices(z: z, frames: pr.frames, depth: volume.shape.z)
        input.reshape(1, pr.frames, t, t)
        // A tile lies inside the slice (the last one flush with the end) unless the slice is
        // smaller than a tile, when the band is the whole slice: the patches equal those cut
        // from whole normalised slices.
        let bandRows = min(t, h)
        let bandShape = Shape(z: pr.frames, y: bandRows, x: w)
        for y0 in ys {
            planes.withUnsafeMutableBufferPointer { pb in
                for (f, sz) in slices.enumerated() {
                    copyRows(volume, z: sz, rows: y0..<(y0 + bandRows), mean: pr.mean, std: pr.std,
                             into: pb.baseAddress! + f * bandRows * w)
                }
            }
            for x0 in xs {
                for tr in 0..<tta {
                    try Cancellation.check()
                    planes.withUnsafeBufferPointer { pb in
                        extractPatch(pb.baseAddress!, shape: bandShape, slices: Array(0..<pr.frames), y0: 0, x0: x0,
                                     p: t, transform: tr, dst: input.pointer)
                    }
                    let logits = pr.net.infer(input)
                    try Cancellation.check()  // infer stops between blocks on Ctrl-C
                    let lp = UnsafePointer(logits.pointer)
                    for yy in 0..<t {
                        for xx in 0..<t {
                            let (sa, sb) = dihedralSource(tr, yy, xx, t)
                            let gy = y0 + sa, gx = x0 + sb
                            if gy >= h || gx >= w { continue }
                            let p = 1 / (1 + expf(-lp[yy * t + xx]))
                            a[gy * w + gx] += window[sa] * window[sb] * p
                        }
                    }
                }
            }
        }
        normalizeByWeights(a, into: o, h: h, w: w, ys: ys, xs: xs, t: t, tta: tta, window: window,
                           scale: scale, ensemble: ensemble, row: rowWeights.pointer)
    }
}

/// Divides the weighted sums of a slice by their weights: per pixel the sum of window(y)·window(x)
/// over the tiles covering it, added in the order the tiles were (tile rows, tiles, transforms),
/// so each equals the sum accumulated beside the probabilities, without a slice of weights.
/// An ensemble member adds `scale` × its average into `o`; a single model writes it in place.
func normalizeByWeights(_ a: UnsafeMutablePointer<Float>, into o: UnsafeMutablePointer<Float>, h: Int, w: Int, ys: [Int], xs: [Int],
                        t: Int, tta: Int, window: [Float], scale: Float, ensemble: Bool, row: UnsafeMutablePointer<Float>) {
    for gy in 0..<h {
        row.update(repeating: 0, count: w)
        for y0 in ys where y0 <= gy && gy < y0 + t {
            let wy = window[gy - y0]
            for x0 in xs {
                for sb in 0..<min(t, w - x0) {
                    let wt = wy * window[sb]
                    for _ in 0..<tta { row[x0 + sb] += wt }
                }
            }
        }
        let ar = a + gy * w, orow = o + gy * w
        if ensemble {
            for x in 0..<w { orow[x] += scale * (row[x] > 0 ? ar[x] / row[x] : 0) }
        } else {
            for x in 0..<w { orow[x] = 0 + scale * (row[x] > 0 ? ar[x] / row[x] : 0) }
        }
    }
}

func roundUp(_ v: Int, _ m: Int) -> Int { (v + m - 1) / m * m }

/// Tile origins covering 0..<length: a stride of tile − overlap, the last tile flush with the end.
func tilePositions(length: Int, tile: Int, overlap: Int) -> [Int] {
    if length <= tile { return [0] }
    let stride = max(1, tile - overlap)
    var out: [Int] = []
    var p = 0
    while p + tile < length { out.append(p); p += stride }
    out.append(length - tile)
    return out
}

/// A 1-D window that rises smoothly over `overlap` pixels at both ends (never zero).
func blendWindow(_ t: Int, _ overlap: Int) -> [Float] {
    (0..<t).map { i in
        guard overlap > 0 else { return 1 }
        let r = min(1, min(Float(i) + 0.5, Float(t - i) - 0.5) / Float(overlap))
        return max(r * r * (3 - 2 * r), 1e-3)
    }
}

/// Rows of one slice of a volume as normalised floats.
func copyRows(_ v: Volume, z: Int, rows: Range<Int>, mean: Float, std: Float, into dst: UnsafeMutablePointer<Float>) {
    let n = rows.count * v.shape.x, base = z * v.shape.sliceCount + rows.lowerBound * v.shape.x, inv = 1 / std
    switch v.storage {
    case .u8(let b): for i in 0..<n { dst[i] = (Float(b.pointer[base + i]) - mean) * inv }
    case .u16(let b): for i in 0..<n { dst[i] = (Float(b.pointer[base + i]) - mean) * inv }
    case .u32(let b): for i in 0..<n { dst[i] = (Float(b.pointer[base + i]) - mean) * inv }
    case .f32(let b): for i in 0..<n { dst[i] = (b.pointer[base + i] - mean) * inv }
    }
}
