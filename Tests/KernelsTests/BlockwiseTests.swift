import _Platform
import Testing
@testable import Kernels

// The block-wise forms of components and fit against the whole-volume commands, on random
// blobs cut into blocks of awkward sizes (objects cross faces, edges and corners).

private func randomBlobs(_ s: Shape, seed: UInt64, density: Double = 0.35) -> Volume {
    var rng = SplitMix64(seed: seed)
    var m = [UInt8](repeating: 0, count: s.count)
    for i in 0..<s.count where Double(rng.next() % 1000) / 1000 < density { m[i] = 1 }
    // A few solid boxes make large objects that span several blocks.
    for _ in 0..<4 {
        let z0 = Int(rng.next() % UInt64(s.z)), y0 = Int(rng.next() % UInt64(s.y)), x0 = Int(rng.next() % UInt64(s.x))
        for z in z0..<min(s.z, z0 + 3) { for y in y0..<min(s.y, y0 + 9) { for x in x0..<min(s.x, x0 + 11) { m[(z * s.y + y) * s.x + x] = 1 } } }
    }
    return Volume(shape: s, spacing: Spacing(x: 7.5, y: 7.5, z: 50), kind: .mask, storage: .u8(VoxelBuffer(m)))
}

private func blocks(_ s: Shape, _ b: Shape) -> [Box] {
    var out: [Box] = []
    for z in stride(from: 0, to: s.z, by: b.z) {
        for y in stride(from: 0, to: s.y, by: b.y) {
            for x in stride(from: 0, to: s.x, by: b.x) {
                out.append(Box(z: z..<min(s.z, z + b.z), y: y..<min(s.y, y + b.y), x: x..<min(s.x, x + b.x)))
            }
        }
    }
    return out
}

private func cut(_ v: Volume, _ b: Box) throws -> Volume { try crop(v, z: b.z, y: b.y, x: b.x) }

private func paste(_ part: Volume, into whole: inout [UInt32], _ s: Shape, at b: Box, adding off: UInt32 = 0) {
    guard let p = part.u32?.pointer else { return }
    for z in b.z { for y in b.y { for x in b.x {
        let l = p[((z - b.z.lowerBound) * b.y.count + y - b.y.lowerBound) * b.x.count + x - b.x.lowerBound]
        whole[(z * s.y + y) * s.x + x] = l == 0 ? 0 : l + off
    } } }
}

/// The four steps of block-wise components, with the blocks held in memory.
private func blockwiseComponents(_ mask: Volume, block: Shape, connectivity: Int, twoD: Bool) throws -> (Volume, Int) {
    let s = mask.shape
    let boxes = blocks(s, block)
    var local: [Volume] = [], counts: [Int] = [], firsts: [[UInt64]] = []
    for b in boxes {
        let (l, n) = try components(try cut(mask, b), connectivity: connectivity, twoD: twoD)
        local.append(l); counts.append(n)
        firsts.append(try firstVoxels(of: l, count: n, origin: b.origin, global: s))
    }
    var offsets: [UInt32] = [], total: UInt32 = 0
    for c in counts { offsets.append(total); total += UInt32(c) }
    var provisional = [UInt32](repeating: 0, count: s.count)
    for (k, b) in boxes.enumerated() { paste(local[k], into: &provisional, s, at: b, adding: offsets[k]) }
    let pv = Volume(shape: s, spacing: mask.spacing, kind: .labels, storage: .u32(VoxelBuffer(provisional)))
    var pairs: [(UInt32, UInt32)] = []
    for b in boxes {
        let outer = b.grown(by: (1, 1, 1), within: s)
        pairs += try touchingPairs(try cut(pv, outer), core: b.relative(to: outer), connectivity: connectivity, twoD: twoD)
    }
    let merge = try ComponentMerge(counts: counts, firsts: firsts, pairs: pairs)
    var out = [UInt32](repeating: 0, count: s.count)
    for (k, b) in boxes.enumerated() { paste(try merge.relabel(local[k], block: k), into: &out, s, at: b) }
    return (Volume(shape: s, spacing: mask.spacing, kind: .labels, storage: .u32(VoxelBuffer(out))), merge.count)
}

