import Synchronization

// Splitting a mask of touching organelles into instances (the thesis's "split").
//
// contour method: rough = mask ∧ ¬contour; rough is blurred per slice with a Gaussian of `sigma`
//   (x voxels, `blur --2d`); the cores are the mask voxels whose blurred value is ≥ 0.999
//   (`coreLevel`), i.e. that stay fully inside rough over the blur's reach (about 3σ).
//   The cores are labelled (4-connected per slice with `twoD`, otherwise 6-connected in 3D,
//   so cores linked through z are one object); every core grows back inside the mask by a
//   priority flood on the mask's distance transform (deepest voxels first); a voxel reached by
//   two different cores at once stays background (a separating line).
// distance method: seeds are the maxima of the mask's distance transform whose dynamic (height
//   above the saddle towards a higher maximum) is at least `h` nm (the h-maxima, 8-/26-connected),
//   so plateaus and ridges don't over-split; the same flood grows them.
// Both: a mask component that received no seed keeps one label of its own; the labels are
// renumbered in scan order at the end.

/// How `split` finds its seeds.
public enum SplitMethod: String, Sendable, CaseIterable {
    case contour, distance
}

/// Priority flood inside one block of `nzb` slices (1 for a per-slice flood), on `prio` = the
/// squared distance (quantised linearly in the distance to 2048 levels): labels holds the
/// seeds (non-zero) on entry and the grown labels on exit; the voxels where two labels meet
/// stay 0. Higher priority floods first; equal priorities in FIFO order. 6-/4-connected.
private func priorityFlood(fg: UnsafePointer<UInt8>, prio: UnsafePointer<Float>, labels: UnsafeMutablePointer<UInt32>,
                           nzb: Int, ny: Int, nx: Int, maxPrio: Float? = nil) {
    let n = nzb * ny * nx
    var maxP: Float = 0
    if let mp = maxPrio { maxP = mp } else {
        for i in 0..<n where fg[i] != 0 && prio[i] != .infinity && prio[i] > maxP { maxP = prio[i] }
    }
    let levels = 2048
    let scale = maxP > 0 ? Float(levels - 1) / maxP.squareRoot() : 0
    // Hierarchical FIFO queue: one linked list per level through `next`.
    let next = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
    let state = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 1))   // 0 new, 1 queued, 2 done
    let head = UnsafeMutablePointer<Int32>.allocate(capacity: levels)
    let tail = UnsafeMutablePointer<Int32>.allocate(capacity: levels)
    defer { next.deallocate(); state.deallocate(); head.deallocate(); tail.deallocate() }
    state.initialize(repeating: 0, count: max(n, 1))
    head.initialize(repeating: -1, count: levels)
    tail.initialize(repeating: -1, count: levels)
    var top = -1
    @inline(__always) func push(_ j: Int, _ cap: Int) {
        let p = prio[j]
        var l = p == .infinity ? levels - 1 : min(levels - 1, Int(p.squareRoot() * scale))
        if cap >= 0 && l > cap { l = cap }
        state[j] = 1
        next[j] = -1
        if tail[l] < 0 { head[l] = Int32(j) } else { next[Int(tail[l])] = Int32(j) }
        tail[l] = Int32(j)
        if l > top { top = l }
    }
    for i in 0..<n where labels[i] != 0 {
        if fg[i] == 0 { labels[i] = 0; continue }
        state[i] = 2
    }
    if Cancellation.isCancelled { return }   // the caller's analysisSlices throws
    for i in 0..<n where state[i] == 2 {
        forEachFaceNeighbour(i, nz: nzb, ny: ny, nx: nx) { j in
            if fg[j] != 0 && state[j] == 0 { push(j, -1) }
        }
    }
    var cur = top
    var popped = 0
    while cur >= 0 {
        let h = head[cur]
        if h < 0 { cur -= 1; continue }
        popped &+= 1
        if popped & 0xFFFF == 0 && Cancellation.isCancelled { return }   // the caller's analysisSlices throws
        let i = Int(h)
        head[cur] = next[i]
        if head[cur] < 0 { tail[cur] = -1 }
        var lab: UInt32 = 0
        var line = false
        forEachFaceNeighbour(i, nz: nzb, ny: ny, nx: nx) { j in
            if state[j] == 2 {
                let l = labels[j]
                if l != 0 { if lab == 0 { lab = l } else if l != lab { line = true } }
            }
        }
        state[i] = 2
        if line || lab == 0 { labels[i] = 0; continue }
        labels[i] = lab
        let c = cur
        forEachFaceNeighbour(i, nz: nzb, ny: ny, nx: nx) { j in
            if fg[j] != 0 && state[j] == 0 { push(j, c) }
        }
    }
}

