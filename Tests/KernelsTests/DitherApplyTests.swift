import Testing
@testable import Kernels
import KernelsSIMD

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

/// The scalar, SSE2 and AVX2 bodies of the fixed-point map give the same bytes as its table, for
/// both fixed-point scales, with and without dither, at lengths that leave a tail for the scalar code.
@Test(arguments: [(100.4, 150.3, 162.99, 187.51), (20.5, 30.0, 150, 200), (60.0, 230.5, 100, 120), (3.0, 200.0, 20, 180)])
func everyInstructionSetGivesTheTableBytes(_ c: (Double, Double, Double, Double)) throws {
    var m = try #require(fixedPointNormalizeMap(p1: c.0, p2: c.1, P1: c.2, P2: c.3))
    let n = 4096 + 999
    var s: UInt64 = 7
    let src = (0..<n).map { _ -> UInt8 in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: s >> 56)
    }
    let pattern = DitherPattern.shared.pointer
    let tables = (0..<16).map { normalizationTable(p1: c.0, p2: c.1, P1: c.2, P2: c.3, ditherClass: $0) }
    let plain = normalizationTable(p1: c.0, p2: c.1, P1: c.2, P2: c.3)
    let isas = [EMSH_ISA_SCALAR, EMSH_ISA_SSE2, EMSH_ISA_AVX2].filter { $0 <= emsh_simd_best_isa() }
    for isa in isas {
        var out = [UInt8](repeating: 0, count: n)
        emsh_normalize_u8(src, &out, n, pattern, &m, Int32(isa))
        #expect((0..<n).filter { out[$0] != tables[Int(pattern[$0 & 4095])][Int(src[$0])] }.isEmpty, "isa \(isa), dithered")
        emsh_normalize_u8(src, &out, n, nil, &m, Int32(isa))
        #expect((0..<n).filter { out[$0] != plain[Int(src[$0])] }.isEmpty, "isa \(isa), plain")
    }
}

/// A slope of 8 levels per level or more has no fixed-point form; it goes through the exact table.
@Test func aVerySteepSlopeUsesTheExactTable() throws {
    #expect(fixedPointNormalizeMap(p1: 10, p2: 12, P1: 150, P2: 200) == nil)
    let v = Volume(shape: Shape(z: 1, y: 16, x: 16), storage: .u8(VoxelBuffer((0..<256).map { UInt8($0) })))
    let n = try normalize(v, to: (150, 200), peaks: [(10, 12)], dither: false)
    #expect(n.u8?.array == (0..<256).map { x in
        UInt8(clampFloor(normalizeMap(Double(x), p1: 10, p2: 12, P1: 150, P2: 200) + 0.5, 255)) })
}
