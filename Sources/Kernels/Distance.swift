/// Scratch for the 1D lower-envelope transform of lines of up to `n` samples (raw memory,
/// one per worker task).
private struct EnvelopeScratch {
    let f: UnsafeMutablePointer<Double>
    let d: UnsafeMutablePointer<Double>
    let v: UnsafeMutablePointer<Int32>
    let zb: UnsafeMutablePointer<Double>
    init(_ n: Int) {
        f = .allocate(capacity: max(n, 1)); d = .allocate(capacity: max(n, 1))
        v = .allocate(capacity: max(n, 1)); zb = .allocate(capacity: n + 1)
    }
    func free() { f.deallocate(); d.deallocate(); v.deallocate(); zb.deallocate() }

    /// d[q] = min_p (f[p] + ((q − p)·w)²) over the first n samples (Felzenszwalb–Huttenlocher).
    /// Infinite f values take no part; a line with no finite value stays infinite.
    @inline(__always) func transform(_ n: Int, _ w: Double) {
        var k = -1
        for q in 0..<n {
            let fq = f[q]
            if fq == .infinity { continue }
            let pq = Double(q) * w
            if k < 0 { k = 0; v[0] = Int32(q); zb[0] = -.infinity; zb[1] = .infinity; continue }
            var s = 0.0
            while true {
                let vk = Int(v[k]), pv = Double(vk) * w
                s = ((fq + pq * pq) - (f[vk] + pv * pv)) / (2 * (pq - pv))
                if s <= zb[k] { k -= 1 } else { break }   // zb[0] = −∞ stops this at k = 0
            }
            k += 1
            v[k] = Int32(q); zb[k] = s; zb[k + 1] = .infinity
        }
        if k < 0 {
            for q in 0..<n { d[q] = .infinity }
            return
        }
        var j = 0
        for q in 0..<n {
            let pq = Double(q) * w
            while zb[j + 1] < pq { j += 1 }
            let vj = Int(v[j]), pv = Double(vj) * w
            d[q] = (pq - pv) * (pq - pv) + f[vj]
        }
    }
}

/// Runs the envelope transform over `w` interleaved lines of a tile (tile[i·block + c], i < n),
/// one foreground run at a time: a run of non-zero samples only needs its own samples and the
/// zero (background) sample on either side, since a parabola beyond a zero never undercuts the
/// zero's own. Pure background stays as it is. With `root` the results are square-rooted.
@inline(__always)
private func transformTile(_ tile: UnsafeMutablePointer<Float>, block: Int, lines w: Int, n: Int, spacing: Double,
                           root: Bool, _ sc: EnvelopeScratch) {
    for c in 0..<w {
        var i = 0
        while i < n {
            while i < n && tile[i * block + c] == 0 { i &+= 1 }
            if i >= n { break }
            let a = i
            while i < n && tile[i * block + c] != 0 { i &+= 1 }
            let lo = a > 0 ? a - 1 : a, hi = i < n ? i : i - 1   // inclusive, with the bounding zeros
            let m = hi - lo + 1
            for k in 0..<m { sc.f[k] = Double(tile[(lo + k) * block + c]) }
            sc.transform(m, spacing)
            if root {
                for k in (a - lo)..<(i - lo) { tile[(lo + k) * block + c] = Float(sc.d[k].squareRoot()) }
            } else {
                for k in (a - lo)..<(i - lo) { tile[(lo + k) * block + c] = Float(sc.d[k]) }
            }
        }
    }
}

