import _Platform
import Testing
@testable import Kernels

// `split` object by object from crops (the pieces `Blockwise.split` runs on a chunked volume)
// against `split` of the whole volume: the labels must be identical, not merely equivalent.

/// Touching spheroids at random (a mask of crowded objects that the split must separate), their
/// contour (the placement labels' outlines), at `spacing`.
func crowdedObjects(_ s: Shape, seed: UInt64, count: Int, spacing: Spacing) throws -> (mask: Volume, contour: Volume) {
    var rng = SplitMix64(seed: seed)
    var m = [UInt8](repeating: 0, count: s.count)
    func uniform() -> Double { Double(rng.next() % 1_000_000) / 1_000_000 }
    var labels = [UInt32](repeating: 0, count: s.count)
    for k in 0..<count {
        let c = (uniform() * Double(s.x) * spacing.x, uniform() * Double(s.y) * spacing.y, uniform() * Double(s.z) * spacing.z)
        let b = (3 + 5 * uniform()) * spacing.x, a = b * (1 + 1.5 * uniform())
        var one = [UInt8](repeating: 0, count: s.count)
        rasteriseSpheroid(&one, s, spacing, centre: c, a: a, b: b, axis: (uniform() - 0.5, uniform() - 0.5, 0.3 * (uniform() - 0.5)))
        for i in 0..<s.count where one[i] != 0 { m[i] = 1; labels[i] = UInt32(k + 1) }
    }
    let lv = Volume(shape: s, spacing: spacing, kind: .labels, storage: .u32(VoxelBuffer(labels)))
    return (Volume(shape: s, spacing: spacing, kind: .mask, storage: .u8(VoxelBuffer(m))), try contour(lv, width: 1))
}

private func cut(_ v: Volume, _ b: Box) throws -> Volume { try crop(v, z: b.z, y: b.y, x: b.x) }

/// `split` the way `Blockwise.split` runs it: the mask's components, their boxes, the deepest
/// distance per object merged per volume (per slice with twoD), each object split from crops of
/// its box grown by `margin` (default `splitMargin`), the labels numbered by first voxel.
private func splitByCrops(_ mask: Volume, contour: Volume?, method: SplitMethod, sigma: Double, twoD: Bool,
                          coreLevel: Double = 0.999, minVoxels: Int = 0,
                          margin given: (z: Int, y: Int, x: Int)? = nil) throws -> (labels: [UInt32], count: Int) {
    let s = mask.shape
    let (objects, n) = try components(mask, connectivity: twoD ? 18 : 26, twoD: twoD)
    let boxes = try objectBoxes(objects)
    #expect(boxes.ids == (0..<n).map { UInt32($0 + 1) })
    let depthMargin = splitMargin(method: .distance, sigma: sigma, spacing: mask.spacing, twoD: twoD)
    var deepest = [Float](repeating: 0, count: s.z)
    for (k, id) in boxes.ids.enumerated() {
        let c = boxes.boxes[k].grown(by: depthMargin, within: s)
        let d = try splitDepth(mask: try cut(mask, c), objects: try cut(objects, c), id: id, twoD: twoD)
        deepest[boxes.boxes[k].z.lowerBound] = max(deepest[boxes.boxes[k].z.lowerBound], d)
    }
    let volumeDeepest = deepest.max() ?? 0
    let margin = given ?? splitMargin(method: method, sigma: sigma, spacing: mask.spacing, twoD: twoD)
    var parts: [ObjectSplit] = []
    for (k, id) in boxes.ids.enumerated() {
        let b = boxes.boxes[k], c = b.grown(by: margin, within: s)
        parts.append(try splitObject(mask: try cut(mask, c), contour: try contour.map { try cut($0, c) }, objects: try cut(objects, c),
                                     id: id, box: b, crop: c, global: s, method: method, sigma: sigma, coreLevel: coreLevel,
                                     twoD: twoD, maxPrio: twoD ? deepest[b.z.lowerBound] : volumeDeepest))
    }
    let (ids, count) = splitNumbering(first: parts.flatMap(\.first), sizes: parts.flatMap(\.sizes), minVoxels: minVoxels)
    var out = [UInt32](repeating: 0, count: s.count)
    var slot = 0
    for (k, p) in parts.enumerated() {
        let b = boxes.boxes[k]
        var i = 0
        for z in b.z { for y in b.y { for x in b.x {
            let l = p.labels[i]; i += 1
            if l != 0 { out[(z * s.y + y) * s.x + x] = ids[slot + Int(l) - 1] }
        } } }
        slot += p.count
    }
    return (out, count)
}