/// Calls `body(j)` for each face neighbour j (6-connected) of voxel `i` inside an nz×ny×nx block.
@inline(__always) private func forEachFaceNeighbour(_ i: Int, nz: Int, ny: Int, nx: Int, _ body: (Int) -> Void) {
    let plane = ny * nx
    let z = i / plane, r = i - z * plane, y = r / nx, x = r - y * nx
    if x > 0 { body(i - 1) }
    if x + 1 < nx { body(i + 1) }
    if y > 0 { body(i - nx) }
    if y + 1 < ny { body(i + nx) }
    if z > 0 { body(i - plane) }
    if z + 1 < nz { body(i + plane) }
}

/// Seeds at the h-maxima of `f` inside the foreground of one block (8-connected per slice when
/// nzb = 1, 26-connected otherwise): one seed voxel per maximum whose dynamic is ≥ h, labelled
/// 1, 2, ... in `labels` (which must be zero on entry). Returns the number of seeds.
private func hMaximaSeeds(fg: UnsafePointer<UInt8>, f: UnsafePointer<Float>, labels: UnsafeMutablePointer<UInt32>,
                          nzb: Int, ny: Int, nx: Int, h: Double) -> Int {
    let n = nzb * ny * nx, plane = ny * nx
    var idx = [Int32](), keys = [UInt32]()
    for i in 0..<n where fg[i] != 0 {
        idx.append(Int32(i))
        keys.append(~f[i].bitPattern)      // f ≥ 0: descending f = ascending ~bits
    }
    let m = idx.count
    if m == 0 || Cancellation.isCancelled { return 0 }   // the caller's analysisSlices throws
    // Stable LSD radix sort on the 32-bit keys, 2 × 16 bits (ties keep scan order); a plain
    // sort of (key, index) pairs for small objects.
    var idx2 = [Int32](repeating: 0, count: m < 8192 ? 0 : m), keys2 = [UInt32](repeating: 0, count: m < 8192 ? 0 : m)
    if m < 8192 {
        var pk = [UInt64](repeating: 0, count: m)
        for r in 0..<m { pk[r] = UInt64(keys[r]) << 32 | UInt64(UInt32(bitPattern: idx[r])) }
        pk.sort()
        for r in 0..<m { idx[r] = Int32(truncatingIfNeeded: pk[r] & 0xFFFF_FFFF); keys[r] = UInt32(truncatingIfNeeded: pk[r] >> 32) }
    }
    for shift in (m < 8192 ? [] : [0, 16]) {
        if Cancellation.isCancelled { return 0 }
        var count = [Int](repeating: 0, count: 65537)
        for k in keys { count[Int((k >> UInt32(shift)) & 0xFFFF) + 1] &+= 1 }
        for b in 0..<65536 { count[b + 1] &+= count[b] }
        for r in 0..<m {
            let b = Int((keys[r] >> UInt32(shift)) & 0xFFFF)
            let d = count[b]; count[b] = d + 1
            idx2[d] = idx[r]; keys2[d] = keys[r]
        }
        swap(&idx, &idx2); swap(&keys, &keys2)
    }
    // rank[voxel] = position in the sorted order once processed, −1 before.
    let rank = UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1))
    let parent = UnsafeMutablePointer<Int32>.allocate(capacity: m)
    let seed = UnsafeMutablePointer<Bool>.allocate(capacity: m)
    defer { rank.deallocate(); parent.deallocate(); seed.deallocate() }
    rank.initialize(repeating: -1, count: max(n, 1))
    seed.initialize(repeating: false, count: m)
    @inline(__always) func find(_ a: Int32) -> Int32 {
        var x = a
        while parent[Int(x)] != x { let g = parent[Int(parent[Int(x)])]; parent[Int(x)] = g; x = g }
        return x
    }
    let dzr = nzb > 1 ? -1...1 : 0...0
    idx.withUnsafeBufferPointer { ib in
        for r in 0..<m {
            if r & 0xFFFF == 0 && Cancellation.isCancelled { break }   // the caller's analysisSlices throws
            let i = Int(ib[r])
            parent[r] = Int32(r)
            rank[i] = Int32(r)
            let fv = Double(f[i])
            let z = i / plane, rr = i - z * plane, y = rr / nx, x = rr - y * nx
            for dz in dzr {
                let zz = z + dz
                if zz < 0 || zz >= nzb { continue }
                for dy in -1...1 {
                    let yy = y + dy
                    if yy < 0 || yy >= ny { continue }
                    for dx in -1...1 {
                        let xx = x + dx
                        if xx < 0 || xx >= nx || (dz == 0 && dy == 0 && dx == 0) { continue }
                        let j = (zz * ny + yy) * nx + xx
                        if fg[j] == 0 { continue }
                        let q = rank[j]
                        if q < 0 { continue }
                        let a = find(Int32(r)), b = find(q)
                        if a == b { continue }
                        // The root with the larger rank has the lower peak: it dies here.
                        let (hi, lo) = a < b ? (a, b) : (b, a)
                        let peakLo = Double(f[Int(ib[Int(lo)])])
                        if peakLo - fv >= h || peakLo == .infinity { seed[Int(lo)] = true }
                        parent[Int(lo)] = hi
                    }
                }
            }
        }
    }
    var count = 0
    for r in 0..<m where seed[r] || parent[r] == Int32(r) {
        count += 1
        labels[Int(idx[r])] = UInt32(count)
    }
    return count
}

