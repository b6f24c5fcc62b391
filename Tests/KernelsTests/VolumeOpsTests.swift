import _Platform
import Testing
@testable import Kernels

/// A 3×4×5 u16 volume with value 100·z + 10·y + x.
private func ramp() -> Volume {
    let s = Shape(z: 3, y: 4, x: 5)
    var v: [UInt16] = []
    for z in 0..<3 { for y in 0..<4 { for x in 0..<5 { v.append(UInt16(100 * z + 10 * y + x)) } } }
    return Volume(shape: s, spacing: Spacing(x: 7.5, y: 7.5, z: 50), storage: .u16(VoxelBuffer(v)))
}

@Test func cropCopiesTheBoxAndKeepsSpacing() throws {
    let c = try crop(ramp(), z: 1..<3, y: 2..<4, x: 1..<4)
    #expect(c.shape == Shape(z: 2, y: 2, x: 3) && c.spacing == Spacing(x: 7.5, y: 7.5, z: 50) && c.type == .u16)
    #expect(c.value(z: 0, y: 0, x: 0) == 121)
    #expect(c.value(z: 1, y: 1, x: 2) == 233)
    #expect(throws: VolumeError.self) { try crop(ramp(), x: 3..<6) }
    #expect(throws: VolumeError.self) { try crop(ramp(), y: 2..<2) }
}

@Test func slicesTakePythonStyleRanges() throws {
    let v = ramp()
    #expect(try slices(v, 1, nil).shape.z == 2)
    #expect(try slices(v, 1, nil).value(z: 0, y: 0, x: 0) == 100)
    #expect(try slices(v, -1, nil).value(z: 0, y: 3, x: 4) == 234)
    #expect(try slices(v, nil, -1).shape.z == 2)
    #expect(IndexRange(-2, -1).resolve(count: 3) == 1..<2)
    #expect(IndexRange(0, 4).resolve(count: 3) == nil)
    #expect(IndexRange.index(-1, count: 3) == 2)
    #expect(IndexRange.index(3, count: 3) == nil)
    #expect(throws: VolumeError.self) { try slices(v, 2, 1) }
    #expect(throws: VolumeError.self) { try slices(v, 0, 4) }
    #expect(throws: VolumeError.self) { try slices(v, -4, nil) }
}

@Test func stackConcatenatesAlongZ() throws {
    let v = ramp()
    let s = try stack([try slices(v, 2, 3), try slices(v, 0, 2)])
    #expect(s.shape == Shape(z: 3, y: 4, x: 5) && s.spacing == v.spacing)
    #expect(s.value(z: 0, y: 1, x: 1) == 211 && s.value(z: 1, y: 1, x: 1) == 11 && s.value(z: 2, y: 3, x: 4) == 134)
    let other = Volume(zeros: Shape(z: 1, y: 4, x: 4), type: .u16)
    #expect(throws: VolumeError.self) { try stack([v, other]) }
    #expect(throws: VolumeError.self) { try stack([v, try convert(v, to: .f32)]) }
    #expect(throws: VolumeError.self) { try stack([]) }
}

@Test func invertPerType() throws {
    let s = Shape(z: 1, y: 1, x: 3)
    let u8 = Volume(shape: s, storage: .u8(VoxelBuffer<UInt8>([0, 100, 255])))
    #expect(try invert(u8).u8?.array == [255, 155, 0])
    let mask = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer<UInt8>([0, 1, 1])))
    let im = try invert(mask)
    #expect(im.u8?.array == [1, 0, 0] && im.kind == .mask)
    let u16 = Volume(shape: s, storage: .u16(VoxelBuffer<UInt16>([0, 1000, 65535])))
    #expect(try invert(u16).u16?.array == [65535, 64535, 0])
    let prob = Volume(shape: s, storage: .f32(VoxelBuffer<Float>([0, 0.25, 1])))
    #expect(try invert(prob).f32?.array == [1, 0.75, 0])
    let img = Volume(shape: s, storage: .f32(VoxelBuffer<Float>([-2, 3, 10])))
    #expect(try invert(img).f32?.array == [10, 5, -2])
    let labels = Volume(zeros: s, type: .u32, kind: .labels)
    #expect(throws: VolumeError.self) { try invert(labels) }
}

@Test func conversionsRoundAndClamp() throws {
    let s = Shape(z: 1, y: 1, x: 6)
    let f = Volume(shape: s, storage: .f32(VoxelBuffer<Float>([-3, 0.49, 0.5, 254.5, 300, .nan])))
    #expect(try convert(f, to: .u8).u8?.array == [0, 0, 1, 255, 255, 0])
    #expect(try convert(f, to: .u16).u16?.array == [0, 0, 1, 255, 300, 0])
    let u = Volume(shape: s, storage: .u16(VoxelBuffer<UInt16>([0, 1, 2, 255, 256, 65535])))
    #expect(try convert(u, to: .f32).f32?.array == [0, 1, 2, 255, 256, 65535])
    #expect(try convert(u, to: .u32).kind == .labels)
    #expect(try minMax(f) == (-3, 300))
}
