/// A triangle mesh of object surfaces: vertex positions in nm (x, y, z; the voxel spacing
/// applied, voxel centres at index × spacing), triangles as vertex index triples wound
/// counter-clockwise seen from outside (normals point out), and the object id of every triangle.
public struct Mesh: Sendable, Equatable {
    public var vertices: [Float] = []
    public var triangles: [UInt32] = []
    public var objectIds: [UInt32] = []
    public init() {}
    public var vertexCount: Int { vertices.count / 3 }
    public var triangleCount: Int { triangles.count / 3 }
}

/// The six tetrahedra of the Kuhn (Freudenthal) split of a cube along its 0–7 diagonal; cube
/// corner bits: 1 = +x, 2 = +y, 4 = +z. Neighbouring cubes split shared faces the same way,
/// so the surface is watertight.
private let kuhnTets: [Int] = [
    0, 1, 3, 7, 0, 1, 5, 7, 0, 2, 3, 7, 0, 2, 6, 7, 0, 4, 5, 7, 0, 4, 6, 7,
]

/// Surfaces of every object of a label map by marching tetrahedra on the object's indicator
/// (vertices at the midpoints of the lattice edges between inside and outside voxel centres).
/// Each object's surface is closed (every edge shared by exactly two of its triangles) — outside
/// the volume counts as background — and encloses about the object's voxel volume. Objects
/// are meshed in parallel and concatenated by id.
public func mesh(_ labels: Volume) throws -> Mesh {
    let objects = try objectBoxes(labels, operation: "mesh")
    let words = try labelWords(labels, operation: "mesh")
    defer { withExtendedLifetime(words) {} }
    let whole = Box(labels.shape)
    var parts = [Mesh](repeating: Mesh(), count: objects.ids.count)
    parts.withUnsafeMutableBufferPointer { pb in
        parallelFor(objects.ids.count) { k in
            if Cancellation.isCancelled { return }
            pb[k] = meshObject(UnsafePointer(words.pointer), crop: whole, id: objects.ids[k], box: objects.boxes[k],
                               spacing: labels.spacing)
        }
    }
    try Cancellation.check()
    var out = Mesh()
    for m in parts { out.append(m) }
    return out
}

/// The surface of object `id`, whose voxels all lie in `box`, from `crop`: the labels of a box
/// of the volume that contains `box` (a block-wise run reads just the object's box). Vertex
/// positions are in the volume's coordinates, so the surface is the same bytes as `mesh` makes
/// from the whole volume.
public func meshObject(_ crop: Volume, cropBox: Box, id: UInt32, box: Box) throws -> Mesh {
    guard crop.shape == cropBox.shape else { throw VolumeError.shapeMismatch(operation: "mesh", crop.shape, cropBox.shape) }
    let words = try labelWords(crop, operation: "mesh")
    defer { withExtendedLifetime(words) {} }
    let m = meshObject(UnsafePointer(words.pointer), crop: cropBox, id: id, box: box, spacing: crop.spacing)
    try Cancellation.check()
    return m
}

extension Mesh {
    /// Appends `other`, its vertex indices shifted past this mesh's vertices.
    public mutating func append(_ other: Mesh) {
        let base = UInt32(vertexCount)
        vertices.append(contentsOf: other.vertices)
        triangles.append(contentsOf: other.triangles.map { $0 + base })
        objectIds.append(contentsOf: other.objectIds)
    }
}

