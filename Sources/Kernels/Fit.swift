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

/// The largest label of a u32 buffer (parallel).
private func maxLabel(_ p: UnsafePointer<UInt32>, _ n: Int) -> Int {
    let workers = max(1, min(Threads.count, n))
    var m = [UInt32](repeating: 0, count: workers)
    m.withUnsafeMutableBufferPointer { mb in
        parallelChunks(n, threads: workers) { w, r in
            var v: UInt32 = 0
            for i in r where p[i] > v { v = p[i] }
            mb[w] = v
        }
    }
    return Int(m.max() ?? 0)
}

/// Fits a prolate spheroid to every object of a label map (see the notes above) and returns the
/// table `id, voxels, volume_um3, cx_um, cy_um, cz_um, a_um, b_um, eccentricity, angle_deg, border`,
/// one row per object present, by id. `axis` is the reference direction (x, y, z) for the angle
/// (the myofibrils); `excludeBorder` drops the objects touching the volume's edge.
public func fit(_ labels: Volume, axis: (x: Double, y: Double, z: Double) = (1, 0, 0),
                excludeBorder: Bool = false) throws -> Table {
    let op = "fit"
    let an = (axis.x * axis.x + axis.y * axis.y + axis.z * axis.z).squareRoot()
    guard an > 0, an.isFinite else { throw AnalysisError.invalidArgument(operation: op, "the axis must be a non-zero vector") }
    let ax = [axis.x / an, axis.y / an, axis.z / an]
    let sp = labels.spacing
    guard sp.x > 0, sp.y > 0, sp.z > 0 else { throw AnalysisError.invalidArgument(operation: op, "the voxel spacing must be positive") }
    let words = try labelWords(labels, operation: op)
    defer { withExtendedLifetime(words) {} }
    let lp = UnsafePointer(words.pointer)
    let nz = labels.shape.z, ny = labels.shape.y, nx = labels.shape.x, plane = ny * nx
    let n = labels.count
    let L = maxLabel(lp, n) + 1
    // The accumulators are indexed by id: ids far larger than the number of objects (4294967295 from
    // another program) are first renumbered 1…K, and the table gets the original ids back.
    if L > 1 << 20 {
        var present = Set<UInt32>()
        for z in 0..<nz { for y in 0..<ny { forEachLabelRun(lp + z * plane + y * nx, nx) { l, _, _ in present.insert(l) } } }
        if present.count + 1 < L / 2 {
            let ids = present.sorted()
            let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, UInt32($0 + 1)) })
            let dense = try analysisBuffer(n, UInt32.self, what: "fit renumbering", zeroed: false)
            for i in 0..<n { dense.pointer[i] = lp[i] == 0 ? 0 : index[lp[i]] ?? 0 }
            let t = try fit(labels.with(storage: .u32(dense), kind: .labels), axis: axis, excludeBorder: excludeBorder)
            guard let rows = t.numbers("id") else { return t }
            var out = Table()
            for (name, column) in zip(t.names, t.columns) {
                out.append(name, name == "id" ? .number(rows.map { Double(ids[Int($0) - 1]) }) : column)
            }
            return out
        }
    }
    let workers = max(1, min(Threads.count, nz))
    guard let mbytes = MemoryBudget.bytes([L, momentCount + surfaceCount, workers], elementSize: 8) else {
        throw MemoryLimitError(requested: Int.max, limit: MemoryBudget.limit, what: "fit accumulators")
    }
    try MemoryBudget.check(mbytes, what: "fit accumulators")

    // Pass 1: moments by runs of equal labels, and the border flags.
    var moments = [[Double]](repeating: [], count: workers)
    var borders = [[UInt8]](repeating: [], count: workers)
    try Cancellation.check()
    moments.withUnsafeMutableBufferPointer { mb in
    borders.withUnsafeMutableBufferPointer { bb in
        parallelChunks(nz, threads: workers) { w, zr in
            var acc = [Double](repeating: 0, count: L * momentCount)
            var bor = [UInt8](repeating: 0, count: L)
            for z in zr {
                if Cancellation.isCancelled { break }
                let zEdge = nz > 1 && (z == 0 || z == nz - 1)
                for y in 0..<ny {
                    let row = lp + z * plane + y * nx
                    let yEdge = y == 0 || y == ny - 1
                    forEachLabelRun(row, nx) { l, x0, end in
                        let x1 = end - 1
                        let c = Double(x1 - x0 + 1)
                        let sx1 = (Double(x0) + Double(x1)) * c / 2
                        let s0 = Double(x0 - 1), s1 = Double(x1)
                        let sxx = (s1 * (s1 + 1) * (2 * s1 + 1) - s0 * (s0 + 1) * (2 * s0 + 1)) / 6
                        let fy = Double(y), fz = Double(z)
                        let o = Int(l) * momentCount
                        acc[o] += c; acc[o + 1] += sx1; acc[o + 2] += fy * c; acc[o + 3] += fz * c
                        acc[o + 4] += sxx; acc[o + 5] += fy * fy * c; acc[o + 6] += fz * fz * c
                        acc[o + 7] += sx1 * fy; acc[o + 8] += sx1 * fz; acc[o + 9] += fy * fz * c
                        if zEdge || yEdge || x0 == 0 || x1 == nx - 1 { bor[Int(l)] = 1 }
                    }
                }
            }
            mb[w] = acc; bb[w] = bor
        }
    }}
    try Cancellation.check()
    var mom = moments[0], border = borders[0]
    for w in 1..<workers {
        for i in 0..<mom.count { mom[i] += moments[w][i] }
        for i in 0..<L where borders[w][i] != 0 { border[i] = 1 }
    }
    moments = []

    // Per object: centroid (nm) and principal axis.
    var centre = [Double](repeating: 0, count: L * 3)
    var axes = [Double](repeating: 0, count: L * 3)
    var lambda = [Double](repeating: 0, count: L * 3)
    let s = [sp.x, sp.y, sp.z]
    for l in 1..<max(L, 1) {
        let o = l * momentCount, c = mom[o]
        if c == 0 { continue }
        let m = [mom[o + 1] / c, mom[o + 2] / c, mom[o + 3] / c]
        for k in 0..<3 { centre[l * 3 + k] = m[k] * s[k] }
        let cxx = (mom[o + 4] / c - m[0] * m[0]) * s[0] * s[0] + s[0] * s[0] / 12
        let cyy = (mom[o + 5] / c - m[1] * m[1]) * s[1] * s[1] + s[1] * s[1] / 12
        let czz = (mom[o + 6] / c - m[2] * m[2]) * s[2] * s[2] + s[2] * s[2] / 12
        let cxy = (mom[o + 7] / c - m[0] * m[1]) * s[0] * s[1]
        let cxz = (mom[o + 8] / c - m[0] * m[2]) * s[0] * s[2]
        let cyz = (mom[o + 9] / c - m[1] * m[2]) * s[1] * s[2]
        let (vals, vecs) = symmetricEigen3([[cxx, cxy, cxz], [cxy, cyy, cyz], [cxz, cyz, czz]])
        for k in 0..<3 { axes[l * 3 + k] = vecs[0][k]; lambda[l * 3 + k] = vals[k] }
    }

    // Pass 2: exposed faces in each object's frame.
    var surfaces = [[Double]](repeating: [], count: workers)
    let faceArea = [sp.y * sp.z, sp.x * sp.z, sp.x * sp.y]   // faces normal to x, y, z
    let sx = sp.x, sy = sp.y, sz = sp.z
    surfaces.withUnsafeMutableBufferPointer { sb in
        parallelChunks(nz, threads: workers) { w, zr in
            var acc = [Double](repeating: 0, count: L * surfaceCount)
            for z in zr {
                if Cancellation.isCancelled { break }
                for y in 0..<ny {
                    let base = z * plane + y * nx
                    for x in 0..<nx {
                        let l = lp[base + x]
                        if l == 0 { continue }
                        let li = Int(l)
                        @inline(__always) func face(_ dim: Int, _ sign: Double) {
                            var d0 = Double(x) * sx - centre[li * 3], d1 = Double(y) * sy - centre[li * 3 + 1]
                            var d2 = Double(z) * sz - centre[li * 3 + 2]
                            if dim == 0 { d0 += sign * sx / 2 } else if dim == 1 { d1 += sign * sy / 2 } else { d2 += sign * sz / 2 }
                            let t = d0 * axes[li * 3] + d1 * axes[li * 3 + 1] + d2 * axes[li * 3 + 2]
                            let X2 = t * t, R2 = max(0, d0 * d0 + d1 * d1 + d2 * d2 - X2)
                            let wgt = faceArea[dim], o = li * surfaceCount
                            acc[o] += wgt; acc[o + 1] += wgt * X2 * X2; acc[o + 2] += wgt * X2 * R2
                            acc[o + 3] += wgt * R2 * R2; acc[o + 4] += wgt * X2; acc[o + 5] += wgt * R2
                        }
                        if x == 0 || lp[base + x - 1] != l { face(0, -1) }
                        if x == nx - 1 || lp[base + x + 1] != l { face(0, 1) }
                        if y == 0 || lp[base + x - nx] != l { face(1, -1) }
                        if y == ny - 1 || lp[base + x + nx] != l { face(1, 1) }
                        if z == 0 || lp[base + x - plane] != l { face(2, -1) }
                        if z == nz - 1 || lp[base + x + plane] != l { face(2, 1) }
                    }
                }
            }
            sb[w] = acc
        }
    }
    try Cancellation.check()
    var surf = surfaces[0]
    for w in 1..<workers { for i in 0..<surf.count { surf[i] += surfaces[w][i] } }

    var cols = [[Double]](repeating: [], count: 11)
    let voxelUm3 = sp.x * sp.y * sp.z / 1e9
    for l in 1..<max(L, 1) {
        let c = mom[l * momentCount]
        if c == 0 { continue }
        if excludeBorder && border[l] != 0 { continue }
        let o = l * surfaceCount
        let s40 = surf[o + 1], s22 = surf[o + 2], s04 = surf[o + 3], s20 = surf[o + 4], s02 = surf[o + 5]
        let det = s40 * s04 - s22 * s22
        var a = 0.0, b = 0.0
        if det > 1e-12 * s40 * s04 {
            let A = (s20 * s04 - s02 * s22) / det, B = (s40 * s02 - s22 * s20) / det
            if A > 0 && B > 0 { a = 1 / A.squareRoot(); b = 1 / B.squareRoot() }
        }
        if a == 0 {
            a = (5 * lambda[l * 3]).squareRoot()
            b = (5 * (lambda[l * 3 + 1] + lambda[l * 3 + 2]) / 2).squareRoot()
        }
        let ecc = b >= a ? 0 : (1 - (b / a) * (b / a)).squareRoot()
        let dot = abs(axes[l * 3] * ax[0] + axes[l * 3 + 1] * ax[1] + axes[l * 3 + 2] * ax[2])
        let angle = acos(min(1, dot)) * 180 / Double.pi
        let row = [Double(l), c, c * voxelUm3, centre[l * 3] / 1000, centre[l * 3 + 1] / 1000, centre[l * 3 + 2] / 1000,
                   a / 1000, b / 1000, ecc, angle, Double(border[l])]
        for k in 0..<11 { cols[k].append(row[k]) }
    }
    let names = ["id", "voxels", "volume_um3", "cx_um", "cy_um", "cz_um", "a_um", "b_um", "eccentricity", "angle_deg", "border"]
    return Table(zip(names, cols).map { ($0.0, Column.number($0.1)) })
}