/// Splits the mask (non-zero voxels) of touching objects into labelled instances; see the notes
/// at the top of this file for both methods. `sigma` (x voxels) is the contour method's blur;
/// `h` (nm) the distance method's minimum dynamic, default 2 × the in-plane spacing;
/// `contour` (non-zero, f32 > 0.5) is subtracted before the blur (without it the cores are
/// those of the mask itself). With `twoD` every slice is split on its own (ids unique across
/// slices). Returns u32 labels numbered in scan order and their count.
public func split(_ mask: Volume, contour: Volume? = nil, method: SplitMethod = .contour, sigma: Double = 2,
                  h: Double? = nil, coreLevel: Double = 0.999, twoD: Bool = false) throws -> (labels: Volume, count: Int) {
    let op = "split"
    if let c = contour, c.shape != mask.shape { throw VolumeError.shapeMismatch(operation: op, mask.shape, c.shape) }
    let hh = try splitDynamic(h, sigma: sigma, spacing: mask.spacing)
    let shape = mask.shape, n = shape.count
    guard n < Int(Int32.max) else { throw VolumeError.invalidArgument(operation: op, "the volume is too large (at most 2³¹ − 1 voxels)") }
    if n == 0 { return (mask.with(storage: .u32(VoxelBuffer(zeroed: 0)), kind: .labels), 0) }
    let fgBuf = try foregroundBytes(mask, what: "split mask")
    defer { withExtendedLifetime(fgBuf) {} }
    let fg = UnsafePointer(fgBuf.pointer)
    let dist = try squaredDistance(fg, shape: shape, spacing: mask.spacing, twoD: twoD)   // squared: same order
    defer { withExtendedLifetime(dist) {} }
    let cores = method == .contour ? try contourCores(fg, of: mask, contour: contour, sigma: sigma, coreLevel: coreLevel) : nil
    defer { withExtendedLifetime(cores) {} }
    let labels = try analysisBuffer(n, UInt32.self, what: "split labels", zeroed: true)
    // Object by object (the mask's 26-/8-connected components never interact), in parallel.
    let count = try splitByObject(fgBuf: fgBuf, dist: UnsafePointer(dist.pointer), cores: cores.map { UnsafePointer($0.pointer) },
                                  out: labels.pointer, shape: shape, h: hh, twoD: twoD)
    return (mask.with(storage: .u32(labels), kind: .labels), count)
}

