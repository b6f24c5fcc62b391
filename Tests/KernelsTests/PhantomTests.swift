import Testing
@testable import Kernels

private let shared: Phantom? = try? phantom(size: PhantomDefaults.size, seed: 7, drift: 0.1)

@Test func phantomIsDeterministicForASeed() throws {
    let s = Shape(z: 3, y: 64, x: 64)
    let a = try phantom(size: s, seed: 3, drift: 0.05), b = try phantom(size: s, seed: 3, drift: 0.05)
    #expect(a.image.u8?.array == b.image.u8?.array && a.labels.u32?.array == b.labels.u32?.array)
    // The thread count does not change the result.
    let before = Threads.count
    Threads.count = 1
    let c = try phantom(size: s, seed: 3, drift: 0.05)
    Threads.count = before
    #expect(c.image.u8?.array == a.image.u8?.array)
    let d = try phantom(size: s, seed: 4, drift: 0.05)
    #expect(d.image.u8?.array != a.image.u8?.array)
    #expect(throws: VolumeError.self) { try phantom(size: Shape(z: 0, y: 64, x: 64)) }
}

@Test func phantomGroundTruthIsConsistent() throws {
    let p = try #require(shared)
    let n = p.image.count
    #expect(p.image.spacing == Spacing(x: 10, y: 10, z: 50) && p.labels.spacing == p.image.spacing)
    #expect(p.mask.kind == .mask && p.labels.kind == .labels && p.contour.kind == .mask)
    let lab = try #require(p.labels.u32?.pointer), mask = try #require(p.mask.u8?.pointer)
    let edge = try #require(p.contour.u8?.pointer)
    var seen = Set<UInt32>(), fg = 0, bad = 0
    for i in 0..<n {
        if (lab[i] > 0) != (mask[i] == 1) { bad += 1 }
        if edge[i] == 1 && mask[i] == 0 { bad += 1 }
        if lab[i] > 0 { seen.insert(lab[i]); fg += 1 }
    }
    #expect(bad == 0)
    #expect(seen == Set((1...UInt32(p.objectCount))))
    #expect(p.objectCount >= 10 && p.objectCount <= 80)
    let fraction = Double(fg) / Double(n)
    #expect(fraction > 0.15 && fraction < 0.35)
}

@Test func phantomHasTouchingObjectsAndDarkerMitochondria() throws {
    let p = try #require(shared)
    let s = p.image.shape
    let lab = try #require(p.labels.u32?.pointer), img = try #require(p.image.u8?.pointer)
    var touching = 0
    var inside = 0.0, nIn = 0.0, outside = 0.0, nOut = 0.0
    for z in 0..<s.z {
        for y in 0..<(s.y * 7 / 10) {
            for x in 0..<(s.x - 1) {
                let i = (z * s.y + y) * s.x + x
                if lab[i] > 0 && lab[i + 1] > 0 && lab[i] != lab[i + 1] { touching += 1 }
                if lab[i] > 0 { inside += Double(img[i]); nIn += 1 } else { outside += Double(img[i]); nOut += 1 }
            }
        }
    }
    #expect(touching > 0)
    #expect(outside / nOut - inside / nIn > 15)
}

@Test func normalizationUndoesThePhantomDrift() throws {
    let p = try #require(shared)
    let before = try peaks(try histogram(p.image))
    #expect(before.failedSlices.isEmpty)
    let spread0 = (before.perSlice.compactMap { $0?[0] }.max() ?? 0) - (before.perSlice.compactMap { $0?[0] }.min() ?? 0)
    #expect(spread0 > 5)  // the drift is visible
    let pairs = before.perSlice.map { ($0?[0] ?? 0, $0?[1] ?? 0) }
    let n = try normalize(p.image, to: (before.average[0], before.average[1]), peaks: pairs)
    let after = try peaks(try histogram(n))
    #expect(after.failedSlices.isEmpty)
    for k in 0..<2 {
        let v = after.perSlice.compactMap { $0?[k] }
        #expect((v.max() ?? 99) - (v.min() ?? 0) < 1)
        #expect(abs(after.average[k] - before.average[k]) < 0.5)
    }
}