/// `p` holds the labels of `crop` (a box of the volume, row-major); `box` bounds the object and
/// lies inside `crop`. Everything outside the crop counts as background.
private func meshObject(_ p: UnsafePointer<UInt32>, crop: Box, id: UInt32, box: Box, spacing: Spacing) -> Mesh {
    let sp = (Float(spacing.x), Float(spacing.y), Float(spacing.z))
    let (oz, oy, ox) = crop.origin
    let nz = crop.z.count, ny = crop.y.count, nx = crop.x.count
    let b = (z0: box.z.lowerBound, z1: box.z.upperBound - 1, y0: box.y.lowerBound, y1: box.y.upperBound - 1,
             x0: box.x.lowerBound, x1: box.x.upperBound - 1)
    var m = Mesh()
    var vertexOf: [Int: UInt32] = [:]
    // Cube corners run in volume coordinates; the edge keys use the crop's, extended by one
    // (+1 so that −1 is valid: the object's box lies inside the crop).
    let ey = ny + 2, ex = nx + 2
    @inline(__always) func inside(_ z: Int, _ y: Int, _ x: Int) -> Bool {
        let z = z - oz, y = y - oy, x = x - ox
        return z >= 0 && y >= 0 && x >= 0 && z < nz && y < ny && x < nx && p[(z * ny + y) * nx + x] == id
    }
    @inline(__always) func vertex(_ cz: Int, _ cy: Int, _ cx: Int, _ c1: Int, _ c2: Int) -> UInt32 {
        let lo = c1 & c2   // Kuhn edges join a corner to one whose bits contain it
        let z = cz + (lo >> 2 & 1), y = cy + (lo >> 1 & 1), x = cx + (lo & 1)
        let key = (((z - oz + 1) * ey + (y - oy + 1)) * ex + (x - ox + 1)) * 8 + (c1 ^ c2)
        if let v = vertexOf[key] { return v }
        let hz = cz + (c2 >> 2 & 1), hy = cy + (c2 >> 1 & 1), hx = cx + (c2 & 1)
        let gz = cz + (c1 >> 2 & 1), gy = cy + (c1 >> 1 & 1), gx = cx + (c1 & 1)
        let v = UInt32(m.vertexCount)
        m.vertices.append(Float(gx + hx) * 0.5 * sp.0)
        m.vertices.append(Float(gy + hy) * 0.5 * sp.1)
        m.vertices.append(Float(gz + hz) * 0.5 * sp.2)
        vertexOf[key] = v
        return v
    }
    func position(_ v: UInt32) -> (Float, Float, Float) {
        let i = Int(v) * 3
        return (m.vertices[i], m.vertices[i + 1], m.vertices[i + 2])
    }
    /// Appends triangle (a, b, c), flipped if needed so its normal points along `out`.
    func triangle(_ a: UInt32, _ b: UInt32, _ c: UInt32, out: (Float, Float, Float)) {
        let pa = position(a), pb = position(b), pc = position(c)
        let u = (pb.0 - pa.0, pb.1 - pa.1, pb.2 - pa.2), w = (pc.0 - pa.0, pc.1 - pa.1, pc.2 - pa.2)
        let n = (u.1 * w.2 - u.2 * w.1, u.2 * w.0 - u.0 * w.2, u.0 * w.1 - u.1 * w.0)
        let flip = n.0 * out.0 + n.1 * out.1 + n.2 * out.2 < 0
        m.triangles.append(a)
        m.triangles.append(flip ? c : b)
        m.triangles.append(flip ? b : c)
        m.objectIds.append(id)
    }
    var corner = [Bool](repeating: false, count: 8)
    var ins = [Int](repeating: 0, count: 4), outs = [Int](repeating: 0, count: 4)
    var nIn = 0, nOut = 0
    for cz in (b.z0 - 1)...b.z1 {
        if Cancellation.isCancelled { break }
        for cy in (b.y0 - 1)...b.y1 {
            for cx in (b.x0 - 1)...b.x1 {
                var any = false, all = true
                for c in 0..<8 {
                    let v = inside(cz + (c >> 2 & 1), cy + (c >> 1 & 1), cx + (c & 1))
                    corner[c] = v; any = any || v; all = all && v
                }
                if !any || all { continue }
                for t in 0..<6 {
                    nIn = 0; nOut = 0
                    for k in 0..<4 {
                        let c = kuhnTets[4 * t + k]
                        if corner[c] { ins[nIn] = c; nIn += 1 } else { outs[nOut] = c; nOut += 1 }
                    }
                    if nIn == 0 || nOut == 0 { continue }
                    // Direction from the inside corners' centroid to the outside corners'.
                    var ci: (Float, Float, Float) = (0, 0, 0), co: (Float, Float, Float) = (0, 0, 0)
                    for k in 0..<nIn {
                        let c = ins[k]
                        ci.0 += Float(c & 1); ci.1 += Float(c >> 1 & 1); ci.2 += Float(c >> 2 & 1)
                    }
                    for k in 0..<nOut {
                        let c = outs[k]
                        co.0 += Float(c & 1); co.1 += Float(c >> 1 & 1); co.2 += Float(c >> 2 & 1)
                    }
                    let fi = 1 / Float(nIn), fo = 1 / Float(nOut)
                    let dir = ((co.0 * fo - ci.0 * fi) * sp.0, (co.1 * fo - ci.1 * fi) * sp.1, (co.2 * fo - ci.2 * fi) * sp.2)
                    @inline(__always) func edge(_ a: Int, _ b: Int) -> UInt32 {
                        a < b ? vertex(cz, cy, cx, a, b) : vertex(cz, cy, cx, b, a)
                    }
                    if nIn == 1 || nOut == 1 {
                        let lone = nIn == 1 ? ins[0] : outs[0]
                        let o0 = nIn == 1 ? outs[0] : ins[0], o1 = nIn == 1 ? outs[1] : ins[1], o2 = nIn == 1 ? outs[2] : ins[2]
                        triangle(edge(lone, o0), edge(lone, o1), edge(lone, o2), out: dir)
                    } else {
                        let (i0, i1, o0, o1) = (ins[0], ins[1], outs[0], outs[1])
                        let a = edge(i0, o0), bb = edge(i0, o1), c = edge(i1, o1), d = edge(i1, o0)
                        triangle(a, bb, c, out: dir)
                        triangle(a, c, d, out: dir)
                    }
                }
            }
        }
    }
    return m
}

/// The volume enclosed by a closed, outward-oriented mesh (divergence theorem), in the cube of
/// the vertex unit; triangles of the given object only when `object` is set.
public func enclosedVolume(_ m: Mesh, object: UInt32? = nil) -> Double {
    var v = 0.0
    for t in 0..<m.triangleCount {
        if let o = object, m.objectIds[t] != o { continue }
        let a = Int(m.triangles[3 * t]) * 3, b = Int(m.triangles[3 * t + 1]) * 3, c = Int(m.triangles[3 * t + 2]) * 3
        let p = (Double(m.vertices[a]), Double(m.vertices[a + 1]), Double(m.vertices[a + 2]))
        let q = (Double(m.vertices[b]), Double(m.vertices[b + 1]), Double(m.vertices[b + 2]))
        let r = (Double(m.vertices[c]), Double(m.vertices[c + 1]), Double(m.vertices[c + 2]))
        v += p.0 * (q.1 * r.2 - q.2 * r.1) - p.1 * (q.0 * r.2 - q.2 * r.0) + p.2 * (q.0 * r.1 - q.1 * r.0)
    }
    return v / 6
}
