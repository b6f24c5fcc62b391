import Testing
@testable import Kernels

@Test func distanceMatchesBruteForceWithAnisotropicSpacing() throws {
    let s = Shape(z: 5, y: 9, x: 11)
    let sp = Spacing(x: 7.5, y: 10, z: 50)
    let m = randomMask(s.count, seed: 99, density: 0.85)
    let v = Volume(shape: s, spacing: sp, kind: .mask, storage: .u8(VoxelBuffer(m)))
    for twoD in [false, true] {
        let d = try distanceTransform(v, twoD: twoD)
        guard let dp = d.f32 else { Issue.record("not f32"); return }
        for i in 0..<s.count {
            let z = i / (s.y * s.x), y = (i / s.x) % s.y, x = i % s.x
            var best = Double.infinity
            if m[i] != 0 {
                for j in 0..<s.count where m[j] == 0 {
                    let zz = j / (s.y * s.x), yy = (j / s.x) % s.y, xx = j % s.x
                    if twoD && zz != z { continue }
                    let dz = Double(zz - z) * sp.z, dy = Double(yy - y) * sp.y, dx = Double(xx - x) * sp.x
                    best = min(best, (dz * dz + dy * dy + dx * dx).squareRoot())
                }
            } else { best = 0 }
            if best.isInfinite { #expect(dp.pointer[i] == .infinity) }
            else { #expect(abs(Double(dp.pointer[i]) - best) <= 1e-4 * max(1, best)) }
        }
    }
}

@Test func distanceOfAllForegroundIsInfinite() throws {
    let s = Shape(z: 1, y: 2, x: 2)
    let v = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer([1, 1, 1, 1])))
    let d = try distanceTransform(v)
    #expect(d.f32?.array.allSatisfy { $0 == .infinity } == true)
}