/// Checks split's settings and returns the distance method's dynamic h (nm): the given one, or
/// 2 × the in-plane spacing.
func splitDynamic(_ h: Double?, sigma: Double, spacing sp: Spacing) throws -> Double {
    let op = "split"
    guard sigma.isFinite, sigma >= 0 else { throw VolumeError.invalidArgument(operation: op, "sigma must be ≥ 0") }
    guard sp.x > 0, sp.y > 0, sp.z > 0 else { throw VolumeError.invalidArgument(operation: op, "the voxel spacing must be positive") }
    let hh = h ?? 2 * max(sp.x, sp.y)
    guard hh.isFinite, hh >= 0 else { throw VolumeError.invalidArgument(operation: op, "h must be ≥ 0") }
    return hh
}

/// The contour method's cores of a mask (`fg`, the foreground bytes of `mask`): rough = mask ∧
/// ¬contour, blurred per slice; the mask voxels where it stays ≥ `coreLevel`. The same for the
/// whole volume and for an object's crop (whose margin covers the blur's reach).
func contourCores(_ fg: UnsafePointer<UInt8>, of mask: Volume, contour: Volume?, sigma: Double, coreLevel: Double) throws -> VoxelBuffer<UInt8> {
    let op = "split", shape = mask.shape, n = shape.count, plane = shape.sliceCount
    if let c = contour, c.shape != shape { throw VolumeError.shapeMismatch(operation: op, shape, c.shape) }
    let rough = try analysisBuffer(n, Float.self, what: "split rough mask", zeroed: false)
    let contourBytes = try contour.map { try foregroundBytes($0, what: "split contour") }
    defer { withExtendedLifetime(contourBytes) {} }
    let cp = contourBytes?.pointer
    try parallelSlices(shape.z) { z in
        for i in (z * plane)..<((z + 1) * plane) {
            var inside = fg[i] != 0
            if inside, let c = cp, c[i] != 0 { inside = false }
            rough.pointer[i] = inside ? 1 : 0
        }
    }
    let blurred = try blur(mask.with(storage: .f32(rough), kind: .image), sigma: sigma, twoD: true)
    defer { withExtendedLifetime(blurred) {} }
    guard let bp = blurred.f32?.pointer else { throw VolumeError.unsupportedType(operation: op, blurred.type) }
    let cores = try analysisBuffer(n, UInt8.self, what: "split cores", zeroed: false)
    let level = Float(coreLevel)
    try parallelSlices(shape.z) { z in
        for i in (z * plane)..<((z + 1) * plane) { cores.pointer[i] = fg[i] != 0 && bp[i] >= level ? 1 : 0 }
    }
    return cores
}

