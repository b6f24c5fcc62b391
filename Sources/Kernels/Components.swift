/// The foreground runs of one slice: run k of row y is x0[k]...x1[k] (inclusive) for
/// k in rowStart[y]..<rowStart[y+1].
private final class SliceRuns: @unchecked Sendable {
    var x0: [Int32] = []
    var x1: [Int32] = []
    var rowStart: [Int32] = []
}

/// Extracts the foreground runs of slice z of a u8 volume (non-zero = foreground).
private func extractRuns(_ p: UnsafePointer<UInt8>, z: Int, ny: Int, nx: Int, into r: SliceRuns) {
    r.x0.removeAll(keepingCapacity: true)
    r.x1.removeAll(keepingCapacity: true)
    r.rowStart = [Int32](repeating: 0, count: ny + 1)
    for y in 0..<ny {
        r.rowStart[y] = Int32(r.x0.count)
        let row = p + (z * ny + y) * nx
        let raw = UnsafeRawPointer(row)
        var x = 0
        while x < nx {
            while x + 8 <= nx && raw.loadUnaligned(fromByteOffset: x, as: UInt64.self) == 0 { x &+= 8 }
            while x < nx && row[x] == 0 { x &+= 1 }
            if x >= nx { break }
            let s = x
            while x < nx && row[x] != 0 { x &+= 1 }
            r.x0.append(Int32(s))
            r.x1.append(Int32(x - 1))
        }
    }
    r.rowStart[ny] = Int32(r.x0.count)
}

/// Union-find over run ids; the root of a set is always its smallest id (= first in scan order).
private struct RunForest {
    let parent: UnsafeMutablePointer<UInt32>

    @inline(__always) func find(_ a: UInt32) -> UInt32 {
        var x = a
        while parent[Int(x)] != x {
            let g = parent[Int(parent[Int(x)])]
            parent[Int(x)] = g          // path halving
            x = g
        }
        return x
    }

    @inline(__always) func union(_ a: UInt32, _ b: UInt32) {
        let ra = find(a), rb = find(b)
        if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
    }

    /// Links the overlapping runs of two rows; `d` = 1 also links runs that touch diagonally in x.
    @inline(__always)
    func link(_ a: SliceRuns, _ aBase: Int, _ ay: Int, _ b: SliceRuns, _ bBase: Int, _ by: Int, _ d: Int32) {
        var i = Int(a.rowStart[ay]), j = Int(b.rowStart[by])
        let ie = Int(a.rowStart[ay + 1]), je = Int(b.rowStart[by + 1])
        while i < ie && j < je {
            let a0 = a.x0[i], a1 = a.x1[i], b0 = b.x0[j], b1 = b.x1[j]
            if a0 <= b1 + d && b0 <= a1 + d { union(UInt32(aBase + i), UInt32(bBase + j)) }
            if a1 < b1 { i &+= 1 } else { j &+= 1 }
        }
    }
}

/// Which neighbours touch in 3D: faces (6), and edges (18), and corners (26).
public enum Connectivity: Int, Sendable, CaseIterable {
    case faces = 6, edges = 18, corners = 26
}

