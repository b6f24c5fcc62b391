import Testing
@testable import Kernels

// The distance split runs object by object (each mask component in its bounding box): an object
// must split the same whether alone or next to others, and the labels must come out numbered
// in scan order across objects.

/// Two balls joined by a neck, starting at x = x0, in a volume `nx` wide.
private func necked(_ m: inout [UInt8], _ s: Shape, x0: Double) {
    rasteriseSpheroid(&m, s, .unit, centre: (x0 + 20, 13, 13), a: 10, b: 10, axis: (1, 0, 0))
    rasteriseSpheroid(&m, s, .unit, centre: (x0 + 44, 13, 13), a: 11, b: 11, axis: (1, 0, 0))
    rasteriseSpheroid(&m, s, .unit, centre: (x0 + 32, 13, 13), a: 12, b: 2.5, axis: (1, 0, 0))
}

/// Checks the labels are 1, 2, ... in order of first appearance in scan order.
private func numberedInScanOrder(_ p: UnsafeMutablePointer<UInt32>, _ n: Int) -> Bool {
    var top: UInt32 = 0
    for i in 0..<n where p[i] > top {
        if p[i] != top + 1 { return false }
        top = p[i]
    }
    return true
}

@Test(arguments: [false, true])
func splitDistanceGivesEachObjectTheSameSplitAloneOrNot(twoD: Bool) throws {
    let alone = Shape(z: 26, y: 26, x: 64), both = Shape(z: 26, y: 26, x: 140)
    var ma = [UInt8](repeating: 0, count: alone.count), mb = [UInt8](repeating: 0, count: both.count)
    necked(&ma, alone, x0: 0)
    necked(&mb, both, x0: 0)
    necked(&mb, both, x0: 70)
    // A lone speck far from both, met first in scan order in some slices.
    mb[(0 * both.y + 0) * both.x + 139] = 1
    let (la, na) = try split(Volume(shape: alone, kind: .mask, storage: .u8(VoxelBuffer(ma))), method: .distance, twoD: twoD)
    let (lb, nb) = try split(Volume(shape: both, kind: .mask, storage: .u8(VoxelBuffer(mb))), method: .distance, twoD: twoD)
    #expect(nb == 2 * na + 1)
    guard let pa = la.u32?.pointer, let pb = lb.u32?.pointer else { Issue.record("not u32"); return }
    #expect(numberedInScanOrder(pa, alone.count))
    #expect(numberedInScanOrder(pb, both.count))
    #expect(pb[139] != 0)
    // Both copies are partitioned exactly as the object alone (a bijection between the labels).
    for shift in [0, 70] {
        var fwd = [UInt32: UInt32](), back = [UInt32: UInt32]()
        var same = true
        for z in 0..<alone.z { for y in 0..<alone.y { for x in 0..<alone.x {
            let a = pa[(z * alone.y + y) * alone.x + x], b = pb[(z * both.y + y) * both.x + x + shift]
            if (a == 0) != (b == 0) { same = false; continue }
            if a == 0 { continue }
            if fwd[a, default: b] != b || back[b, default: a] != a { same = false }
            fwd[a] = b; back[b] = a
        } } }
        #expect(same, "copy at x + \(shift)")
    }
}