/// Splits one object inside its bounding box (nz×ny×nx): `fg` is 1 on the object's voxels and 0
/// elsewhere (other objects included), `prio` the squared distance on them, `cores` the contour
/// method's cores (nil: the distance method's h-maxima seeds), `maxPrio` the deepest squared
/// distance of the block the whole-volume flood would fill (the volume, or with twoD the slice),
/// which sets the flood's quantisation. `labels` must be zero on entry; on exit it holds the
/// object's labels 1…count numbered in the box's scan order (0 outside the object and on the
/// separating lines). `fg` is left non-zero on the object's voxels. Returns each label's first
/// voxel (an index into the box).
func splitInBox(fg lfg: UnsafeMutablePointer<UInt8>, prio lp: UnsafePointer<Float>, cores: UnsafePointer<UInt8>?,
                labels ll: UnsafeMutablePointer<UInt32>, nz bz: Int, ny by: Int, nx bx: Int, h: Double, maxPrio: Float) -> [Int] {
    let bn = bz * by * bx
    var seeds = 0
    var stack = [Int]()
    if let lc = cores {
        // Cores labelled 6-connected (4 within a slice: a twoD object's box is one slice deep).
        for i in 0..<bn where lc[i] != 0 && ll[i] == 0 {
            seeds += 1
            let s = UInt32(seeds)
            ll[i] = s; stack.append(i)
            while let j = stack.popLast() {
                forEachFaceNeighbour(j, nz: bz, ny: by, nx: bx) { q in
                    if lc[q] != 0 && ll[q] == 0 { ll[q] = s; stack.append(q) }
                }
            }
        }
        priorityFlood(fg: lfg, prio: lp, labels: ll, nzb: bz, ny: by, nx: bx, maxPrio: maxPrio)
    } else {
        var finite = false
        for i in 0..<bn where lfg[i] != 0 && lp[i] != .infinity { finite = true; break }
        if finite {
            let lf = UnsafeMutablePointer<Float>.allocate(capacity: max(bn, 1))
            defer { lf.deallocate() }
            for i in 0..<bn { lf[i] = lfg[i] != 0 ? lp[i].squareRoot() : 0 }
            seeds = hMaximaSeeds(fg: lfg, f: lf, labels: ll, nzb: bz, ny: by, nx: bx, h: h)
            priorityFlood(fg: lfg, prio: lp, labels: ll, nzb: bz, ny: by, nx: bx, maxPrio: maxPrio)
        } else {
            // No background at all (a volume, or with twoD a slice, that is all foreground): every
            // distance is infinite and there is nothing to split along, so the object stays whole.
            seeds = 1
            for i in 0..<bn where lfg[i] != 0 { ll[i] = 1 }
        }
    }
    // Leftovers: 6-connected groups of unlabelled voxels touching no label get one each.
    var nextLocal = UInt32(seeds) + 1
    var group = [Int]()
    for i in 0..<bn where lfg[i] == 1 && ll[i] == 0 {
        stack.removeAll(keepingCapacity: true); group.removeAll(keepingCapacity: true)
        stack.append(i); lfg[i] = 2
        var touching = false
        while let j = stack.popLast() {
            group.append(j)
            forEachFaceNeighbour(j, nz: bz, ny: by, nx: bx) { q in
                if lfg[q] == 0 { return }
                if ll[q] != 0 { touching = true } else if lfg[q] == 1 { lfg[q] = 2; stack.append(q) }
            }
        }
        if !touching {
            for j in group { ll[j] = nextLocal }
            nextLocal &+= 1
        }
    }
    // Labels renumbered in box scan order (= global scan order within the object).
    let map = UnsafeMutablePointer<UInt32>.allocate(capacity: Int(nextLocal))
    defer { map.deallocate() }
    map.initialize(repeating: 0, count: Int(nextLocal))
    var first = [Int]()
    for i in 0..<bn where ll[i] != 0 {
        let l = Int(ll[i])
        var id = map[l]
        if id == 0 { first.append(i); id = UInt32(first.count); map[l] = id }
        ll[i] = id
    }
    return first
}

