// Connected components of a volume too large for memory, block by block:
// 1. every block is labelled on its own (`components`: ids 1…n in the block's scan order) and the
//    global index of each label's first voxel is kept (`firstVoxels`);
// 2. ids become globally unique by adding the block's offset (the sum of the counts before it),
//    and every block lists the pairs of ids that touch across its faces (`touchingPairs`, read
//    with a one-voxel halo from the neighbours' provisional labels);
// 3. one union-find over those pairs joins the pieces, and every object takes the rank of its
//    first voxel in scan order (`ComponentMerge`), which is the numbering `components` gives the
//    whole volume: the labels are identical, not merely equivalent;
// 4. every block is relabelled through that map.

/// The global linear index (z·Y·X + y·X + x in a volume of shape `global`) of the first voxel of
/// each label 1…`count` of a block labelled in its own scan order, whose voxel (0, 0, 0) sits at
/// `origin`. A block's scan order is the global one restricted to the block, so this is also the
/// label's first voxel in the whole volume among the block's voxels.
public func firstVoxels(of labels: Volume, count: Int, origin: (z: Int, y: Int, x: Int), global: Shape) throws -> [UInt64] {
    let words = try labelWords(labels, operation: "components")
    defer { withExtendedLifetime(words) {} }
    let p = UnsafePointer(words.pointer)
    let ny = labels.shape.y, nx = labels.shape.x
    var first = [UInt64](repeating: UInt64.max, count: count)
    var seen = 0
    outer: for z in 0..<labels.shape.z {
        try Cancellation.check()
        for y in 0..<ny {
            let row = p + (z * ny + y) * nx
            var stop = false
            forEachLabelRun(row, nx) { l, x0, _ in
                let k = Int(l) - 1
                guard k >= 0, k < count, first[k] == UInt64.max else { return }
                first[k] = UInt64(((z + origin.z) * global.y + y + origin.y) * global.x + x0 + origin.x)
                seen += 1
                if seen == count { stop = true }
            }
            if stop { break outer }
        }
    }
    return first
}

/// Neighbour offsets (dz, dy, dx) of a connectivity: 6 (faces), 18 (and edges), 26 (and corners);
/// with `twoD` only those within a slice (4 or 8).
func neighbourOffsets(connectivity: Int, twoD: Bool) -> [(Int, Int, Int)] {
    var out: [(Int, Int, Int)] = []
    for dz in (twoD ? 0...0 : -1...1) {
        for dy in -1...1 {
            for dx in -1...1 {
                let n = abs(dz) + abs(dy) + abs(dx)
                if n == 0 { continue }
                let limit = twoD ? (connectivity == 6 ? 1 : 2) : (connectivity == 6 ? 1 : connectivity == 18 ? 2 : 3)
                if n <= limit { out.append((dz, dy, dx)) }
            }
        }
    }
    return out
}

/// The pairs (a < b) of different non-zero ids that touch, by `connectivity`, with one voxel
/// inside `core` and the other outside it: `labels` is a block read with its halo, holding ids
/// that are unique across blocks, and `core` the block itself in `labels`' coordinates.
public func touchingPairs(_ labels: Volume, core: Box, connectivity: Int, twoD: Bool = false) throws -> [(UInt32, UInt32)] {
    let words = try labelWords(labels, operation: "components")
    defer { withExtendedLifetime(words) {} }
    let p = UnsafePointer(words.pointer)
    let nz = labels.shape.z, ny = labels.shape.y, nx = labels.shape.x
    let offsets = neighbourOffsets(connectivity: connectivity, twoD: twoD)
    var pairs = Set<UInt64>()
    // Visit the halo voxels (outside the core) and look at their neighbours inside the core.
    func visit(_ z: Int, _ y: Int, _ x: Int) {
        let h = p[(z * ny + y) * nx + x]
        if h == 0 { return }
        for (dz, dy, dx) in offsets {
            let cz = z + dz, cy = y + dy, cx = x + dx
            guard core.z.contains(cz), core.y.contains(cy), core.x.contains(cx) else { continue }
            let c = p[(cz * ny + cy) * nx + cx]
            if c == 0 || c == h { continue }
            let a = min(c, h), b = max(c, h)
            pairs.insert(UInt64(a) << 32 | UInt64(b))
        }
    }
    for z in 0..<nz {
        try Cancellation.check()
        for y in 0..<ny {
            if core.z.contains(z) && core.y.contains(y) {
                // Inside the core's rows only the x halo, at most one voxel on either side matters.
                for x in 0..<min(core.x.lowerBound, nx) where x >= core.x.lowerBound - 1 { visit(z, y, x) }
                if core.x.upperBound < nx { visit(z, y, core.x.upperBound) }
            } else {
                for x in 0..<nx { visit(z, y, x) }
            }
        }
    }
    return pairs.sorted().map { (UInt32($0 >> 32), UInt32($0 & 0xFFFF_FFFF)) }
}