@Test(arguments: [6, 18, 26])
func blockwiseComponentsEqualTheWholeVolume(connectivity: Int) throws {
    let s = Shape(z: 9, y: 23, x: 31)
    let mask = randomBlobs(s, seed: UInt64(connectivity))
    let (whole, n) = try components(mask, connectivity: connectivity)
    for block in [Shape(z: 4, y: 8, x: 8), Shape(z: 1, y: 5, x: 7), Shape(z: 9, y: 23, x: 31), Shape(z: 2, y: 1, x: 31)] {
        let (b, m) = try blockwiseComponents(mask, block: block, connectivity: connectivity, twoD: false)
        #expect(m == n, "blocks \(block)")
        #expect(b.u32?.array == whole.u32?.array, "labels differ with blocks \(block), connectivity \(connectivity)")
    }
    // --2d: slices labelled on their own, ids unique across slices.
    let (w2, n2) = try components(mask, connectivity: connectivity, twoD: true)
    let (b2, m2) = try blockwiseComponents(mask, block: Shape(z: 3, y: 6, x: 9), connectivity: connectivity, twoD: true)
    #expect(m2 == n2)
    #expect(b2.u32?.array == w2.u32?.array)
}

@Test func blockwiseFitEqualsTheWholeVolume() throws {
    let s = Shape(z: 12, y: 40, x: 44)
    let (labels, n) = try components(randomBlobs(s, seed: 7, density: 0.2), connectivity: 6)
    #expect(n > 20)
    let whole = try fit(labels, axis: (1, 0.5, 0))
    let boxes = blocks(s, Shape(z: 5, y: 16, x: 13))
    let moments = FitMoments.merged(try boxes.map { b in try fitMoments(try cut(labels, b), origin: b.origin, global: s) })
    let frames = FitFrames(moments, spacing: labels.spacing)
    let surfaces = FitSurfaces.merged(try boxes.map { b in
        let outer = b.grown(by: (1, 1, 1), within: s)
        return try fitSurfaces(try cut(labels, outer), core: b.relative(to: outer), origin: outer.origin, global: s, frames: frames)
    })
    let t = try fitTable(moments: moments, frames: frames, surfaces: surfaces, spacing: labels.spacing, axis: (1, 0.5, 0))
    #expect(t.names == whole.names)
    #expect(t.rowCount == whole.rowCount)
    for name in whole.names {
        guard let a = whole.numbers(name), let b = t.numbers(name) else { Issue.record("column \(name)"); continue }
        for (x, y) in zip(a, b) {
            #expect(abs(x - y) <= 1e-9 * max(1, abs(x)), "\(name): \(x) vs \(y)")
        }
    }
    // A block without its halo is refused rather than giving wrong surfaces.
    let inner = Box(z: 2..<5, y: 3..<9, x: 3..<9)
    #expect(throws: VolumeError.self) {
        _ = try fitSurfaces(try cut(labels, inner), origin: inner.origin, global: s, frames: frames)
    }
}

@Test func normalizeOfBlocksEqualsTheWholeSlices() throws {
    let p = try phantom(size: Shape(z: 3, y: 70, x: 90), seed: 4, drift: 0.1)
    let peaks: [(Double, Double)] = [(150, 185), (152, 187), (149, 184)]
    // A steep map goes through the exact table instead of the vector kernels: both paths.
    for (reference, pk) in [((160.0, 190.0), peaks), ((20.0, 250.0), [(150.0, 152.0)])] {
        let whole = try normalize(p.image, to: reference, peaks: pk)
        guard let w = whole.u8?.pointer else { Issue.record("not u8"); return }
        for box in blocks(p.image.shape, Shape(z: 2, y: 17, x: 23)) {
            let part = try normalize(try cut(p.image, box), to: reference, peaks: pk.count == 1 ? pk : box.z.map { pk[$0] },
                                     origin: (box.y.lowerBound, box.x.lowerBound), sliceWidth: 90)
            guard let q = part.u8?.pointer else { Issue.record("not u8"); return }
            var same = true
            for z in box.z { for y in box.y { for x in box.x {
                let k = ((z - box.z.lowerBound) * box.y.count + y - box.y.lowerBound) * box.x.count + x - box.x.lowerBound
                if q[k] != w[(z * 70 + y) * 90 + x] { same = false }
            } } }
            #expect(same, "block \(box), reference \(reference)")
        }
    }
}
