import _Platform
import Foundation

/// Gaussian blur (separable, f32 output).
///
/// `sigma` is in x-voxel units; the other axes use the same physical width, so the sigma along y is
/// `sigma · spacing.x / spacing.y` and along z `sigma · spacing.x / spacing.z` voxels (anisotropic
/// spacing honoured: at 10×10×50 nm, `--sigma 2` blurs 20 nm in every direction, 0.4 slices in z).
/// With `twoD`, each slice is blurred on its own (no z pass). Borders reflect (`d c b a | a b c d | d c b a`,
/// scipy's "reflect"); the kernel is truncated at 4 sigma (radius ⌊4σ + 0.5⌋, as scipy's default),
/// and an axis whose sigma is below 0.1 voxel is not blurred. Any input type gives f32.
public func blur(_ v: Volume, sigma: Double, twoD: Bool = false) throws -> Volume {
    guard sigma.isFinite, sigma >= 0 else {
        throw VolumeError.invalidArgument(operation: "blur", "sigma must be a non-negative number, got \(sigma)")
    }
    guard v.spacing.x > 0, v.spacing.y > 0, v.spacing.z > 0 else {
        throw VolumeError.invalidArgument(operation: "blur", "the volume's spacing must be positive")
    }
    let sy = sigma * v.spacing.x / v.spacing.y
    let sz = twoD ? 0 : sigma * v.spacing.x / v.spacing.z
    return try blur(v, sigmas: (z: sz, y: sy, x: sigma))
}

/// Gaussian blur with a sigma per axis in voxels (0 or below 0.1: that axis is not blurred).
public func blur(_ v: Volume, sigmas: (z: Double, y: Double, x: Double)) throws -> Volume {
    // A kernel wider than any volume emsh can hold would only spend time (or overflow its radius).
    for (axis, s) in [("x", sigmas.x), ("y", sigmas.y), ("z", sigmas.z)] where !(s.isFinite && s >= 0 && s <= maxBlurSigma) {
        throw VolumeError.invalidArgument(operation: "blur",
            "sigma along \(axis) is \(formatNumber(s, decimals: 4)) voxels; it must be between 0 and \(Int(maxBlurSigma))")
    }
    let shape = v.shape, n = v.count
    let (nz, ny, nx) = (shape.z, shape.y, shape.x)
    // a: the input as f32 (or the x pass), b: scratch.
    var a = try convert(v, to: .f32)
    if case .f32(let src) = v.storage, a.f32 === src {
        a = v.with(storage: try allocateStorage(.f32, count: n, what: "blur"))
        a.f32?.pointer.update(from: src.pointer, count: n)
    }
    let b = try allocateStorage(.f32, count: n, what: "blur")
    guard let pa = a.f32?.pointer, case .f32(let bb) = b else { return v }
    let pb = bb.pointer
    var cur = pa, other = pb

    // The taps of the x, y and z passes, where the workers read them.
    let taps = [sigmas.x, sigmas.y, sigmas.z].map { VoxelBuffer<Float>(gaussianKernel($0)) }
    defer { withExtendedLifetime(taps) {} }

    // x pass: row by row through a padded row copy.
    let kx = UnsafePointer(taps[0].pointer), kxn = taps[0].count
    if kxn > 1 {
        let r = kxn / 2
        try parallelSlices(nz) { z in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: nx + 2 * r)
            defer { row.deallocate() }
            for y in 0..<ny {
                let base = (z * ny + y) * nx
                for i in 0..<(nx + 2 * r) { row[i] = cur[base + reflectIndex(i - r, nx)] }
                weightedSum(into: other + base, count: nx, taps: kx, kxn) { k in UnsafePointer(row + k) }
            }
        }
        swap(&cur, &other)
    }
    // y pass: whole rows at a time.
    let ky = UnsafePointer(taps[1].pointer), kyn = taps[1].count
    if kyn > 1 {
        let r = kyn / 2
        try parallelSlices(nz) { z in
            let sb = z * ny * nx
            for y in 0..<ny {
                weightedSum(into: other + sb + y * nx, count: nx, taps: ky, kyn) { k in
                    UnsafePointer(cur + sb + reflectIndex(y + k - r, ny) * nx)
                }
            }
        }
        swap(&cur, &other)
    }
    // z pass: whole slices at a time.
    let kz = UnsafePointer(taps[2].pointer), kzn = taps[2].count
    if kzn > 1 && nz > 1 {
        let r = kzn / 2
        let plane = ny * nx
        try parallelSlices(nz) { z in
            weightedSum(into: other + z * plane, count: plane, taps: kz, kzn) { k in
                UnsafePointer(cur + reflectIndex(z + k - r, nz) * plane)
            }
        }
        swap(&cur, &other)
    }
    let result: VoxelStorage = cur == pa ? a.storage : b
    return v.with(storage: result, kind: .image)
}

/// dst[i] = Σₖ taps[k] · line(k)[i] for i < count, the lines being the input shifted by each tap:
/// tap by tap over the whole line, so the inner loop vectorises (the three passes of `blur`).
@inline(__always)
private func weightedSum(into dst: UnsafeMutablePointer<Float>, count: Int, taps: UnsafePointer<Float>, _ tapCount: Int,
                         line: (Int) -> UnsafePointer<Float>) {
    for i in 0..<count { dst[i] = 0 }
    for k in 0..<tapCount {
        let w = taps[k], src = line(k)
        for i in 0..<count { dst[i] += w * src[i] }
    }
}

/// The largest sigma (voxels, on any axis) `blur` accepts.
public let maxBlurSigma = 1000.0

/// A normalised Gaussian of radius ⌊4σ + 0.5⌋ ([1] when σ < 0.1).
func gaussianKernel(_ sigma: Double) -> [Float] {
    if !(sigma >= 0.1) { return [1] }
    let r = Int(4 * sigma + 0.5)
    var w = [Double](repeating: 0, count: 2 * r + 1)
    for i in -r...r { w[i + r] = Foundation.exp(-0.5 * Double(i * i) / (sigma * sigma)) }
    let s = w.reduce(0, +)
    return w.map { Float($0 / s) }
}

/// Half-sample symmetric reflection of `i` into 0..<n (any i, any n ≥ 1).
@inline(__always) func reflectIndex(_ i: Int, _ n: Int) -> Int {
    if i >= 0 && i < n { return i }
    let p = 2 * n
    var m = i % p
    if m < 0 { m += p }
    return m < n ? m : p - 1 - m
}

