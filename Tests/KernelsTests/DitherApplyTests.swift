import Testing
@testable import Kernels

/// The dithered u8 normalisation applies 8 voxels per step (two 16-bit index words per 8 bytes):
/// every voxel must equal the per-voxel rule, ⌊T(x) + (c + ½)/16⌋ with c the pattern's class at
/// its position in the slice (tail voxels of a slice whose size is not a multiple of 8 included).
@Test func ditheredNormalizeMatchesPerVoxelRule() throws {
    let shape = Shape(z: 3, y: 37, x: 123)  // 4551 voxels per slice: past the 4096-voxel pattern, odd tail
    let b = VoxelBuffer<UInt8>(uninitialized: shape.count)
    var s: UInt64 = 99
    for i in 0..<shape.count {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        b.pointer[i] = UInt8(truncatingIfNeeded: s >> 56)
    }
    let v = Volume(shape: shape, storage: .u8(b))
    let pairs = [(100.4, 150.3), (90.0, 170.25), (120.5, 140.5)]
    let n = try normalize(v, to: (162.99, 187.51), peaks: pairs)
    let tables = pairs.map { p in (0..<16).map { normalizationTable(p1: p.0, p2: p.1, P1: 162.99, P2: 187.51, ditherClass: $0) } }
    let out = try #require(n.u8)
    let pattern = DitherPattern.shared.pointer
    var mismatches = 0
    for z in 0..<shape.z {
        for j in 0..<shape.sliceCount {
            let i = z * shape.sliceCount + j
            let c = Int(pattern[j & 4095])
            if out.pointer[i] != tables[z][c][Int(b.pointer[i])] { mismatches += 1 }
        }
    }
    #expect(mismatches == 0)
}

/// Each aligned run of 16 pattern entries holds every dither class once.
@Test func ditherPatternRunsArePermutations() {
    let p = DitherPattern.shared.pointer
    for run in 0..<256 {
        #expect(Set((0..<16).map { p[run * 16 + $0] }) == Set((0..<16).map { UInt8($0) }))
    }
}
