import Testing
@testable import Kernels

// Voxelised prolate spheroids at 10×10×50 nm, tilted every which way: eccentricity within 0.03,
// angle within 3°, volume within 3 % of the truth for objects of ≥ 2000 voxels.
@Test func fitRecoversTiltedSpheroids() throws {
    let sp = Spacing(x: 10, y: 10, z: 50)
    let s = Shape(z: 24, y: 140, x: 340)
    // (centre nm, a nm, b nm, axis): several sizes and tilts, some out of plane.
    let cases: [((Double, Double, Double), Double, Double, (Double, Double, Double))] = [
        ((400, 350, 600), 260, 110, (1, 0, 0)),            // ≈ 2640 voxels, in plane along x
        ((1000, 350, 600), 300, 120, (1, 1, 0)),           // 45° in plane
        ((1700, 350, 600), 300, 150, (0.3, 1, 0.5)),       // out of plane
        ((2500, 350, 600), 350, 140, (1, 0.2, 1.2)),       // steep in z
        ((400, 1000, 600), 400, 160, (0.8, -0.6, 0.3)),
        ((1200, 1000, 600), 330, 200, (0, 0, 1)),          // along z: few slices per axis length
        ((2200, 1000, 600), 500, 170, (1, -0.5, -0.4)),
    ]
    var m = [UInt32](repeating: 0, count: s.count)
    for (k, c) in cases.enumerated() {
        var b = [UInt8](repeating: 0, count: s.count)
        rasteriseSpheroid(&b, s, sp, centre: c.0, a: c.1, b: c.2, axis: c.3)
        for i in 0..<s.count where b[i] != 0 { m[i] = UInt32(k + 1) }
    }
    let v = Volume(shape: s, spacing: sp, kind: .labels, storage: .u32(VoxelBuffer(m)))
    let t = try fit(v, axis: (1, 0, 0))
    #expect(t.rowCount == cases.count)
    guard let ecc = t.numbers("eccentricity"), let ang = t.numbers("angle_deg"), let vol = t.numbers("volume_um3"),
          let vox = t.numbers("voxels"), let cx = t.numbers("cx_um"), let a = t.numbers("a_um") else { return }
    for (k, c) in cases.enumerated() {
        let trueE = (1 - (c.2 / c.1) * (c.2 / c.1)).squareRoot()
        let n = (c.3.0 * c.3.0 + c.3.1 * c.3.1 + c.3.2 * c.3.2).squareRoot()
        let trueAngle = acosDegrees(abs(c.3.0) / n)
        let trueVol = 4.0 / 3 * Double.pi * c.1 * c.2 * c.2 / 1e9
        #expect(vox[k] >= 2000)
        #expect(abs(ecc[k] - trueE) <= 0.03, "object \(k + 1): eccentricity \(ecc[k]) vs \(trueE)")
        #expect(abs(ang[k] - trueAngle) <= 3, "object \(k + 1): angle \(ang[k]) vs \(trueAngle)")
        #expect(abs(vol[k] / trueVol - 1) <= 0.03, "object \(k + 1): volume \(vol[k]) vs \(trueVol)")
        #expect(abs(cx[k] - c.0.0 / 1000) < 0.01)
        #expect(abs(a[k] / (c.1 / 1000) - 1) < 0.05, "object \(k + 1): a \(a[k])")
    }
}

private func acosDegrees(_ x: Double) -> Double {
    // acos by bisection on cos (keeps the test free of the kernel's maths imports).
    var lo = 0.0, hi = Double.pi
    for _ in 0..<80 { let mid = (lo + hi) / 2; if cosTaylor(mid) > x { lo = mid } else { hi = mid } }
    return lo * 180 / Double.pi
}

private func cosTaylor(_ t: Double) -> Double {
    var sum = 1.0, term = 1.0
    for k in 1..<30 { term *= -t * t / Double((2 * k - 1) * (2 * k)); sum += term }
    return sum
}

@Test func fitFlagsAndExcludesBorderObjects() throws {
    let s = Shape(z: 3, y: 6, x: 8)
    var m = [UInt32](repeating: 0, count: s.count)
    m[(1 * 6 + 2) * 8 + 3] = 5; m[(1 * 6 + 2) * 8 + 4] = 5     // interior pair, id 5
    m[(1 * 6 + 0) * 8 + 6] = 2                                 // on the y = 0 face
    let v = Volume(shape: s, spacing: Spacing(x: 10, y: 10, z: 50), kind: .labels, storage: .u32(VoxelBuffer(m)))
    let t = try fit(v)
    #expect(t.numbers("id") == [2, 5])
    #expect(t.numbers("border") == [1, 0])
    #expect(t.numbers("voxels") == [1, 2])
    #expect(t.numbers("volume_um3")?[1] == 2 * 10 * 10 * 50 / 1e9)
    #expect(abs((t.numbers("cx_um")?[1] ?? 0) - 0.035) < 1e-12)
    let e = try fit(v, excludeBorder: true)
    #expect(e.numbers("id") == [5])
    #expect(throws: VolumeError.self) { try fit(v, axis: (0, 0, 0)) }
}

/// Ids far beyond the number of objects are renumbered for the accumulators and come back as given.
@Test func hugeLabelIdsFitLikeSmallOnes() throws {
    let s = Shape(z: 6, y: 20, x: 40)
    var small = [UInt32](repeating: 0, count: s.count), huge = small
    for z in 1..<5 { for y in 3..<9 { for x in 2..<18 { small[(z * s.y + y) * s.x + x] = 1; huge[(z * s.y + y) * s.x + x] = 4_294_967_295 } } }
    for z in 0..<6 { for y in 10..<17 { for x in 22..<30 { small[(z * s.y + y) * s.x + x] = 2; huge[(z * s.y + y) * s.x + x] = 7 } } }
    let a = try fit(Volume(shape: s, kind: .labels, storage: .u32(VoxelBuffer(small))))
    let b = try fit(Volume(shape: s, kind: .labels, storage: .u32(VoxelBuffer(huge))))
    #expect(b.numbers("id") == [7, 4_294_967_295])
    // Row order follows the ids: 7 (the second box) first.
    for name in a.names where name != "id" {
        #expect(b.numbers(name) == a.numbers(name).map { [$0[1], $0[0]] }, "\(name)")
    }
}
