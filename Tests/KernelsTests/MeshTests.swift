import Testing
@testable import Kernels

@Test func meshIsClosedAndEnclosesTheVoxelVolume() throws {
    let sp = Spacing(x: 10, y: 10, z: 50)
    let s = Shape(z: 14, y: 40, x: 60)
    var b = [UInt8](repeating: 0, count: s.count)
    rasteriseSpheroid(&b, s, sp, centre: (250, 200, 300), a: 180, b: 110, axis: (1, 0.5, 0.3))
    var m = b.map { UInt32($0) * 7 }
    // A second object touching the volume's edge (x = 0), and a single voxel.
    for z in 2..<6 { for y in 5..<12 { for x in 0..<4 { m[(z * s.y + y) * s.x + x] = 3 } } }
    m[(10 * s.y + 35) * s.x + 55] = 9
    let v = Volume(shape: s, spacing: sp, kind: .labels, storage: .u32(VoxelBuffer(m)))
    let mesh = try mesh(v)
    #expect(Set(mesh.objectIds) == [3, 7, 9])
    // Every undirected edge is used by exactly two triangles, once in each direction (closed, oriented).
    var directed: [UInt64: Int] = [:]
    for t in 0..<mesh.triangleCount {
        let a = mesh.triangles[3 * t], b = mesh.triangles[3 * t + 1], c = mesh.triangles[3 * t + 2]
        #expect(a != b && b != c && a != c)
        for (p, q) in [(a, b), (b, c), (c, a)] { directed[UInt64(p) << 32 | UInt64(q), default: 0] += 1 }
    }
    var bad = 0
    for (k, n) in directed where n != 1 || directed[(k & 0xFFFF_FFFF) << 32 | k >> 32] != 1 { bad += 1 }
    #expect(bad == 0)
    let voxel = sp.x * sp.y * sp.z
    for id: UInt32 in [3, 7] {
        let count = Double(m.filter { $0 == id }.count)
        let vol = enclosedVolume(mesh, object: id)
        #expect(abs(vol / (count * voxel) - 1) < 0.05, "object \(id): \(vol) vs \(count * voxel)")
    }
    #expect(enclosedVolume(mesh, object: 9) > 0)
}