/// A counter the workers of `splitByObject` pull objects from.
private final class WorkCounter: Sendable {
    let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

/// The split done per component of the mask (26-connected, 8 per slice with `twoD`), each in its
/// bounding box (`splitInBox`: seeds, the priority flood quantised with the block's deepest
/// distance as for the whole block, the unreached leftovers). The components do not interact,
/// so the result is that of the whole-block computation. `cores` are the contour method's
/// (nil: the distance method). Writes the labels (numbered in scan order) into `out` (zero on
/// entry) and returns their count.
private func splitByObject(fgBuf: VoxelBuffer<UInt8>, dist: UnsafePointer<Float>, cores: UnsafePointer<UInt8>?,
                           out: UnsafeMutablePointer<UInt32>, shape: Shape, h: Double, twoD: Bool) throws -> Int {
    let nz = shape.z, ny = shape.y, nx = shape.x, plane = ny * nx
    let (comp, count) = try components(Volume(shape: shape, kind: .mask, storage: .u8(fgBuf)),
                                       connectivity: twoD ? 18 : 26, twoD: twoD)
    defer { withExtendedLifetime(comp) {} }
    guard let cp = comp.u32?.pointer, count > 0 else { return 0 }
    // Boxes (z0 z1 y0 y1 x0 x1), voxel counts, and each slice's deepest finite squared distance.
    let workers = max(1, min(Threads.count, nz))
    try MemoryBudget.check(workers * (count + 1) * 32, what: "split object boxes")
    let boxes = UnsafeMutablePointer<Int>.allocate(capacity: workers * (count + 1) * 6)
    let voxels = UnsafeMutablePointer<Int>.allocate(capacity: workers * (count + 1))
    let sliceMax = UnsafeMutablePointer<Float>.allocate(capacity: nz)
    defer { boxes.deallocate(); voxels.deallocate(); sliceMax.deallocate() }
    try Cancellation.check()
    parallelChunks(nz, threads: workers) { w, range in
        let b = boxes + w * (count + 1) * 6, v = voxels + w * (count + 1)
        for c in 0...count {
            b[6 * c] = Int.max; b[6 * c + 1] = -1; b[6 * c + 2] = Int.max; b[6 * c + 3] = -1
            b[6 * c + 4] = Int.max; b[6 * c + 5] = -1; v[c] = 0
        }
        for z in range {
            var mp: Float = 0
            for y in 0..<ny {
                let row = cp + z * plane + y * nx, drow = dist + z * plane + y * nx
                var x = 0
                while x < nx {
                    while x + 4 <= nx && (row[x] | row[x + 1] | row[x + 2] | row[x + 3]) == 0 { x &+= 4 }
                    if x >= nx { break }
                    let l = Int(row[x])
                    if l == 0 { x &+= 1; continue }
                    let s = x
                    while x < nx && Int(row[x]) == l {
                        let d = drow[x]
                        if d != .infinity && d > mp { mp = d }
                        x &+= 1
                    }
                    let bb = b + 6 * l
                    if z < bb[0] { bb[0] = z }
                    if z > bb[1] { bb[1] = z }
                    if y < bb[2] { bb[2] = y }
                    if y > bb[3] { bb[3] = y }
                    if s < bb[4] { bb[4] = s }
                    if x - 1 > bb[5] { bb[5] = x - 1 }
                    v[l] &+= x - s
                }
            }
            sliceMax[z] = mp
        }
    }
    for w in 1..<workers {
        let b = boxes + w * (count + 1) * 6, v = voxels + w * (count + 1)
        for c in 1...count {
            for k in [0, 2, 4] where b[6 * c + k] < boxes[6 * c + k] { boxes[6 * c + k] = b[6 * c + k] }
            for k in [1, 3, 5] where b[6 * c + k] > boxes[6 * c + k] { boxes[6 * c + k] = b[6 * c + k] }
            voxels[c] &+= v[c]
        }
    }
    var globalMax: Float = 0
    for z in 0..<nz where sliceMax[z] > globalMax { globalMax = sliceMax[z] }
    // Per object: its voxels' compact labels (in box scan order) from offset[c], and the global
    // index of each compact label's first voxel.
    var offset = [Int](repeating: 0, count: count + 2)
    var largest = 0
    for c in 1...count {
        offset[c + 1] = offset[c] + voxels[c]
        let bn = (boxes[6 * c + 1] - boxes[6 * c] + 1) * (boxes[6 * c + 3] - boxes[6 * c + 2] + 1)
            * (boxes[6 * c + 5] - boxes[6 * c + 4] + 1)
        largest = max(largest, bn)
    }
    let total = offset[count + 1]
    try MemoryBudget.check(total * 16 + Threads.count * largest * 24, what: "split objects")
    let compact = UnsafeMutablePointer<UInt32>.allocate(capacity: max(total, 1))
    let first = UnsafeMutablePointer<Int>.allocate(capacity: max(total, 1))
    let labelCount = UnsafeMutablePointer<Int>.allocate(capacity: count + 1)
    defer { compact.deallocate(); first.deallocate(); labelCount.deallocate() }
    labelCount.initialize(repeating: 0, count: count + 1)
    let order = (1...count).sorted { voxels[$0] > voxels[$1] }   // largest first, for balance
    let counter = WorkCounter()
    let off = offset
    try Cancellation.check()
    parallelChunks(count, threads: min(Threads.count, count)) { _, _ in
        while true {
            let k = counter.next()
            if k >= count || Cancellation.isCancelled { return }
            let c = order[k]
            let bb = boxes + 6 * c
            let z0 = bb[0], y0 = bb[2], x0 = bb[4]
            let bz = bb[1] - z0 + 1, by = bb[3] - y0 + 1, bx = bb[5] - x0 + 1, bn = bz * by * bx
            let lfg = UnsafeMutablePointer<UInt8>.allocate(capacity: bn)
            let lp = UnsafeMutablePointer<Float>.allocate(capacity: bn)
            let ll = UnsafeMutablePointer<UInt32>.allocate(capacity: bn)
            let lc: UnsafeMutablePointer<UInt8>? = cores == nil ? nil : .allocate(capacity: bn)
            defer { lfg.deallocate(); lp.deallocate(); ll.deallocate(); lc?.deallocate() }
            ll.initialize(repeating: 0, count: bn)
            let cl = UInt32(c)
            for z in 0..<bz {
                for y in 0..<by {
                    let g0 = ((z0 + z) * ny + y0 + y) * nx + x0, l0 = (z * by + y) * bx
                    for x in 0..<bx {
                        let mine = cp[g0 + x] == cl
                        lfg[l0 + x] = mine ? 1 : 0
                        lp[l0 + x] = mine ? dist[g0 + x] : 0
                        if let lc, let cores { lc[l0 + x] = mine ? cores[g0 + x] : 0 }
                    }
                }
            }
            let firstLocal = splitInBox(fg: lfg, prio: lp, cores: lc.map { UnsafePointer($0) }, labels: ll, nz: bz, ny: by, nx: bx,
                                        h: h, maxPrio: twoD ? sliceMax[z0] : globalMax)
            for (j, i) in firstLocal.enumerated() {
                let z = i / (by * bx), r = i - z * by * bx, y = r / bx, x = r - y * bx
                first[off[c] + j] = ((z0 + z) * ny + y0 + y) * nx + x0 + x
            }
            var pos = off[c]
            for i in 0..<bn where lfg[i] != 0 { compact[pos] = ll[i]; pos &+= 1 }
            labelCount[c] = firstLocal.count
        }
    }
    try Cancellation.check()
    // Final ids: the labels ordered by their first voxel.
    var keys = [UInt64]()
    keys.reserveCapacity(total)
    for c in 1...count {
        for j in 0..<labelCount[c] { keys.append(UInt64(first[off[c] + j]) << 32 | UInt64(off[c] + j)) }
    }
    keys.sort()
    let finalID = first   // reused: finalID[slot] once read
    for (r, k) in keys.enumerated() { finalID[Int(k & 0xFFFF_FFFF)] = r + 1 }
    parallelFor(count) { k in
        let c = k + 1
        let bb = boxes + 6 * c
        let z0 = bb[0], y0 = bb[2], x0 = bb[4]
        let bz = bb[1] - z0 + 1, by = bb[3] - y0 + 1, bx = bb[5] - x0 + 1
        let cl = UInt32(c)
        var pos = off[c]
        for z in 0..<bz {
            for y in 0..<by {
                let g0 = ((z0 + z) * ny + y0 + y) * nx + x0
                for x in 0..<bx where cp[g0 + x] == cl {
                    let id = compact[pos]; pos &+= 1
                    if id != 0 { out[g0 + x] = UInt32(truncatingIfNeeded: finalID[off[c] + Int(id) - 1]) }
                }
            }
        }
    }
    try Cancellation.check()
    return keys.count
}
