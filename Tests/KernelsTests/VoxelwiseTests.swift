import Testing
@testable import Kernels

private func vol(_ v: [UInt8], _ s: Shape, kind: VolumeKind = .image) -> Volume {
    Volume(shape: s, spacing: Spacing(x: 2, y: 3, z: 4), kind: kind, storage: .u8(VoxelBuffer(v)))
}
private func f32(_ v: [Float], _ s: Shape) -> Volume { Volume(shape: s, storage: .f32(VoxelBuffer(v))) }
private func values(_ v: Volume) -> [Double] {
    (0..<v.count).map { v.value(z: $0 / v.shape.sliceCount, y: ($0 / v.shape.x) % v.shape.y, x: $0 % v.shape.x) }
}

@Test func arithmeticGivesF32AndKeepsLeftSpacing() throws {
    let s = Shape(z: 1, y: 2, x: 3)
    let a = vol([0, 1, 2, 3, 250, 255], s)
    let b = Volume(shape: s, storage: .u16(VoxelBuffer<UInt16>([1, 2, 3, 4, 5, 1000])))
    let sum = try voxelwise(.add, a, b)
    #expect(sum.type == .f32 && sum.kind == .image && sum.spacing == a.spacing)
    #expect(values(sum) == [1, 3, 5, 7, 255, 1255])
    #expect(values(try voxelwise(.sub, a, b)) == [-1, -1, -1, -1, 245, -745])
    #expect(values(try voxelwise(.mul, a, b)) == [0, 2, 6, 12, 1250, 255000])
    #expect(values(try voxelwise(.div, a, b)) == [0, 0.5, Double(Float(2.0 / 3.0)), 0.75, 50, Double(Float(0.255))])
    #expect(values(try voxelwise(.mod, a, b)) == [0, 1, 2, 3, 0, 255])
}

@Test func scalarOnEitherSide() throws {
    let a = f32([-1, 0, 2.5, 7], Shape(z: 1, y: 1, x: 4))
    #expect(values(try voxelwise(.sub, a, 1, scalarOnLeft: false)) == [-2, -1, 1.5, 6])
    #expect(values(try voxelwise(.sub, a, 1, scalarOnLeft: true)) == [2, 1, -1.5, -6])
    #expect(values(try voxelwise(.div, a, 2, scalarOnLeft: true)).prefix(3) == [-2, .infinity, Double(Float(2) / Float(2.5))])
    // Floored modulo: the sign of the divisor.
    #expect(values(try voxelwise(.mod, a, 3, scalarOnLeft: false)) == [2, 0, 2.5, 1])
    #expect(values(try voxelwise(.lt, a, 2.5, scalarOnLeft: false)) == [1, 1, 0, 0])
    #expect(values(try voxelwise(.lt, a, 2.5, scalarOnLeft: true)) == [0, 0, 0, 1])
    // u8 goes through a table: same results as the direct loop.
    let b = vol([0, 10, 128, 255], Shape(z: 1, y: 1, x: 4))
    #expect(values(try voxelwise(.mul, b, 1.5, scalarOnLeft: false)) == [0, 15, 192, 382.5])
    let m = try voxelwise(.ge, b, 128, scalarOnLeft: false)
    #expect(m.kind == .mask && m.type == .u8 && values(m) == [0, 0, 1, 1])
    #expect(values(try voxelwise(.ne, b, 10, scalarOnLeft: true)) == [1, 0, 1, 1])
}

@Test func comparisonsAreExactAndGiveMasks() throws {
    let p = f32([0.1, 0.5, 0.9], Shape(z: 1, y: 1, x: 3))
    // Float(0.1) is slightly above the decimal 0.1.
    #expect(values(try voxelwise(.gt, p, 0.1, scalarOnLeft: false)) == [1, 1, 1])
    #expect(values(try voxelwise(.eq, p, 0.5, scalarOnLeft: false)) == [0, 1, 0])
    let big = Volume(shape: Shape(z: 1, y: 1, x: 2), kind: .labels, storage: .u32(VoxelBuffer<UInt32>([16_777_217, 5])))
    let big2 = Volume(shape: Shape(z: 1, y: 1, x: 2), kind: .labels, storage: .u32(VoxelBuffer<UInt32>([16_777_216, 5])))
    #expect(values(try voxelwise(.eq, big, big2)) == [0, 1])
    let s = Shape(z: 1, y: 1, x: 4)
    let a = vol([0, 0, 3, 3], s), b = vol([0, 7, 0, 7], s)
    #expect(values(try voxelwise(.and, a, b)) == [0, 0, 0, 1])
    #expect(values(try voxelwise(.or, a, b)) == [0, 1, 1, 1])
    #expect(values(try voxelwise(.le, a, b)) == [1, 1, 0, 1])
    let n = try voxelwiseNot(a)
    #expect(n.kind == .mask && values(n) == [1, 1, 0, 0])
    let neg = try negate(a)
    #expect(neg.type == .f32 && values(neg) == [0, 0, -3, -3])
}

@Test func maskArithmeticStaysAMask() throws {
    let s = Shape(z: 1, y: 2, x: 2)
    let obj = vol([1, 1, 0, 1], s, kind: .mask), edge = vol([0, 1, 1, 1], s, kind: .mask)
    let core = try voxelwise(.sub, obj, edge)
    #expect(core.kind == .mask && core.type == .u8 && values(core) == [1, 0, 0, 0])
    #expect(values(try voxelwise(.add, obj, edge)) == [1, 1, 1, 1])
    #expect(values(try voxelwise(.mul, obj, edge)) == [0, 1, 0, 1])
    // A mask with a plain image: ordinary f32 arithmetic.
    let img = vol([1, 1, 0, 1], s)
    #expect(try voxelwise(.sub, obj, img).type == .f32)
    #expect(try voxelwise(.div, obj, edge).type == .f32)
}

@Test func shapeMismatchNamesBothShapes() throws {
    let a = vol([1, 2], Shape(z: 1, y: 1, x: 2)), b = vol([1, 2], Shape(z: 1, y: 2, x: 1))
    #expect(throws: VolumeError.shapeMismatch(operation: "+", Shape(z: 1, y: 1, x: 2), Shape(z: 1, y: 2, x: 1))) {
        try voxelwise(.add, a, b)
    }
    let e = VolumeError.shapeMismatch(operation: "+", a.shape, b.shape)
    #expect(e.description == "+: volumes differ in shape: 1×1×2 and 1×2×1")
}

@Test func largeVolumesSplitAcrossBlocksGiveTheSameResult() throws {
    // Several parallel blocks (64 Ki voxels each) and an uneven tail.
    let n = 3 * 65536 + 17
    let a = Volume(shape: Shape(z: 1, y: 1, x: n), storage: .u16(VoxelBuffer((0..<n).map { UInt16($0 % 65536) })))
    let r = try voxelwise(.gt, a, 30000, scalarOnLeft: false)
    guard let p = r.u8?.pointer else { Issue.record("not u8"); return }
    var wrong = 0
    for i in 0..<n where (p[i] == 1) != (i % 65536 > 30000) { wrong += 1 }
    #expect(wrong == 0)
}
