#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Prolate-spheroid fits of labelled objects (the thesis's "fit").
//
// Per object, in physical units (spacing in nm, results in µm):
// - centroid and principal axis from the second moments of the voxel boxes (voxel centres plus
//   each box's own s²/12 per axis, so anisotropic voxels don't tilt the axis): the axis of least
//   squares, the eigenvector of the largest eigenvalue;
// - surface points: the centres of the exposed voxel faces (a face whose neighbour is another
//   label, background or outside the volume), weighted by the face's area; the voxelised boundary
//   lies on the true surface on average, where voxel centres would sit half a voxel inside;
// - the spheroid (x/a)² + (y/b)² + (z/b)² = 1 with x along the principal axis through the
//   centroid: linear weighted least squares in A = 1/a², B = 1/b² on the surface points; when
//   that fails (tiny or degenerate objects) a and b come from the moments (a² = 5λ₁, b² = 5(λ₂+λ₃)/2);
// - eccentricity = sqrt(1 − (b/a)²) (0 when b ≥ a); angle between the principal axis and `axis`
//   folded into 0...90°; border = touches a face of the volume (the z faces only when there is
//   more than one slice); volume_um3 = voxels × voxel volume.

/// Per-object sums of the first pass (voxel-index units): n, Σx, Σy, Σz, Σxx, Σyy, Σzz, Σxy, Σxz, Σyz.
private let momentCount = 10
/// Per-object sums of the second pass: Σw, Σw X⁴, Σw X²R², Σw R⁴, Σw X², Σw R².
private let surfaceCount = 6