/// Checks every combination of method (the contour method with and without a contour), twoD
/// and sigma against `split` of the whole volume.
private func expectCropsEqualTheWholeVolume(_ mask: Volume, _ contour: Volume, sigmas: [Double] = [1, 2],
                                            _ what: String) throws {
    for (method, c) in [(SplitMethod.contour, Optional(contour)), (.contour, nil), (.distance, nil)] {
        for twoD in [false, true] {
            for sigma in (method == .distance ? [1] : sigmas) {
                let (whole, n) = try split(mask, contour: c, method: method, sigma: sigma, twoD: twoD)
                let (byCrops, m) = try splitByCrops(mask, contour: c, method: method, sigma: sigma, twoD: twoD)
                #expect(m == n, "\(what): \(method) contour \(c != nil) twoD \(twoD) sigma \(sigma)")
                let same = byCrops == whole.u32?.array
                #expect(same, "\(what): \(method) contour \(c != nil) twoD \(twoD) sigma \(sigma)")
            }
        }
    }
}

@Test func splitOfCropsEqualsSplitOfThePhantom() throws {
    let p = try phantom(size: Shape(z: 8, y: 96, x: 112), seed: 3, drift: 0.1)
    try expectCropsEqualTheWholeVolume(p.mask, p.contour, "phantom")
}

@Test func splitOfCropsEqualsSplitOfCrowdedObjects() throws {
    // Touching objects that really split, at a spacing that is not a power-of-two fraction
    // (distances round differently along different paths).
    let c = try crowdedObjects(Shape(z: 10, y: 80, x: 120), seed: 5, count: 50, spacing: Spacing(x: 7.3, y: 7.3, z: 41.7))
    let (_, n) = try split(c.mask, contour: c.contour, method: .contour, sigma: 1)
    let (objects, m) = try components(c.mask, connectivity: 26)
    #expect(n > m + 5, "the objects split: \(n) labels from \(m) objects")
    _ = objects
    try expectCropsEqualTheWholeVolume(c.mask, c.contour, "crowded")
}

@Test func splitOfCropsSeesTheNeighboursWithinTheBlursReach() throws {
    // Two slabs one voxel apart (not touching: not 26-adjacent), well within the blur's reach.
    let s = Shape(z: 3, y: 30, x: 60)
    var m = [UInt8](repeating: 0, count: s.count)
    for z in 0..<3 { for y in 4..<26 {
        for x in 3..<29 { m[(z * s.y + y) * s.x + x] = 1 }
        for x in 30..<57 where y > 6 || x > 40 { m[(z * s.y + y) * s.x + x] = 1 }
    } }
    // A neck in the left slab, so there is something to split.
    for z in 0..<3 { for y in 4..<26 where y < 12 || y > 17 { m[(z * s.y + y) * s.x + 16] = 0 } }
    let mask = Volume(shape: s, spacing: Spacing(x: 10, y: 10, z: 50), kind: .mask, storage: .u8(VoxelBuffer(m)))
    let (_, objects) = try components(mask, connectivity: 26)
    #expect(objects == 2)
    let none = Volume(zeros: s, type: .u8, spacing: mask.spacing, kind: .mask)
    try expectCropsEqualTheWholeVolume(mask, none, sigmas: [1, 2, 3], "neighbours")
}

