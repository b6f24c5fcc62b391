import Testing
import Foundation
@testable import Kernels

/// The fixtures made by Fixtures/make_components.py with scipy.ndimage.label.
private func fixture(_ conn: Int) -> [(shape: Shape, mask: [UInt8], scipy: [UInt32])]? {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    guard let d = try? Data(contentsOf: dir.appendingPathComponent("components_\(conn).bin")) else { return nil }
    let b = [UInt8](d)
    func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
    guard b.count >= 28, Array(b[0..<7]) == Array("EMSHCC1".utf8) else { return nil }
    let s = Shape(z: u32(8), y: u32(12), x: u32(16))
    guard u32(20) == conn else { return nil }
    var out: [(Shape, [UInt8], [UInt32])] = []
    var o = 28
    for _ in 0..<u32(24) {
        guard o + 5 * s.count <= b.count else { return nil }
        let m = Array(b[o..<(o + s.count)]); o += s.count
        let l = (0..<s.count).map { UInt32(u32(o + 4 * $0)) }; o += 4 * s.count
        out.append((s, m, l))
    }
    return out
}

@Test(arguments: [6, 18, 26])
func componentsPartitionMatchesScipy(conn: Int) throws {
    guard let cases = fixture(conn) else { Issue.record("fixture components_\(conn).bin missing or malformed"); return }
    #expect(cases.count == 3)
    for c in cases {
        let v = Volume(shape: c.shape, kind: .mask, storage: .u8(VoxelBuffer(c.mask)))
        let (l, n) = try components(v, connectivity: conn)
        let ours = l.u32?.array ?? []
        // A bijection between our ids and scipy's: each id maps to exactly one id the other way.
        var fwd: [UInt32: UInt32] = [:], back: [UInt32: UInt32] = [:]
        var consistent = true
        for (a, b) in zip(ours, c.scipy) {
            if (a == 0) != (b == 0) { consistent = false; break }
            if a == 0 { continue }
            if let e = fwd[a], e != b { consistent = false; break }
            if let e = back[b], e != a { consistent = false; break }
            fwd[a] = b; back[b] = a
        }
        #expect(consistent)
        #expect(n == Int(c.scipy.max() ?? 0))
        #expect(ours == c.scipy)   // scipy numbers in scan order too
    }
}