/// Eigen-decomposition of a symmetric 3×3 matrix (cyclic Jacobi): eigenvalues descending with
/// their unit eigenvectors.
func symmetricEigen3(_ m: [[Double]]) -> (values: [Double], vectors: [[Double]]) {
    var a = m
    var v: [[Double]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    for _ in 0..<50 {
        let off = a[0][1] * a[0][1] + a[0][2] * a[0][2] + a[1][2] * a[1][2]
        if off < 1e-30 * (a[0][0] * a[0][0] + a[1][1] * a[1][1] + a[2][2] * a[2][2]) + 1e-300 { break }
        for (p, q) in [(0, 1), (0, 2), (1, 2)] where a[p][q] != 0 {
            let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
            let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
            let c = 1 / (t * t + 1).squareRoot(), s = t * c
            for k in 0..<3 {
                let akp = a[k][p], akq = a[k][q]
                a[k][p] = c * akp - s * akq; a[k][q] = s * akp + c * akq
            }
            for k in 0..<3 {
                let apk = a[p][k], aqk = a[q][k]
                a[p][k] = c * apk - s * aqk; a[q][k] = s * apk + c * aqk
            }
            for k in 0..<3 {
                let vkp = v[k][p], vkq = v[k][q]
                v[k][p] = c * vkp - s * vkq; v[k][q] = s * vkp + c * vkq
            }
        }
    }
    let order = [0, 1, 2].sorted { a[$0][$0] > a[$1][$1] }
    return (order.map { a[$0][$0] }, order.map { j in [v[0][j], v[1][j], v[2][j]] })
}

/// The labels present in a box of a label map, each with a slot 0..<ids.count (ids ascending):
/// a dense table for ids up to 2²², a dictionary beyond (ids far larger than the number of
/// objects, 4294967295 from another program, would otherwise ask for gigabytes of accumulators).
struct LabelSlots: Sendable {
    let ids: [UInt32]
    private let dense: [Int32]
    private let sparse: [UInt32: Int32]

    init(_ p: UnsafePointer<UInt32>, shape: Shape, box: Box) throws {
        let workers = max(1, min(Threads.count, box.z.count))
        var found = [Set<UInt32>](repeating: [], count: workers)
        try Cancellation.check()
        found.withUnsafeMutableBufferPointer { fb in
            parallelChunks(box.z.count, threads: workers) { w, zr in
                var s = Set<UInt32>()
                var last: UInt32 = 0
                for zi in zr {
                    if Cancellation.isCancelled { break }
                    for y in box.y {
                        let row = p + ((box.z.lowerBound + zi) * shape.y + y) * shape.x + box.x.lowerBound
                        forEachLabelRun(row, box.x.count) { l, _, _ in if l != last { s.insert(l); last = l } }
                    }
                }
                fb[w] = s
            }
        }
        try Cancellation.check()
        ids = found.reduce(into: Set<UInt32>()) { $0.formUnion($1) }.sorted()
        if let m = ids.last, m < 1 << 22 {
            var d = [Int32](repeating: -1, count: Int(m) + 1)
            for (k, l) in ids.enumerated() { d[Int(l)] = Int32(k) }
            dense = d; sparse = [:]
        } else {
            dense = []
            sparse = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
        }
    }

    /// The slot of a label present in the box.
    @inline(__always) func slot(_ l: UInt32) -> Int {
        dense.isEmpty ? Int(sparse[l] ?? 0) : Int(dense[Int(l)])
    }
}

/// Sums `parts` (per-worker or per-block accumulators of `width` numbers per id) by id.
private func mergeById(_ parts: [(ids: [UInt32], sums: [Double])], width: Int) -> (ids: [UInt32], sums: [Double]) {
    if parts.count == 1 { return parts[0] }
    var index: [UInt32: Int] = [:]
    var ids: [UInt32] = []
    for p in parts { for l in p.ids where index[l] == nil { index[l] = 0; ids.append(l) } }
    ids.sort()
    for (k, l) in ids.enumerated() { index[l] = k }
    var sums = [Double](repeating: 0, count: ids.count * width)
    for p in parts {
        for (k, l) in p.ids.enumerated() {
            let o = index[l, default: 0] * width
            for j in 0..<width { sums[o + j] += p.sums[k * width + j] }
        }
    }
    return (ids, sums)
}

/// Pass 1 of a fit: per object n, Σx, Σy, Σz, Σxx, Σyy, Σzz, Σxy, Σxz, Σyz in global voxel
/// indices, and whether it touches a face of the whole volume. Sums over blocks add up exactly to
/// those of the whole volume (up to the order of the floating-point additions).
public struct FitMoments: Sendable {
    public var ids: [UInt32] = []
    public var sums: [Double] = []
    public var border: [UInt8] = []
    public init() {}

    /// The sums of several blocks' moments.
    public static func merged(_ parts: [FitMoments]) -> FitMoments {
        var out = FitMoments()
        let m = mergeById(parts.map { ($0.ids, $0.sums) }, width: momentCount)
        out.ids = m.ids; out.sums = m.sums
        let b = mergeById(parts.map { ($0.ids, $0.border.map(Double.init)) }, width: 1)
        out.border = b.sums.map { $0 > 0 ? 1 : 0 }
        return out
    }
}

/// Each object's centroid (nm), principal axis (unit vector) and the eigenvalues of its
/// second moments (nm²), from the summed moments.
public struct FitFrames: Sendable {
    public let ids: [UInt32]
    let centre: [Double]
    let axes: [Double]
    let lambda: [Double]

    public init(_ m: FitMoments, spacing sp: Spacing) {
        ids = m.ids
        var centre = [Double](repeating: 0, count: ids.count * 3)
        var axes = centre, lambda = centre
        let s = [sp.x, sp.y, sp.z]
        for k in 0..<ids.count {
            let o = k * momentCount, c = m.sums[o]
            if c == 0 { continue }
            let mu = [m.sums[o + 1] / c, m.sums[o + 2] / c, m.sums[o + 3] / c]
            for j in 0..<3 { centre[k * 3 + j] = mu[j] * s[j] }
            let cxx = (m.sums[o + 4] / c - mu[0] * mu[0]) * s[0] * s[0] + s[0] * s[0] / 12
            let cyy = (m.sums[o + 5] / c - mu[1] * mu[1]) * s[1] * s[1] + s[1] * s[1] / 12
            let czz = (m.sums[o + 6] / c - mu[2] * mu[2]) * s[2] * s[2] + s[2] * s[2] / 12
            let cxy = (m.sums[o + 7] / c - mu[0] * mu[1]) * s[0] * s[1]
            let cxz = (m.sums[o + 8] / c - mu[0] * mu[2]) * s[0] * s[2]
            let cyz = (m.sums[o + 9] / c - mu[1] * mu[2]) * s[1] * s[2]
            let (vals, vecs) = symmetricEigen3([[cxx, cxy, cxz], [cxy, cyy, cyz], [cxz, cyz, czz]])
            for j in 0..<3 { axes[k * 3 + j] = vecs[0][j]; lambda[k * 3 + j] = vals[j] }
        }
        self.centre = centre; self.axes = axes; self.lambda = lambda
    }

    func index(of l: UInt32) -> Int? {
        var lo = 0, hi = ids.count
        while lo < hi { let m = (lo + hi) / 2; if ids[m] < l { lo = m + 1 } else { hi = m } }
        return lo < ids.count && ids[lo] == l ? lo : nil
    }
}

/// Pass 2 of a fit: per object Σw, Σw X⁴, Σw X²R², Σw R⁴, Σw X², Σw R² over its exposed voxel
/// faces, in the object's frame (X along the principal axis, R across it).
public struct FitSurfaces: Sendable {
    public var ids: [UInt32] = []
    public var sums: [Double] = []
    public init() {}

    public static func merged(_ parts: [FitSurfaces]) -> FitSurfaces {
        var out = FitSurfaces()
        let m = mergeById(parts.map { ($0.ids, $0.sums) }, width: surfaceCount)
        out.ids = m.ids; out.sums = m.sums
        return out
    }
}

private func requireFitSpacing(_ sp: Spacing) throws {
    guard sp.x > 0, sp.y > 0, sp.z > 0 else {
        throw VolumeError.invalidArgument(operation: "fit", "the voxel spacing must be positive")
    }
}

/// Pass 1 over a block of a label map whose voxel (0, 0, 0) sits at `origin` in a volume of
/// shape `global` (the whole volume: origin (0, 0, 0), global = its shape).
public func fitMoments(_ labels: Volume, origin: (z: Int, y: Int, x: Int) = (0, 0, 0), global: Shape? = nil) throws -> FitMoments {
    let words = try labelWords(labels, operation: "fit")
    defer { withExtendedLifetime(words) {} }
    let lp = UnsafePointer(words.pointer)
    let g = global ?? labels.shape
    let nz = labels.shape.z, ny = labels.shape.y, nx = labels.shape.x, plane = ny * nx
    let slots = try LabelSlots(lp, shape: labels.shape, box: Box(labels.shape))
    let L = slots.ids.count
    let workers = max(1, min(Threads.count, nz))
    guard let mbytes = MemoryBudget.bytes([L, momentCount + 1, workers], elementSize: 8) else {
        throw MemoryLimitError(requested: Int.max, limit: MemoryBudget.limit, what: "fit accumulators")
    }
    try MemoryBudget.check(mbytes, what: "fit accumulators")
    var moments = [[Double]](repeating: [], count: workers)
    var borders = [[UInt8]](repeating: [], count: workers)
    moments.withUnsafeMutableBufferPointer { mb in
    borders.withUnsafeMutableBufferPointer { bb in
        parallelChunks(nz, threads: workers) { w, zr in
            var acc = [Double](repeating: 0, count: L * momentCount)
            var bor = [UInt8](repeating: 0, count: L)
            for z in zr {
                if Cancellation.isCancelled { break }
                let gz = z + origin.z
                let zEdge = g.z > 1 && (gz == 0 || gz == g.z - 1)
                for y in 0..<ny {
                    let row = lp + z * plane + y * nx
                    let gy = y + origin.y
                    let yEdge = gy == 0 || gy == g.y - 1
                    forEachLabelRun(row, nx) { l, x0, end in
                        let gx0 = x0 + origin.x, gx1 = end - 1 + origin.x
                        let c = Double(gx1 - gx0 + 1)
                        let sx1 = (Double(gx0) + Double(gx1)) * c / 2
                        let s0 = Double(gx0 - 1), s1 = Double(gx1)
                        let sxx = (s1 * (s1 + 1) * (2 * s1 + 1) - s0 * (s0 + 1) * (2 * s0 + 1)) / 6
                        let fy = Double(gy), fz = Double(gz)
                        let k = slots.slot(l), o = k * momentCount
                        acc[o] += c; acc[o + 1] += sx1; acc[o + 2] += fy * c; acc[o + 3] += fz * c
                        acc[o + 4] += sxx; acc[o + 5] += fy * fy * c; acc[o + 6] += fz * fz * c
                        acc[o + 7] += sx1 * fy; acc[o + 8] += sx1 * fz; acc[o + 9] += fy * fz * c
                        if zEdge || yEdge || gx0 == 0 || gx1 == g.x - 1 { bor[k] = 1 }
                    }
                }
            }
            mb[w] = acc; bb[w] = bor
        }
    }}
    try Cancellation.check()
    var out = FitMoments()
    out.ids = slots.ids
    out.sums = moments[0]
    out.border = borders[0]
    for w in 1..<workers {
        for i in 0..<out.sums.count { out.sums[i] += moments[w][i] }
        for i in 0..<L where borders[w][i] != 0 { out.border[i] = 1 }
    }
    return out
}

/// Pass 2 over the `core` of a block read with a halo of one voxel wherever the core does not
/// touch the volume's edge: `labels` holds the block and its halo, its voxel (0, 0, 0) sits at
/// `origin` in a volume of shape `global`, and `core` is given in `labels`' own coordinates.
public func fitSurfaces(_ labels: Volume, core: Box? = nil, origin: (z: Int, y: Int, x: Int) = (0, 0, 0),
                        global: Shape? = nil, frames: FitFrames) throws -> FitSurfaces {
    let sp = labels.spacing
    try requireFitSpacing(sp)
    let words = try labelWords(labels, operation: "fit")
    defer { withExtendedLifetime(words) {} }
    let lp = UnsafePointer(words.pointer)
    let g = global ?? labels.shape
    let box = core ?? Box(labels.shape)
    let ny = labels.shape.y, nx = labels.shape.x, plane = ny * nx
    // A face is exposed at the volume's edge or where the neighbour differs; the neighbour must
    // then be in `labels` (the halo), which holds as long as the halo is there.
    for (lo, hi, n, o, gn) in [(box.z.lowerBound, box.z.upperBound, labels.shape.z, origin.z, g.z),
                               (box.y.lowerBound, box.y.upperBound, ny, origin.y, g.y),
                               (box.x.lowerBound, box.x.upperBound, nx, origin.x, g.x)] {
        if (lo == 0 && o + lo > 0) || (hi == n && o + hi < gn) {
            throw VolumeError.invalidArgument(operation: "fit", "a block's surface pass needs a one-voxel halo inside the volume")
        }
    }
    let slots = try LabelSlots(lp, shape: labels.shape, box: box)
    let L = slots.ids.count
    // Each slot's frame (centroid and axis); objects unknown to the frames get none and are skipped.
    var frameOf = [Int](repeating: -1, count: L)
    for (k, l) in slots.ids.enumerated() { frameOf[k] = frames.index(of: l) ?? -1 }
    let workers = max(1, min(Threads.count, box.z.count))
    var surfaces = [[Double]](repeating: [], count: workers)
    let faceArea = [sp.y * sp.z, sp.x * sp.z, sp.x * sp.y]   // faces normal to x, y, z
    let sx = sp.x, sy = sp.y, sz = sp.z
    let centre = frames.centre, axes = frames.axes
    try Cancellation.check()
    surfaces.withUnsafeMutableBufferPointer { sb in
        parallelChunks(box.z.count, threads: workers) { w, zr in
            var acc = [Double](repeating: 0, count: L * surfaceCount)
            for zi in zr {
                if Cancellation.isCancelled { break }
                let z = box.z.lowerBound + zi, gz = z + origin.z
                for y in box.y {
                    let base = z * plane + y * nx, gy = y + origin.y
                    for x in box.x {
                        let l = lp[base + x]
                        if l == 0 { continue }
                        let k = slots.slot(l), f = frameOf[k]
                        if f < 0 { continue }
                        let gx = x + origin.x
                        @inline(__always) func face(_ dim: Int, _ sign: Double) {
                            var d0 = Double(gx) * sx - centre[f * 3], d1 = Double(gy) * sy - centre[f * 3 + 1]
                            var d2 = Double(gz) * sz - centre[f * 3 + 2]
                            if dim == 0 { d0 += sign * sx / 2 } else if dim == 1 { d1 += sign * sy / 2 } else { d2 += sign * sz / 2 }
                            let t = d0 * axes[f * 3] + d1 * axes[f * 3 + 1] + d2 * axes[f * 3 + 2]
                            let X2 = t * t, R2 = max(0, d0 * d0 + d1 * d1 + d2 * d2 - X2)
                            let wgt = faceArea[dim], o = k * surfaceCount
                            acc[o] += wgt; acc[o + 1] += wgt * X2 * X2; acc[o + 2] += wgt * X2 * R2
                            acc[o + 3] += wgt * R2 * R2; acc[o + 4] += wgt * X2; acc[o + 5] += wgt * R2
                        }
                        if gx == 0 || lp[base + x - 1] != l { face(0, -1) }
                        if gx == g.x - 1 || lp[base + x + 1] != l { face(0, 1) }
                        if gy == 0 || lp[base + x - nx] != l { face(1, -1) }
                        if gy == g.y - 1 || lp[base + x + nx] != l { face(1, 1) }
                        if gz == 0 || lp[base + x - plane] != l { face(2, -1) }
                        if gz == g.z - 1 || lp[base + x + plane] != l { face(2, 1) }
                    }
                }
            }
            sb[w] = acc
        }
    }
    try Cancellation.check()
    var out = FitSurfaces()
    out.ids = slots.ids
    out.sums = surfaces[0]
    for w in 1..<workers { for i in 0..<out.sums.count { out.sums[i] += surfaces[w][i] } }
    return out
}

/// The fit table from the summed passes (see `fit`).
public func fitTable(moments mom: FitMoments, frames: FitFrames, surfaces: FitSurfaces, spacing sp: Spacing,
                     axis: (x: Double, y: Double, z: Double) = (1, 0, 0), excludeBorder: Bool = false) throws -> Table {
    let ax = try unitAxis(axis)
    var cols = [[Double]](repeating: [], count: 11)
    let voxelUm3 = sp.x * sp.y * sp.z / 1e9
    var surfaceIndex: [UInt32: Int] = [:]
    for (k, l) in surfaces.ids.enumerated() { surfaceIndex[l] = k }
    for (k, l) in mom.ids.enumerated() {
        let c = mom.sums[k * momentCount]
        if c == 0 || l == 0 { continue }
        if excludeBorder && mom.border[k] != 0 { continue }
        var a = 0.0, b = 0.0
        if let si = surfaceIndex[l] {
            let o = si * surfaceCount
            let s = surfaces.sums
            let s40 = s[o + 1], s22 = s[o + 2], s04 = s[o + 3], s20 = s[o + 4], s02 = s[o + 5]
            let det = s40 * s04 - s22 * s22
            if det > 1e-12 * s40 * s04 {
                let A = (s20 * s04 - s02 * s22) / det, B = (s40 * s02 - s22 * s20) / det
                if A > 0 && B > 0 { a = 1 / A.squareRoot(); b = 1 / B.squareRoot() }
            }
        }
        if a == 0 {
            a = (5 * frames.lambda[k * 3]).squareRoot()
            b = (5 * (frames.lambda[k * 3 + 1] + frames.lambda[k * 3 + 2]) / 2).squareRoot()
        }
        let ecc = b >= a ? 0 : (1 - (b / a) * (b / a)).squareRoot()
        let dot = abs(frames.axes[k * 3] * ax[0] + frames.axes[k * 3 + 1] * ax[1] + frames.axes[k * 3 + 2] * ax[2])
        let angle = acos(min(1, dot)) * 180 / Double.pi
        let row = [Double(l), c, c * voxelUm3, frames.centre[k * 3] / 1000, frames.centre[k * 3 + 1] / 1000,
                   frames.centre[k * 3 + 2] / 1000, a / 1000, b / 1000, ecc, angle, Double(mom.border[k])]
        for j in 0..<11 { cols[j].append(row[j]) }
    }
    let names = ["id", "voxels", "volume_um3", "cx_um", "cy_um", "cz_um", "a_um", "b_um", "eccentricity", "angle_deg", "border"]
    return Table(zip(names, cols).map { ($0.0, Column.number($0.1)) })
}

private func unitAxis(_ axis: (x: Double, y: Double, z: Double)) throws -> [Double] {
    let an = (axis.x * axis.x + axis.y * axis.y + axis.z * axis.z).squareRoot()
    guard an > 0, an.isFinite else { throw VolumeError.invalidArgument(operation: "fit", "the axis must be a non-zero vector") }
    return [axis.x / an, axis.y / an, axis.z / an]
}

/// Fits a prolate spheroid to every object of a label map (see the notes above) and returns the
/// table `id, voxels, volume_um3, cx_um, cy_um, cz_um, a_um, b_um, eccentricity, angle_deg, border`,
/// one row per object present, by id. `axis` is the reference direction (x, y, z) for the angle
/// (the myofibrils); `excludeBorder` drops the objects touching the volume's edge.
/// The same three passes (`fitMoments`, `FitFrames`, `fitSurfaces`) run block by block on volumes
/// larger than memory.
public func fit(_ labels: Volume, axis: (x: Double, y: Double, z: Double) = (1, 0, 0),
                excludeBorder: Bool = false) throws -> Table {
    _ = try unitAxis(axis)
    try requireFitSpacing(labels.spacing)
    let moments = try fitMoments(labels)
    let frames = FitFrames(moments, spacing: labels.spacing)
    let surfaces = try fitSurfaces(labels, frames: frames)
    return try fitTable(moments: moments, frames: frames, surfaces: surfaces, spacing: labels.spacing,
                        axis: axis, excludeBorder: excludeBorder)
}
