// `split` object by object, from crops of a volume too large for memory. The mask's components
// (26-connected, 8 per slice with twoD) never interact in either method: the flood stays inside
// the mask and the seeds lie inside objects. So each object is split on its own in a crop of
// its bounding box grown by `splitMargin`, given the one quantity that crosses objects (the
// deepest distance of the block the flood fills, `splitDepth` merged over objects), and the
// labels of all objects are numbered by their first voxel (`splitNumbering`): the result is
// `split` of the whole volume, voxel for voxel. The in-memory `split` runs the same pieces
// (`contourCores`, `squaredDistance`, `splitInBox`) on the whole volume's buffers.

/// The voxels per axis a crop must add around an object's bounding box for `splitObject` (and
/// `splitDepth`) to see what the whole-volume split sees there:
/// - the distance transform needs 1 (in z too, unless twoD). An object voxel's nearest
///   background voxel touches the object: walk from the voxel towards it, every step moving each
///   coordinate by at most one; the first voxel outside the object is 26-adjacent to it, hence
///   background (foreground there would belong to the object), and no farther than the target
///   along any axis. So the nearest background lies in the box grown by one, and within the crop
///   nothing is nearer than in the volume (crop and volume edges count as no background alike;
///   other objects in the crop stay foreground, as in the volume).
/// - the contour method's blur adds its truncation radius in y and x (⌊4σ + 0.5⌋ voxels per
///   axis, `gaussianKernel`): the rough mask of other objects within that reach changes the
///   blurred value at the object's voxels. The blur is per slice: nothing in z. Where the crop
///   meets the volume's edge both reflect the same voxels.
public func splitMargin(method: SplitMethod, sigma: Double, spacing: Spacing, twoD: Bool) -> (z: Int, y: Int, x: Int) {
    var y = 1, x = 1
    if method == .contour, sigma.isFinite, sigma >= 0, spacing.y > 0 {
        y = max(y, gaussianKernel(sigma * spacing.x / spacing.y).count / 2)
        x = max(x, gaussianKernel(sigma).count / 2)
    }
    return (twoD ? 0 : 1, y, x)
}

/// The object `id` of `objects` (the mask's component labels) within a crop of the mask:
/// its foreground bytes, squared distance transform, and its bounding box in the crop.
private struct ObjectCrop {
    let fg: VoxelBuffer<UInt8>
    let dist: VoxelBuffer<Float>
    let ids: VoxelBuffer<UInt32>

    init(mask: Volume, objects: Volume, twoD: Bool) throws {
        guard objects.shape == mask.shape else { throw VolumeError.shapeMismatch(operation: "split", mask.shape, objects.shape) }
        guard mask.count < Int(Int32.max) else {
            throw VolumeError.invalidArgument(operation: "split", "a crop of \(mask.shape) is too large (at most 2³¹ − 1 voxels)")
        }
        fg = try foregroundBytes(mask, what: "split mask")
        dist = try squaredDistance(fg.pointer, shape: mask.shape, spacing: mask.spacing, twoD: twoD)
        ids = try labelWords(objects, operation: "split")
    }
}

/// The deepest finite squared distance (nm²) to the background among the voxels of object `id`
/// (0 when none is finite), from crops of the mask and of its component labels grown by
/// `splitMargin`. The flood's quantisation uses the maximum of these over the volume (with
/// twoD over the slice): exactly the maximum the whole-volume split takes.
public func splitDepth(mask: Volume, objects: Volume, id: UInt32, twoD: Bool) throws -> Float {
    let c = try ObjectCrop(mask: mask, objects: objects, twoD: twoD)
    defer { withExtendedLifetime(c) {} }
    let p = c.ids.pointer, d = c.dist.pointer
    var m: Float = 0
    for i in 0..<mask.count where p[i] == id {
        let v = d[i]
        if v != .infinity && v > m { m = v }
    }
    return m
}

/// One object split on its own: its labels over its bounding box (box scan order, 0 outside the
/// object and on the separating lines), numbered 1…count in that order, each label's first voxel
/// as a global linear index, and each label's voxel count.
public struct ObjectSplit: Sendable, Equatable {
    public var labels: [UInt32]
    public var first: [UInt64]
    public var sizes: [Int]
    public var count: Int { first.count }
}

