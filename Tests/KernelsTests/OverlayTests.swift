import _Platform
import Testing
@testable import Kernels

@Test func overlayBlendsLabelsAndDrawsOutlines() throws {
    let s = Shape(z: 2, y: 5, x: 5)
    let img = Volume(shape: s, storage: .u8(VoxelBuffer([UInt8](repeating: 100, count: s.count))))
    var l = [UInt32](repeating: 0, count: s.count)
    for y in 1..<4 { for x in 1..<4 { l[(1 * 5 + y) * 5 + x] = 6 } }
    let lab = Volume(shape: s, kind: .labels, storage: .u32(VoxelBuffer(l)))
    let o = try overlay(image: img, overlay: lab, z: 1, alpha: 0.5)
    #expect(o.width == 5 && o.height == 5 && o.pixels.count == 75)
    let c = labelColour(6)
    func px(_ x: Int, _ y: Int) -> [UInt8] { Array(o.pixels[(3 * (y * 5 + x))..<(3 * (y * 5 + x) + 3)]) }
    #expect(px(0, 0) == [100, 100, 100])                       // background stays grey
    #expect(px(1, 1) == [c.0, c.1, c.2])                        // outline: opaque colour
    let blend = { (v: UInt8) in UInt8((50 + Double(v) / 2).rounded()) }
    #expect(px(2, 2) == [blend(c.0), blend(c.1), blend(c.2)])   // inside: half-blended
    let empty = try overlay(image: img, overlay: lab, z: 0)
    #expect(empty.pixels.allSatisfy { $0 == 100 })
    #expect(throws: VolumeError.self) { try overlay(image: img, overlay: lab, z: 2) }
    #expect(labelColour(1) != labelColour(2))
}
