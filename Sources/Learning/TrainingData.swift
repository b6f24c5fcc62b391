import Kernels

/// Mirror index into 0..<n (…, 2, 1, 0, 1, 2, …, n−2, n−1, n−2, …); any i is mapped.
@inline(__always)
func reflect(_ i: Int, _ n: Int) -> Int {
    if n <= 1 { return 0 }
    let period = 2 * (n - 1)
    var r = i % period
    if r < 0 { r += period }
    return r < n ? r : period - r
}

/// A volume's intensities as floats, normalised as (v − mean) / std.
struct FloatVolume {
    let shape: Shape
    let data: [Float]

    init(_ v: Volume, mean: Float, std: Float, what: String) throws {
        try MemoryBudget.check(v.count * 4, what: what)
        shape = v.shape
        let inv = 1 / std
        let n = v.count
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            switch v.storage {
            case .u8(let b): for i in 0..<n { o[i] = (Float(b.pointer[i]) - mean) * inv }
            case .u16(let b): for i in 0..<n { o[i] = (Float(b.pointer[i]) - mean) * inv }
            case .u32(let b): for i in 0..<n { o[i] = (Float(b.pointer[i]) - mean) * inv }
            case .f32(let b): for i in 0..<n { o[i] = (b.pointer[i] - mean) * inv }
            }
        }
        data = out
    }
}

/// Refuses an f32 volume holding NaN or infinite voxels: one of them turns a whole training run's
/// loss, or every tile of a prediction it touches, into NaN without a word.
func requireFinite(_ v: Volume, what: String) throws {
    guard case .f32(let b) = v.storage else { return }
    var bad = 0
    for i in 0..<v.count where !b.pointer[i].isFinite { bad += 1 }
    if bad > 0 { throw LearningError.invalid("\(what) hold \(bad) NaN or infinite voxel\(bad == 1 ? "" : "s")") }
}

/// Mean and standard deviation of a volume's intensities (in Double); `train` has refused
/// non-finite voxels (`requireFinite`) before it asks.
func intensityStatistics(_ v: Volume) -> (mean: Float, std: Float) {
    let n = v.count
    guard n > 0 else { return (0, 1) }
    var s = 0.0, ss = 0.0
    func acc(_ x: Double) { s += x; ss += x * x }
    switch v.storage {
    case .u8(let b): for i in 0..<n { acc(Double(b.pointer[i])) }
    case .u16(let b): for i in 0..<n { acc(Double(b.pointer[i])) }
    case .u32(let b): for i in 0..<n { acc(Double(b.pointer[i])) }
    case .f32(let b): for i in 0..<n { acc(Double(b.pointer[i])) }
    }
    let mean = s / Double(n)
    let std = max((ss / Double(n) - mean * mean), 0).squareRoot()
    return (Float(mean), Float(std > 1e-6 ? std : 1))
}

/// The labels' foreground (non-zero) as 0/1 floats.
func foreground(_ v: Volume) -> [Float] {
    let n = v.count
    var out = [Float](repeating: 0, count: n)
    switch v.storage {
    case .u8(let b): for i in 0..<n where b.pointer[i] != 0 { out[i] = 1 }
    case .u16(let b): for i in 0..<n where b.pointer[i] != 0 { out[i] = 1 }
    case .u32(let b): for i in 0..<n where b.pointer[i] != 0 { out[i] = 1 }
    case .f32(let b): for i in 0..<n where b.pointer[i] > 0.5 { out[i] = 1 }
    }
    return out
}

/// One of the 8 rotations/flips of a square p×p patch: the source (row, column) of output (y, x).
@inline(__always)
func dihedralSource(_ t: Int, _ y: Int, _ x: Int, _ p: Int) -> (Int, Int) {
    var a = y, b = x
    if t & 1 != 0 { swap(&a, &b) }
    if t & 2 != 0 { a = p - 1 - a }
    if t & 4 != 0 { b = p - 1 - b }
    return (a, b)
}

/// Copies a p×p window with top-left (y0, x0) of slice planes (frames) of `src` into `dst` (frames×p×p),
/// transformed by dihedral `t`; rows and columns outside the slice are reflected.
func extractPatch(_ src: UnsafePointer<Float>, shape: Shape, slices: [Int], y0: Int, x0: Int, p: Int, transform t: Int,
                  dst: UnsafeMutablePointer<Float>) {
    let h = shape.y, w = shape.x
    var rows = [Int](repeating: 0, count: p), cols = [Int](repeating: 0, count: p)
    for i in 0..<p { rows[i] = reflect(y0 + i, h); cols[i] = reflect(x0 + i, w) }
    for (f, z) in slices.enumerated() {
        let plane = src + z * h * w
        let out = dst + f * p * p
        if t == 0 {
            for y in 0..<p {
                let r = plane + rows[y] * w, o = out + y * p
                if x0 >= 0 && x0 + p <= w { o.update(from: r + x0, count: p) } else { for x in 0..<p { o[x] = r[cols[x]] } }
            }
        } else {
            for y in 0..<p {
                for x in 0..<p {
                    let (a, b) = dihedralSource(t, y, x, p)
                    out[y * p + x] = plane[rows[a] * w + cols[b]]
                }
            }
        }
    }
}

/// Slice indices of the frames centred on z (reflected at the volume's ends); `zFlip` reverses their order.
func frameSlices(z: Int, frames: Int, depth: Int, zFlip: Bool = false) -> [Int] {
    let half = frames / 2
    return (0..<frames).map { f in reflect(z + (zFlip ? half - f : f - half), depth) }
}