/// `split` of object `id` (of `objects`, the mask's component labels) from crops of the mask,
/// its component labels and the contour (the contour method; nil: the mask's own cores), all
/// covering `crop` (global coordinates: the object's `box` grown by `splitMargin`, clipped to
/// the volume of shape `global`). `maxPrio` is the merged `splitDepth` of the object's block
/// (the volume, or with twoD its slice). The other settings are `split`'s.
public func splitObject(mask: Volume, contour: Volume?, objects: Volume, id: UInt32, box: Box, crop: Box, global: Shape,
                        method: SplitMethod, sigma: Double, h: Double? = nil, coreLevel: Double = 0.999, twoD: Bool,
                        maxPrio: Float) throws -> ObjectSplit {
    let op = "split"
    guard mask.shape == crop.shape else { throw VolumeError.shapeMismatch(operation: op, crop.shape, mask.shape) }
    guard box.z.clamped(to: crop.z) == box.z, box.y.clamped(to: crop.y) == box.y, box.x.clamped(to: crop.x) == box.x, !box.isEmpty else {
        throw VolumeError.invalidArgument(operation: op, "object \(id)'s box \(box) is not inside its crop \(crop)")
    }
    let hh = try splitDynamic(h, sigma: sigma, spacing: mask.spacing)
    let c = try ObjectCrop(mask: mask, objects: objects, twoD: twoD)
    let cores = method == .contour
        ? try contourCores(UnsafePointer(c.fg.pointer), of: mask, contour: contour, sigma: sigma, coreLevel: coreLevel) : nil
    defer { withExtendedLifetime(c) {}; withExtendedLifetime(cores) {} }
    // The box inside the crop.
    let r = box.relative(to: crop), cy = crop.y.count, cx = crop.x.count
    let bz = box.z.count, by = box.y.count, bx = box.x.count, bn = box.count
    let lfg = try analysisBuffer(bn, UInt8.self, what: "split object", zeroed: false)
    let lp = try analysisBuffer(bn, Float.self, what: "split object", zeroed: false)
    let lc = try cores.map { _ in try analysisBuffer(bn, UInt8.self, what: "split object", zeroed: false) }
    var labels = [UInt32](repeating: 0, count: bn)
    let ids = c.ids.pointer, dist = c.dist.pointer, cp = cores?.pointer
    for z in 0..<bz {
        for y in 0..<by {
            let g0 = ((r.z.lowerBound + z) * cy + r.y.lowerBound + y) * cx + r.x.lowerBound, l0 = (z * by + y) * bx
            for x in 0..<bx {
                let mine = ids[g0 + x] == id
                lfg.pointer[l0 + x] = mine ? 1 : 0
                lp.pointer[l0 + x] = mine ? dist[g0 + x] : 0
                if let lc, let cp { lc.pointer[l0 + x] = mine ? cp[g0 + x] : 0 }
            }
        }
    }
    try Cancellation.check()
    let firstLocal = labels.withUnsafeMutableBufferPointer { ll in
        splitInBox(fg: lfg.pointer, prio: UnsafePointer(lp.pointer), cores: lc.map { UnsafePointer($0.pointer) },
                   labels: ll.baseAddress!, nz: bz, ny: by, nx: bx, h: hh, maxPrio: maxPrio)
    }
    try Cancellation.check()
    var sizes = [Int](repeating: 0, count: firstLocal.count)
    for l in labels where l != 0 { sizes[Int(l) - 1] += 1 }
    let first = firstLocal.map { i -> UInt64 in
        let z = i / (by * bx), rr = i - z * by * bx, y = rr / bx, x = rr - y * bx
        return UInt64(((box.z.lowerBound + z) * global.y + box.y.lowerBound + y) * global.x + box.x.lowerBound + x)
    }
    return ObjectSplit(labels: labels, first: first, sizes: sizes)
}

/// The global pass over the labels of all objects: `first[k]` and `sizes[k]` are label k's
/// first voxel (global linear index) and voxel count, labels of all objects in any order. The
/// final ids number them by first voxel in scan order, as `split` does; with `minVoxels` > 1 the
/// labels under that size get 0 and the rest are renumbered in the same order, as
/// `removeSmallObjects` does. Returns k → final id and the count.
public func splitNumbering(first: [UInt64], sizes: [Int], minVoxels: Int = 0) -> (ids: [UInt32], count: Int) {
    let order = first.indices.sorted { first[$0] < first[$1] }
    var ids = [UInt32](repeating: 0, count: first.count)
    var next: UInt32 = 0
    for k in order where minVoxels <= 1 || sizes[k] >= minVoxels {
        next += 1
        ids[k] = next
    }
    return (ids, Int(next))
}
