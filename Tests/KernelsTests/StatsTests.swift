import Testing
@testable import Kernels

@Test func statsOfLabelsAndOfAFitTable() throws {
    let s = Shape(z: 3, y: 4, x: 5)
    var m = [UInt32](repeating: 0, count: s.count)
    m[(1 * 4 + 1) * 5 + 1] = 4; m[(1 * 4 + 1) * 5 + 2] = 4; m[(1 * 4 + 2) * 5 + 2] = 4   // interior, 3 voxels
    m[(0 * 4 + 2) * 5 + 3] = 2                                                           // z = 0 face, 1 voxel
    let sp = Spacing(x: 100, y: 100, z: 100)          // 0.001 µm³ per voxel, block 0.06 µm³
    let v = Volume(shape: s, spacing: sp, kind: .labels, storage: .u32(VoxelBuffer(m)))
    let r = try stats(v)
    #expect(r.all.count == 2 && r.border.count == 1 && r.interior.count == 1)
    #expect(abs(r.all.meanVolumeUm3 - 0.002) < 1e-15)
    #expect(abs((r.all.volumeFractionPercent ?? 0) - 4.0 / 60 * 100) < 1e-12)
    #expect(abs(r.interior.totalVolumeUm3 - 0.003) < 1e-15)
    #expect(abs((r.border.volumeFractionPercent ?? 0) - 1.0 / 60 * 100) < 1e-12)
    let t = try fit(v)
    let r2 = try stats(t, blockVolumeUm3: 0.06)
    #expect(r2.all.count == 2 && r2.border.count == 1)
    #expect(abs(r2.all.totalVolumeUm3 - r.all.totalVolumeUm3) < 1e-15)
    #expect(abs((r2.all.volumeFractionPercent ?? 0) - (r.all.volumeFractionPercent ?? 0)) < 1e-9)
    #expect(try stats(t).all.volumeFractionPercent == nil)
    #expect(throws: VolumeError.self) { try stats(Table([("x", .number([1]))])) }
}