/// Squared Euclidean distance (nm²) from every foreground voxel (non-zero byte) to the nearest
/// background voxel; 0 on background, +∞ where no background is reachable (a line / slice /
/// volume with no background). With `twoD` the distance stays inside each slice. With `root` the
/// distance itself (the square root) is returned.
func squaredDistance(_ fg: UnsafePointer<UInt8>, shape: Shape, spacing: Spacing, twoD: Bool,
                     root: Bool = false) throws -> VoxelBuffer<Float> {
    let nz = shape.z, ny = shape.y, nx = shape.x
    let out = try analysisBuffer(shape.count, Float.self, what: "distance transform", zeroed: false)
    if shape.count == 0 { return out }
    let o = out.pointer
    let sx = spacing.x, sy = spacing.y, sz = spacing.z
    let block = 16
    let zPass = !twoD && nz > 1
    // x: distance to the nearest background voxel in the row (two scans), then y, per slice.
    try parallelSlices(nz) { z in
        for y in 0..<ny {
            let row = fg + (z * ny + y) * nx, orow = o + (z * ny + y) * nx
            var last = -1
            for x in 0..<nx {
                if row[x] == 0 { last = x; orow[x] = 0 } else { orow[x] = last < 0 ? .infinity : Float(x - last) }
            }
            last = -1
            for x in stride(from: nx - 1, through: 0, by: -1) {
                if row[x] == 0 { last = x } else if last >= 0 {
                    let d = Float(last - x)
                    if d < orow[x] { orow[x] = d }
                }
            }
            for x in 0..<nx where orow[x] != .infinity && orow[x] != 0 {
                let d = Double(orow[x]) * sx
                orow[x] = Float(d * d)
            }
        }
        guard ny > 1 else { return }
        let sc = EnvelopeScratch(ny)
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: ny * block)
        defer { sc.free(); tile.deallocate() }
        let s = o + z * ny * nx
        var x0 = 0
        while x0 < nx {
            let w = min(block, nx - x0)
            for y in 0..<ny { (tile + y * block).update(from: s + y * nx + x0, count: w) }
            transformTile(tile, block: block, lines: w, n: ny, spacing: sy, root: root && !zPass, sc)
            for y in 0..<ny { (s + y * nx + x0).update(from: tile + y * block, count: w) }
            x0 += block
        }
    }
    // z, per row y (blocks of x columns gathered for cache).
    if zPass {
        let plane = ny * nx
        try parallelSlices(ny) { y in
            let sc = EnvelopeScratch(nz)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: nz * block)
            defer { sc.free(); tile.deallocate() }
            var x0 = 0
            while x0 < nx {
                let w = min(block, nx - x0)
                for z in 0..<nz { (tile + z * block).update(from: o + z * plane + y * nx + x0, count: w) }
                transformTile(tile, block: block, lines: w, n: nz, spacing: sz, root: root, sc)
                for z in 0..<nz { (o + z * plane + y * nx + x0).update(from: tile + z * block, count: w) }
                x0 += block
            }
        }
    }
    if root && ny <= 1 && !zPass {
        let n = shape.count, blk = 1 << 16
        parallelFor((n + blk - 1) / blk) { k in
            for i in (k * blk)..<min(n, (k + 1) * blk) { o[i] = o[i].squareRoot() }
        }
    }
    return out
}

/// Exact Euclidean distance transform with anisotropic spacing: for every foreground voxel
/// (non-zero; f32 > 0.5) the distance in nm to the nearest background voxel centre, 0 on the
/// background (Felzenszwalb–Huttenlocher separable lower envelopes, as scipy's
/// `distance_transform_edt(mask, sampling=(z, y, x))`). With `twoD` each slice is transformed on
/// its own. Voxels with no background within reach (a volume, or with `twoD` a slice, that is all
/// foreground) get +∞. Returns an f32 volume with the input's spacing.
public func distanceTransform(_ mask: Volume, twoD: Bool = false) throws -> Volume {
    let sp = mask.spacing
    guard sp.x > 0, sp.y > 0, sp.z > 0, sp.x.isFinite, sp.y.isFinite, sp.z.isFinite else {
        throw VolumeError.invalidArgument(operation: "distance", "the voxel spacing must be positive")
    }
    let fg = try foregroundBytes(mask, what: "distance mask")
    defer { withExtendedLifetime(fg) {} }
    let d = try squaredDistance(fg.pointer, shape: mask.shape, spacing: sp, twoD: twoD, root: true)
    return mask.with(storage: .f32(d), kind: .image)
}
