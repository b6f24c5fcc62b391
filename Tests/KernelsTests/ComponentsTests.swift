import Testing
@testable import Kernels

/// A reference labelling by breadth-first search over an explicit neighbourhood.
func referenceComponents(_ m: [UInt8], _ s: Shape, conn: Int, twoD: Bool) -> [UInt32] {
    var offs: [(Int, Int, Int)] = []
    for dz in -1...1 { for dy in -1...1 { for dx in -1...1 {
        let k = abs(dz) + abs(dy) + abs(dx)
        if k == 0 || (twoD && dz != 0) { continue }
        if conn == 6 && k > 1 { continue }
        if conn == 18 && k > 2 { continue }
        offs.append((dz, dy, dx))
    } } }
    var lab = [UInt32](repeating: 0, count: m.count)
    var next: UInt32 = 0
    for i in 0..<m.count where m[i] != 0 && lab[i] == 0 {
        next += 1
        lab[i] = next
        var stack = [i]
        while let v = stack.popLast() {
            let z = v / (s.y * s.x), y = (v / s.x) % s.y, x = v % s.x
            for (dz, dy, dx) in offs {
                let zz = z + dz, yy = y + dy, xx = x + dx
                if zz < 0 || yy < 0 || xx < 0 || zz >= s.z || yy >= s.y || xx >= s.x { continue }
                let j = (zz * s.y + yy) * s.x + xx
                if m[j] != 0 && lab[j] == 0 { lab[j] = next; stack.append(j) }
            }
        }
    }
    return lab
}

/// Deterministic pseudo-random bytes (xorshift).
func randomMask(_ n: Int, seed: UInt64, density: Double) -> [UInt8] {
    var s = seed &* 0x9E3779B97F4A7C15 | 1
    return (0..<n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Double(s % 10_000) / 10_000 < density ? 1 : 0
    }
}

@Test func componentsNumberInScanOrder() throws {
    // Two objects in slice 0 joined only diagonally, one object in slice 1.
    let s = Shape(z: 2, y: 3, x: 3)
    let m: [UInt8] = [0, 1, 0,
                      1, 0, 0,
                      0, 0, 0,
                      0, 0, 0,
                      0, 0, 0,
                      0, 0, 1]
    let v = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer(m)))
    let (l6, n6) = try components(v, connectivity: 6)
    #expect(n6 == 3)
    #expect(l6.u32?.array == [0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3])
    let (l18, n18) = try components(v, connectivity: 18)
    #expect(n18 == 2)
    #expect(l18.u32?.array == [0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
    #expect(l18.kind == .labels)
    #expect(throws: VolumeError.self) { try components(v, connectivity: 8) }
}

@Test(arguments: [6, 18, 26])
func componentsMatchBreadthFirstSearch(conn: Int) throws {
    let s = Shape(z: 6, y: 13, x: 17)
    for (seed, density) in [(1, 0.3), (2, 0.5), (3, 0.7)] {
        let m = randomMask(s.count, seed: UInt64(seed * 31 + conn), density: density)
        let v = Volume(shape: s, kind: .mask, storage: .u8(VoxelBuffer(m)))
        for twoD in [false, true] {
            let (l, n) = try components(v, connectivity: conn, twoD: twoD)
            let ref = referenceComponents(m, s, conn: twoD ? (conn == 6 ? 6 : 26) : conn, twoD: twoD)
            #expect(l.u32?.array == ref)     // the same ids, as both number in scan order
            #expect(n == Int(ref.max() ?? 0))
        }
    }
}

@Test func componentsAcceptOtherVoxelTypes() throws {
    let s = Shape(z: 1, y: 1, x: 5)
    let v = Volume(shape: s, storage: .f32(VoxelBuffer([0.9, 0.2, 0.7, 0.8, 0])))
    let (l, n) = try components(v, connectivity: 6)
    #expect(n == 2 && l.u32?.array == [1, 0, 2, 2, 0])
}
