import Kernels

/// Input binning (`train --bin`): a model with `bin` b sees every slice as the means of b×b pixel blocks, and its
/// probabilities are interpolated back onto the slice's own pixels. SBF-SEM slices are often sampled finer than
/// their optics resolve (sbem-mito keeps 99.7 % of its power below half the Nyquist frequency): binned, a step
/// trains on b² times the area and the network sees b times the context, for the same arithmetic.

/// Side of the binned grid: a last, partial block still makes a pixel.
@inline(__always)
func binnedLength(_ n: Int, _ bin: Int) -> Int { (n + bin - 1) / bin }

/// The bin×bin block means of `slices` of `volume` as an f32 volume (one slice per entry, in order); a block at
/// the slice's far edge averages the pixels it has. With `majority` the result is a 0/1 mask: 1 where at least
/// half of the block is foreground (non-zero, or above 0.5 for f32).
func binnedSlices(_ volume: Volume, slices: [Int], bin: Int, majority: Bool = false) throws -> Volume {
    let h = volume.shape.y, w = volume.shape.x
    let hb = binnedLength(h, bin), wb = binnedLength(w, bin)
    let shape = Shape(z: slices.count, y: hb, x: wb)
    try MemoryBudget.check(shape.count * 4, what: "binned slices")
    let out = VoxelBuffer<Float>(zeroed: shape.count)
    let sums = VoxelBuffer<Float>(zeroed: wb)
    for (k, z) in slices.enumerated() {
        let plane = z * h * w
        for yb in 0..<hb {
            let rows = (yb * bin)..<min(h, yb * bin + bin)
            sums.pointer.update(repeating: 0, count: wb)
            for y in rows {
                let base = plane + y * w
                func add(_ value: (Int) -> Float) { for x in 0..<w { sums.pointer[x / bin] += value(base + x) } }
                switch volume.storage {
                case .u8(let b): add { majority ? (b.pointer[$0] != 0 ? 1 : 0) : Float(b.pointer[$0]) }
                case .u16(let b): add { majority ? (b.pointer[$0] != 0 ? 1 : 0) : Float(b.pointer[$0]) }
                case .u32(let b): add { majority ? (b.pointer[$0] != 0 ? 1 : 0) : Float(b.pointer[$0]) }
                case .f32(let b): add { majority ? (b.pointer[$0] > 0.5 ? 1 : 0) : b.pointer[$0] }
                }
            }
            let o = out.pointer + (k * hb + yb) * wb
            for xb in 0..<wb {
                let count = Float(rows.count * (min(w, xb * bin + bin) - xb * bin))
                let mean = sums.pointer[xb] / count
                o[xb] = majority ? (mean >= 0.5 ? 1 : 0) : mean
            }
        }
    }
    return Volume(shape: shape, spacing: volume.spacing, kind: majority ? .mask : .image, storage: .f32(out))
}

/// Bilinear interpolation of a hb×wb map of bin×bin blocks onto the h×w pixels it was binned from (block centres
/// at their pixels' centre, clamped at the edges). Writes `scale` × the value, or adds it with `add`.
func unbin(_ src: UnsafePointer<Float>, hb: Int, wb: Int, bin: Int, into dst: UnsafeMutablePointer<Float>, h: Int, w: Int,
           scale: Float, add: Bool) {
    func taps(_ n: Int, _ nb: Int) -> (lo: [Int], hi: [Int], t: [Float]) {
        var lo = [Int](repeating: 0, count: n), hi = lo, t = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let s = min(max((Double(i) + 0.5) / Double(bin) - 0.5, 0), Double(nb - 1))
            lo[i] = Int(s); hi[i] = min(lo[i] + 1, nb - 1); t[i] = Float(s - Double(lo[i]))
        }
        return (lo, hi, t)
    }
    let ty = taps(h, hb), tx = taps(w, wb)
    for y in 0..<h {
        let r0 = src + ty.lo[y] * wb, r1 = src + ty.hi[y] * wb, fy = ty.t[y]
        let o = dst + y * w
        for x in 0..<w {
            let a = tx.lo[x], b = tx.hi[x], fx = tx.t[x]
            let top = r0[a] + fx * (r0[b] - r0[a]), bottom = r1[a] + fx * (r1[b] - r1[a])
            let v = scale * (top + fy * (bottom - top))
            if add { o[x] += v } else { o[x] = v }
        }
    }
}