/// Connected components of the non-zero voxels of `mask` (any voxel type; f32 counts as
/// foreground where > 0.5). `connectivity` is 6 (faces), 18 (faces and edges) or 26 (faces,
/// edges and corners) in 3D; with `twoD` every slice is labelled on its own with 4- (for 6) or
/// 8-connectivity (for 18 and 26) and the ids stay unique across slices.
/// Returns u32 labels (kind `.labels`, the input's spacing) numbered 1, 2, ... in scan order
/// (z, then y, then x, of each object's first voxel), and the number of objects.
/// Run-length union-find: O(voxels), parallel over slices.
public func components(_ mask: Volume, connectivity: Int, twoD: Bool = false) throws -> (labels: Volume, count: Int) {
    guard [6, 18, 26].contains(connectivity) else {
        throw VolumeError.invalidArgument(operation: "components", "connectivity must be 6, 18 or 26, not \(connectivity)")
    }
    let bytes = try foregroundBytes(mask, what: "components mask")
    defer { withExtendedLifetime(bytes) {} }
    let nz = mask.shape.z, ny = mask.shape.y, nx = mask.shape.x
    let out = try analysisBuffer(mask.count, UInt32.self, what: "component labels", zeroed: false)
    if mask.count == 0 { return (mask.with(storage: .u32(out), kind: .labels), 0) }
    let src = UnsafePointer(bytes.pointer)

    let slices = (0..<nz).map { _ in SliceRuns() }
    try parallelSlices(nz) { z in extractRuns(src, z: z, ny: ny, nx: nx, into: slices[z]) }
    var base = [Int](repeating: 0, count: nz + 1)
    for z in 0..<nz { base[z + 1] = base[z] + slices[z].x0.count }
    let total = base[nz]
    guard total < 0x8000_0000 else {
        throw VolumeError.invalidArgument(operation: "components", "too many foreground runs (\(total))")
    }
    let parent = try analysisBuffer(max(total, 1), UInt32.self, what: "component forest", zeroed: false)
    defer { withExtendedLifetime(parent) {} }
    let forest = RunForest(parent: parent.pointer)
    let inPlaneD: Int32 = connectivity == 6 ? 0 : 1

    // In-plane links: a slice's runs only ever point inside the slice here, so slices are independent.
    try parallelSlices(nz) { z in
        let r = slices[z], b = base[z]
        for k in 0..<r.x0.count { parent.pointer[b + k] = UInt32(b + k) }
        for y in 1..<max(ny, 1) { forest.link(r, b, y - 1, r, b, y, inPlaneD) }
    }
    // Links through z, sequential (they join sets across slices).
    if !twoD && nz > 1 {
        for z in 1..<nz {
            try Cancellation.check()
            let a = slices[z - 1], ab = base[z - 1], c = slices[z], cb = base[z]
            for y in 0..<ny {
                switch connectivity {
                case 6:
                    forest.link(a, ab, y, c, cb, y, 0)
                case 18:
                    forest.link(a, ab, y, c, cb, y, 1)
                    if y > 0 { forest.link(a, ab, y - 1, c, cb, y, 0) }
                    if y + 1 < ny { forest.link(a, ab, y + 1, c, cb, y, 0) }
                default:
                    forest.link(a, ab, y, c, cb, y, 1)
                    if y > 0 { forest.link(a, ab, y - 1, c, cb, y, 1) }
                    if y + 1 < ny { forest.link(a, ab, y + 1, c, cb, y, 1) }
                }
            }
        }
    }
    // Final ids in scan order: a root is the first run of its set.
    var next: UInt32 = 0
    let p = parent.pointer
    for r in 0..<total {
        let q = p[r]
        if q == UInt32(r) { next &+= 1; p[r] = next | 0x8000_0000 }
        else {
            // The root (smaller id) already holds its final id, tagged with the high bit;
            // a non-root's parent chain ends at the root.
            var x = q
            while p[Int(x)] & 0x8000_0000 == 0 { x = p[Int(x)] }
            p[r] = p[Int(x)]
        }
    }
    guard next < 0x8000_0000 else {
        throw VolumeError.invalidArgument(operation: "components", "too many objects (\(next))")
    }
    let o = out.pointer
    try parallelSlices(nz) { z in
        let r = slices[z], b = base[z]
        let s = o + z * ny * nx
        s.initialize(repeating: 0, count: ny * nx)
        for y in 0..<ny {
            let row = s + y * nx
            for k in Int(r.rowStart[y])..<Int(r.rowStart[y + 1]) {
                let id = p[b + k] & 0x7FFF_FFFF
                let x0 = Int(r.x0[k]), x1 = Int(r.x1[k])
                (row + x0).initialize(repeating: id, count: x1 - x0 + 1)
            }
        }
    }
    return (mask.with(storage: .u32(out), kind: .labels), Int(next))
}