/// Step 3: joins the provisional ids of all blocks into objects numbered by their first voxel.
public struct ComponentMerge: Sendable {
    /// Each block's first provisional id minus one (its ids are offset + 1 … offset + count).
    public let offsets: [Int]
    /// provisional id → final id (index 0 is background).
    public let finalIds: [UInt32]
    /// The number of objects.
    public let count: Int

    /// `counts[b]` and `firsts[b]` are block b's label count and first voxels (`firstVoxels`);
    /// `pairs` are touching provisional ids (`touchingPairs`, from every block).
    public init(counts: [Int], firsts: [[UInt64]], pairs: [(UInt32, UInt32)]) throws {
        var offsets = [Int](repeating: 0, count: counts.count)
        var total = 0
        for (b, c) in counts.enumerated() { offsets[b] = total; total += c }
        guard total < Int(UInt32.max) else {
            throw VolumeError.invalidArgument(operation: "components", "too many pieces across blocks (\(total)); use larger blocks")
        }
        var parent = [UInt32](0...UInt32(total))
        func find(_ a: UInt32) -> UInt32 {
            var x = a
            while parent[Int(x)] != x { parent[Int(x)] = parent[Int(parent[Int(x)])]; x = parent[Int(x)] }
            return x
        }
        for (a, b) in pairs {
            guard Int(a) <= total, Int(b) <= total, a > 0, b > 0 else {
                throw VolumeError.invalidArgument(operation: "components", "a touching pair names id \(max(a, b)) of \(total)")
            }
            let ra = find(a), rb = find(b)
            if ra < rb { parent[Int(rb)] = ra } else if rb < ra { parent[Int(ra)] = rb }
        }
        // Every root's first voxel: the smallest first voxel of its pieces.
        var first = [UInt64](repeating: UInt64.max, count: total + 1)
        for (b, f) in firsts.enumerated() {
            for (k, v) in f.enumerated() {
                let r = Int(find(UInt32(offsets[b] + k + 1)))
                if v < first[r] { first[r] = v }
            }
        }
        var roots: [Int] = []
        for g in 1..<(total + 1) where find(UInt32(g)) == UInt32(g) { roots.append(g) }
        roots.sort { first[$0] < first[$1] }
        var rank = [UInt32](repeating: 0, count: total + 1)
        for (k, r) in roots.enumerated() { rank[r] = UInt32(k + 1) }
        var ids = [UInt32](repeating: 0, count: total + 1)
        for g in 1..<(total + 1) { ids[g] = rank[Int(find(UInt32(g)))] }
        self.offsets = offsets
        self.finalIds = ids
        self.count = roots.count
    }

    /// A merge read back from a file (a Slurm task relabels with the driver's map).
    public init(offsets: [Int], finalIds: [UInt32], count: Int) {
        self.offsets = offsets; self.finalIds = finalIds; self.count = count
    }

    /// Step 4: block `b`'s provisional labels (1…count, its own numbering) in final ids.
    public func relabel(_ labels: Volume, block b: Int) throws -> Volume {
        let words = try labelWords(labels, operation: "components")
        defer { withExtendedLifetime(words) {} }
        let out = try analysisBuffer(labels.count, UInt32.self, what: "component labels", zeroed: false)
        let src = UnsafePointer(words.pointer), dst = out.pointer, off = offsets[b]
        let n = labels.count
        try finalIds.withUnsafeBufferPointer { map in
            for i in 0..<n {
                let l = Int(src[i])
                guard l == 0 || off + l < map.count else {
                    throw VolumeError.invalidArgument(operation: "components", "block \(b) holds id \(l) beyond its count")
                }
                dst[i] = l == 0 ? 0 : map[off + l]
            }
        }
        return labels.with(storage: .u32(out), kind: .labels)
    }
}
