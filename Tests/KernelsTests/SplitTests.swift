import Testing
@testable import Kernels

/// Marks the voxels whose centres lie inside ((p−c)·R)ᵀ diag(1/a², 1/b², 1/b²) ((p−c)·R) ≤ 1,
/// the axis of length `a` along `axis` (unit vector); coordinates in nm.
func rasteriseSpheroid(_ m: inout [UInt8], _ s: Shape, _ sp: Spacing, centre: (Double, Double, Double),
                       a: Double, b: Double, axis: (Double, Double, Double), value: UInt8 = 1) {
    let n = (axis.0 * axis.0 + axis.1 * axis.1 + axis.2 * axis.2).squareRoot()
    let u = (axis.0 / n, axis.1 / n, axis.2 / n)
    for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x {
        let px = Double(x) * sp.x - centre.0, py = Double(y) * sp.y - centre.1, pz = Double(z) * sp.z - centre.2
        let t = px * u.0 + py * u.1 + pz * u.2
        let r2 = px * px + py * py + pz * pz - t * t
        if t * t / (a * a) + r2 / (b * b) <= 1 { m[(z * s.y + y) * s.x + x] = value }
    } } }
}

private func twoBallsWithNeck() -> (Volume, [UInt8]) {
    let s = Shape(z: 26, y: 26, x: 64)
    var m = [UInt8](repeating: 0, count: s.count)
    rasteriseSpheroid(&m, s, .unit, centre: (20, 13, 13), a: 10, b: 10, axis: (1, 0, 0))
    rasteriseSpheroid(&m, s, .unit, centre: (44, 13, 13), a: 11, b: 11, axis: (1, 0, 0))
    rasteriseSpheroid(&m, s, .unit, centre: (32, 13, 13), a: 12, b: 2.5, axis: (1, 0, 0))   // the neck
    return (Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer(m))), m)
}

@Test(arguments: [SplitMethod.contour, .distance])
func splitSeparatesTwoBallsJoinedByANeck(method: SplitMethod) throws {
    let (v, m) = twoBallsWithNeck()
    let (l, n) = try split(v, method: method, sigma: 2)
    #expect(n == 2)
    guard let lp = l.u32 else { return }
    // Each ball's centre in its own object; the labels stay inside the mask.
    let s = v.shape
    let c1 = Int(lp.pointer[(13 * s.y + 13) * s.x + 20]), c2 = Int(lp.pointer[(13 * s.y + 13) * s.x + 44])
    #expect(c1 != 0 && c2 != 0 && c1 != c2 && c1 <= 2 && c2 <= 2)
    var counts = [0, 0, 0]
    for i in 0..<s.count {
        if m[i] == 0 { #expect(lp.pointer[i] == 0) }
        if lp.pointer[i] <= 2 { counts[Int(lp.pointer[i])] += 1 }
    }
    let sizes = [0, counts[min(c1, 2)], counts[min(c2, 2)]]
    // Ball volumes 4/3π·10³ ≈ 4189 and 4/3π·11³ ≈ 5575 voxels (plus half the neck each).
    #expect(sizes[1] > 3900 && sizes[1] < 4700)
    #expect(sizes[2] > 5200 && sizes[2] < 6100)
}

@Test(arguments: [SplitMethod.contour, .distance])
func splitKeepsOneElongatedObject(method: SplitMethod) throws {
    let s = Shape(z: 24, y: 24, x: 70)
    var m = [UInt8](repeating: 0, count: s.count)
    rasteriseSpheroid(&m, s, .unit, centre: (35, 12, 12), a: 30, b: 8, axis: (1, 0.15, 0.1))
    let v = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer(m)))
    let (_, n) = try split(v, method: method, sigma: 2)
    #expect(n == 1)
    // Per slice (σ = 1 so the thin end sections keep one core each): one object per slice.
    let (_, n2) = try split(v, method: method, sigma: 1, twoD: true)
    #expect(n2 == (0..<s.z).filter { z in (0..<(s.y * s.x)).contains { m[z * s.y * s.x + $0] != 0 } }.count)
}