@Test func aCropWithoutTheNeighbourWithinTheBlursReachWouldDiffer() throws {
    // One slice, 5 rows (the y edges reflect: no background along y). Object A: a body, a neck
    // (one voxel of row 2) at x = 30, a lobe up to x = 49; background at x = 50; object B beyond.
    // With sigma 3 (reach 12) the lobe's core at x = 40 (blurred 0.99907) exists only because
    // B's voxels, not background, lie 11 voxels away: a crop of A's box grown by one voxel
    // reflects background there instead (0.99891), loses that core, and A gets one label, not two.
    let s = Shape(z: 1, y: 5, x: 95)
    var m = [UInt8](repeating: 1, count: s.count)
    for y in 0..<5 { m[y * s.x + 50] = 0; if y != 2 { m[y * s.x + 30] = 0 } }
    let mask = Volume(shape: s, spacing: Spacing(x: 10, y: 10, z: 50), kind: .mask, storage: .u8(VoxelBuffer(m)))
    let (_, objects) = try components(mask, connectivity: 26)
    #expect(objects == 2)
    let (whole, n) = try split(mask, method: .contour, sigma: 3)
    let (near, nNear) = try splitByCrops(mask, contour: nil, method: .contour, sigma: 3, twoD: false)
    let (narrow, nNarrow) = try splitByCrops(mask, contour: nil, method: .contour, sigma: 3, twoD: false, margin: (1, 1, 1))
    let same = near == whole.u32?.array, sameNarrow = narrow == whole.u32?.array
    #expect(n == 3 && nNear == n && same)
    #expect(nNarrow == 2 && !sameNarrow, "a crop without the neighbour should lose the lobe's core: \(nNarrow) labels, same \(sameNarrow)")
}

@Test func splitOfCropsKeepsASliceWithoutBackground() throws {
    // Slice 1 is all foreground: with twoD its distances are infinite (nothing to split along).
    let c = try crowdedObjects(Shape(z: 4, y: 40, x: 48), seed: 9, count: 12, spacing: Spacing(x: 10, y: 10, z: 50))
    guard let p = c.mask.u8?.pointer else { Issue.record("not u8"); return }
    for i in (40 * 48)..<(2 * 40 * 48) { p[i] = 1 }
    try expectCropsEqualTheWholeVolume(c.mask, c.contour, "full slice")
    // And a volume without any background: one object, whole.
    let full = Volume(shape: Shape(z: 2, y: 9, x: 11), spacing: Spacing(x: 10, y: 10, z: 50), kind: .mask,
                      storage: .u8(VoxelBuffer([UInt8](repeating: 1, count: 2 * 9 * 11))))
    try expectCropsEqualTheWholeVolume(full, full, "full volume")
}

@Test func splitNumberingDropsSmallObjectsAsRemoveSmallObjects() throws {
    let c = try crowdedObjects(Shape(z: 6, y: 64, x: 80), seed: 2, count: 40, spacing: Spacing(x: 10, y: 10, z: 50))
    for minVoxels in [2, 60, 400] {
        let (whole, _) = try split(c.mask, contour: c.contour, method: .contour, sigma: 1)
        let (kept, n) = try removeSmallObjects(whole, minVoxels: minVoxels)
        let (byCrops, m) = try splitByCrops(c.mask, contour: c.contour, method: .contour, sigma: 1, twoD: false, minVoxels: minVoxels)
        let same = byCrops == kept.u32?.array
        #expect(m == n && same, "min-voxels \(minVoxels)")
    }
}

@Test func objectBoxesOfBlocksMergeIntoTheWholeVolumes() throws {
    let c = try crowdedObjects(Shape(z: 7, y: 50, x: 61), seed: 4, count: 30, spacing: Spacing(x: 10, y: 10, z: 50))
    let (labels, n) = try components(c.mask, connectivity: 26)
    let whole = try objectBoxes(labels)
    #expect(whole.ids.count == n && whole.voxels.reduce(0, +) == c.mask.u8!.array.filter { $0 != 0 }.count)
    var parts: [ObjectBoxes] = []
    for z in stride(from: 0, to: 7, by: 3) { for y in stride(from: 0, to: 50, by: 17) { for x in stride(from: 0, to: 61, by: 20) {
        let b = Box(z: z..<min(7, z + 3), y: y..<min(50, y + 17), x: x..<min(61, x + 20))
        parts.append(try objectBoxes(try cut(labels, b), origin: b.origin))
    } } }
    #expect(ObjectBoxes.merged(parts) == whole)
}