@Test func splitContourMergesCoresLinkedThroughZ() throws {
    // A 5-slice slab cut by the contour across its middle in slice 2 only: 1 object in 3D.
    let s = Shape(z: 5, y: 30, x: 40)
    var m = [UInt8](repeating: 0, count: s.count), c = [UInt8](repeating: 0, count: s.count)
    for z in 0..<5 { for y in 3..<27 { for x in 3..<37 { m[(z * s.y + y) * s.x + x] = 1 } } }
    for y in 0..<30 { c[(2 * s.y + y) * s.x + 20] = 1 }
    let sp = Spacing(x: 10, y: 10, z: 50)
    let v = Volume(shape: s, spacing: sp, kind: .mask, storage: .u8(VoxelBuffer(m)))
    let cv = Volume(shape: s, spacing: sp, kind: .mask, storage: .u8(VoxelBuffer(c)))
    let (l3, n3) = try split(v, contour: cv, method: .contour, sigma: 1)
    #expect(n3 == 1)
    #expect(l3.spacing == sp)
    let (l2, n2) = try split(v, contour: cv, method: .contour, sigma: 1, twoD: true)
    #expect(n2 == 6)      // 4 whole slices + the cut slice in 2 pieces
    // In the cut slice the two halves are apart: the contour column stays a separating line.
    let a = l2.u32?.pointer[(2 * s.y + 15) * s.x + 10], b = l2.u32?.pointer[(2 * s.y + 15) * s.x + 30]
    #expect(a != nil && a != b)
    #expect(l3.u32?.pointer[(2 * s.y + 15) * s.x + 20] == 1 || l3.u32?.pointer[(2 * s.y + 15) * s.x + 20] == 0)
}

@Test func splitRejectsBadArguments() {
    let v = Volume(zeros: Shape(z: 1, y: 2, x: 2), type: .u8, kind: .mask)
    let c = Volume(zeros: Shape(z: 1, y: 2, x: 3), type: .u8, kind: .mask)
    #expect(throws: VolumeError.self) { try split(v, contour: c) }
    #expect(throws: VolumeError.self) { try split(v, sigma: -1) }
}

/// Fraction of the true objects matched one-to-one by a predicted object with IoU ≥ 0.5.
func matchedFraction(truth: Volume, predicted: Volume) -> Double {
    guard let t = truth.u32, let p = predicted.u32 else { return 0 }
    var overlap: [UInt64: Int] = [:], ts: [UInt32: Int] = [:], ps: [UInt32: Int] = [:]
    for i in 0..<truth.count {
        let a = t.pointer[i], b = p.pointer[i]
        if a != 0 { ts[a, default: 0] += 1 }
        if b != 0 { ps[b, default: 0] += 1 }
        if a != 0 && b != 0 { overlap[UInt64(a) << 32 | UInt64(b), default: 0] += 1 }
    }
    var pairs: [(Double, UInt32, UInt32)] = []
    for (k, n) in overlap {
        let a = UInt32(k >> 32), b = UInt32(k & 0xFFFF_FFFF)
        let iou = Double(n) / Double((ts[a] ?? 0) + (ps[b] ?? 0) - n)
        if iou >= 0.5 { pairs.append((iou, a, b)) }
    }
    var usedT = Set<UInt32>(), usedP = Set<UInt32>()
    for (_, a, b) in pairs.sorted(by: { $0.0 > $1.0 }) where !usedT.contains(a) && !usedP.contains(b) {
        usedT.insert(a); usedP.insert(b)
    }
    return ts.isEmpty ? 1 : Double(usedT.count) / Double(ts.count)
}

@Test func splitRecoversThePhantomsObjects() throws {
    let ph = try phantom(size: Shape(z: 16, y: 192, x: 192), seed: 3)
    let (c, nc) = try split(ph.mask, contour: ph.contour, method: .contour, sigma: 1)
    let fc = matchedFraction(truth: ph.labels, predicted: c)
    let (d, nd) = try split(ph.mask, method: .distance)
    let fd = matchedFraction(truth: ph.labels, predicted: d)
    print("phantom split: \(ph.objectCount) true; contour \(nc) objects, \(fc) matched; distance \(nd) objects, \(fd) matched")
    #expect(fc >= 0.95)
    #expect(fd >= 0.90)
}

/// A mask with no background has infinite distances everywhere: it is one object, not one per voxel
/// (in 3D, and with twoD one per slice).
@Test(arguments: [SplitMethod.contour, .distance])
func anAllForegroundMaskStaysOneObject(method: SplitMethod) throws {
    let s = Shape(z: 3, y: 12, x: 17)
    let v = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer([UInt8](repeating: 1, count: s.count))))
    let (l, n) = try split(v, method: method, sigma: 1)
    #expect(n == 1)
    #expect(l.u32?.array.allSatisfy { $0 == 1 } == true)
    let (_, n2) = try split(v, method: method, sigma: 1, twoD: true)
    #expect(n2 == 3)
}
