import _Platform
import Foundation
import Testing
@testable import Blocks
import Kernels
import Learning
import VolumeIO
import TestSupport

/// Block-wise commands against the in-memory ones on a phantom written into stores with small
/// chunks and small blocks, so that objects cross block faces, edges and corners.
@Suite(.serialized) struct BlockwiseTests {
    static let size = Shape(z: 10, y: 72, x: 88)
    let work: String

    init() throws {
        work = try temporaryFolder("blocks")
        setenv("EMSH_WORK", work + "/work", 1)
        setenv("EMSH_BLOCK_BYTES", "64K", 1)   // blocks of a few chunks
        Execution.kind = .local
        Execution.resume = false
    }

    func phantomStores(drift: Double = 0.1) throws -> (image: ChunkedVolume, mask: ChunkedVolume, labels: ChunkedVolume, contour: ChunkedVolume, count: Int) {
        try Blockwise.phantom(size: Self.size, seed: 3, drift: drift, folder: work + "/phantom", chunks: Shape(z: 3, y: 16, x: 24))
    }

    func bytes(_ v: Volume) -> [UInt8] {
        [UInt8](UnsafeRawBufferPointer(start: v.storage.rawPointer, count: v.byteCount))
    }

    @Test func phantomStoresHoldThePhantom() throws {
        let s = try phantomStores()
        let p = try phantom(size: Self.size, seed: 3, drift: 0.1)
        #expect(s.count == p.objectCount)
        #expect(bytes(try s.image.readAll()) == bytes(p.image))
        #expect(bytes(try s.labels.readAll()) == bytes(p.labels))
        #expect(bytes(try s.mask.readAll()) == bytes(p.mask))
        #expect(bytes(try s.contour.readAll()) == bytes(p.contour))
        #expect(s.labels.kind == .labels && s.mask.kind == .mask)
        #expect(s.image.spacing == p.image.spacing)
        // The grid really cuts the volume: several blocks along every axis.
        let g = Blockwise.grid(for: s.labels, bytesPerVoxel: Blockwise.Cost.components)
        #expect(g.counts.allSatisfy { $0 > 1 }, "\(g.counts)")
    }

    @Test func savedStoresKeepTheVoxelsAndNameThemselvesNotTheirTemporaryFolder() throws {
        // Both saves write under PATH.partial and rename; the NGFF multiscales name is the final one.
        let s = try phantomStores()
        try Blockwise.save(s.image, to: work + "/copy.zarr", chunks: Shape(z: 2, y: 32, x: 32))
        try Blockwise.save(try s.labels.readAll(), to: work + "/labels.zarr/")
        #expect(bytes(try ChunkedVolume.open(work + "/copy.zarr").readAll()) == bytes(try s.image.readAll()))
        #expect(bytes(try ChunkedVolume.open(work + "/labels.zarr").readAll()) == bytes(try s.labels.readAll()))
        for name in ["copy.zarr", "labels.zarr"] {
            let attrs = try String(contentsOfFile: work + "/" + name + "/.zattrs", encoding: .utf8)
            #expect(attrs.contains("\"name\": \"\(name)\""), "\(attrs)")
            #expect(!attrs.contains("partial"))
        }
    }

    @Test func histogramNormalizeThresholdEqualTheInMemoryCommands() throws {
        let s = try phantomStores()
        let image = try s.image.readAll()
        let h = try Blockwise.histogram(s.image)
        let hw = try histogram(image)
        #expect(h.sliceCount == hw.sliceCount && h.lo == hw.lo && h.hi == hw.hi)
        #expect(h.perSlice == hw.perSlice, "histograms differ: \(h.perSlice.reduce(0, +)) vs \(hw.perSlice.reduce(0, +)) voxels")
        let found = try peaks(h, count: 2)
        let pairs = found.perSlice.map { ($0![0], $0![1]) }
        let n = try Blockwise.normalize(s.image, to: (160, 190), peaks: pairs)
        #expect(bytes(try n.readAll()) == bytes(try normalize(image, to: (160, 190), peaks: pairs)))
        let t = try Blockwise.threshold(n, 170)
        #expect(t.kind == .mask)
        #expect(bytes(try t.readAll()) == bytes(try threshold(try n.readAll(), 170)))
    }

    @Test func componentsAndFitEqualTheInMemoryCommands() throws {
        let s = try phantomStores()
        let mask = try s.mask.readAll()
        for conn in [6, 26] {
            let (labels, count) = try Blockwise.components(s.mask, connectivity: conn)
            let (whole, n) = try components(mask, connectivity: conn)
            #expect(count == n)
            #expect(bytes(try labels.readAll()) == bytes(whole), "connectivity \(conn)")
        }
        let labels = try s.labels.readAll()
        let t = try Blockwise.fit(s.labels, axis: (1, 0, 0))
        let w = try fit(labels, axis: (1, 0, 0))
        #expect(t.names == w.names && t.rowCount == w.rowCount && t.rowCount == s.count)
        for name in w.names {
            for (a, b) in zip(w.numbers(name) ?? [], t.numbers(name) ?? []) {
                #expect(abs(a - b) <= 1e-9 * max(1, abs(a)), "\(name): \(a) vs \(b)")
            }
        }
        #expect(try Blockwise.stats(s.labels) == (try stats(labels)))
    }

    @Test func meshWritesTheInMemoryCommandsFile() throws {
        let s = try phantomStores()
        let labels = try s.labels.readAll()
        let whole = try mesh(labels)
        // The objects cross blocks, and units hold several objects; one more file for the small
        // budget that gives every object its own unit.
        for (format, budget) in [("ply", nil), ("stl", nil), ("ply", 4096)] as [(String, Int?)] {
            Blockwise.objectBudgetForTests.withLock { $0 = budget.map { ($0, 1 << 30) } }
            defer { Blockwise.objectBudgetForTests.withLock { $0 = nil } }
            let a = work + "/blocks.\(format)", b = work + "/memory.\(format)"
            let written = try Blockwise.mesh(s.labels, to: a)
            try MeshFile.write(whole, to: b)
            #expect(written.objects == s.count && written.triangles == whole.triangleCount && written.vertices == whole.vertexCount)
            #expect(FileManager.default.contents(atPath: a) == FileManager.default.contents(atPath: b), "\(format), budget \(String(describing: budget))")
        }
        #expect(throws: (any Error).self) { try Blockwise.mesh(s.labels, to: work + "/x.obj") }
        #expect(!FileManager.default.fileExists(atPath: work + "/x.obj"))
    }

    @Test func inferEqualsTheInMemoryCommandWithThreeFrames() throws {
        let s = try phantomStores()
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2), seed: 1, inputMean: 160, inputStd: 30)
        let p = try Blockwise.infer(models: [m], s.image, tile: 32, overlap: 8)
        let whole = try infer(models: [m], volume: try s.image.readAll(), tile: 32, overlap: 8, showProgress: false)
        #expect(p.type == .f32)
        #expect(bytes(try p.readAll()) == bytes(whole))
    }

    @Test func inferEqualsTheInMemoryCommandWithABinnedModel() throws {
        let s = try phantomStores()
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2, bin: 2), seed: 3, inputMean: 160, inputStd: 30)
        let p = try Blockwise.infer(models: [m], s.image, tile: 16, overlap: 4)
        let whole = try infer(models: [m], volume: try s.image.readAll(), tile: 16, overlap: 4, showProgress: false)
        #expect(bytes(try p.readAll()) == bytes(whole))
    }

    /// Crowded random spheroids (touching objects the split separates, some small) and their
    /// outlines, written as stores with the phantom's small chunks.
    func crowdedStores(count: Int, seed: UInt64) throws -> (mask: ChunkedVolume, contour: ChunkedVolume) {
        let s = Self.size, sp = Spacing(x: 7.3, y: 7.3, z: 41.7)
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { Double(rng.next() % 1_000_000) / 1_000_000 }
        var labels = [UInt32](repeating: 0, count: s.count)
        for k in 0..<count {
            let c = (uniform() * Double(s.z), uniform() * Double(s.y), uniform() * Double(s.x))
            let r = (0.8 + 2.5 * uniform(), 2 + 7 * uniform(), 2 + 9 * uniform())   // voxels along z, y, x
            for z in max(0, Int(c.0 - r.0))...min(s.z - 1, Int(c.0 + r.0)) {
                for y in max(0, Int(c.1 - r.1))...min(s.y - 1, Int(c.1 + r.1)) {
                    for x in max(0, Int(c.2 - r.2))...min(s.x - 1, Int(c.2 + r.2)) {
                        let d = pow((Double(z) - c.0) / r.0, 2) + pow((Double(y) - c.1) / r.1, 2) + pow((Double(x) - c.2) / r.2, 2)
                        if d <= 1 { labels[(z * s.y + y) * s.x + x] = UInt32(k + 1) }
                    }
                }
            }
        }
        let lv = Volume(shape: s, spacing: sp, kind: .labels, storage: .u32(VoxelBuffer(labels)))
        let chunks = Shape(z: 3, y: 16, x: 24)
        try Blockwise.save(try voxelwise(.gt, lv, 0, scalarOnLeft: false), to: work + "/crowded-mask.zarr", chunks: chunks)
        try Blockwise.save(try contour(lv, width: 1), to: work + "/crowded-contour.zarr", chunks: chunks)
        return (try ChunkedVolume.open(work + "/crowded-mask.zarr"), try ChunkedVolume.open(work + "/crowded-contour.zarr"))
    }

    /// `Blockwise.split` against `split` (and `removeSmallObjects`) of the whole volume.
    func expectSplitEqualsTheInMemoryCommand(_ m: ChunkedVolume, _ c: ChunkedVolume, _ cases: [(SplitMethod, Bool, Bool, Int)],
                                             _ name: String) throws -> (objects: Int, labels: [String: Int]) {
        let mask = try m.readAll(), contour = try c.readAll()
        let (_, objects) = try components(mask, connectivity: 26)
        var counts: [String: Int] = [:]
        for (method, withContour, twoD, minVoxels) in cases {
            let what = "\(name): \(method) contour \(withContour) twoD \(twoD) min-voxels \(minVoxels)"
            let (labels, count) = try Blockwise.split(m, contour: withContour ? c : nil, method: method, sigma: 1,
                                                      twoD: twoD, minVoxels: minVoxels)
            var (whole, n) = try split(mask, contour: withContour ? contour : nil, method: method, sigma: 1, twoD: twoD)
            counts[what] = n
            if minVoxels > 1 {
                let before = n
                (whole, n) = try removeSmallObjects(whole, minVoxels: minVoxels)
                #expect(n < before, "\(what): min-voxels drops something")
            }
            #expect(labels.type == .u32 && labels.kind == .labels && labels.chunks == m.chunks)
            #expect(count == n, "\(what)")
            #expect(bytes(try labels.readAll()) == bytes(whole), "\(what)")
        }
        return (objects, counts)
    }

    @Test func splitEqualsTheInMemoryCommandOnThePhantom() throws {
        // A phantom whose two mitochondria touch: one component, split in two.
        let s = try Blockwise.phantom(size: Shape(z: 8, y: 96, x: 112), seed: 3, drift: 0.1, folder: work + "/phantom2",
                                      chunks: Shape(z: 3, y: 16, x: 24))
        let (objects, counts) = try expectSplitEqualsTheInMemoryCommand(s.mask, s.contour, [
            (.contour, true, false, 0), (.contour, true, true, 0), (.distance, false, false, 0), (.distance, false, true, 0),
            (.distance, false, true, 1500),
        ], "phantom")
        #expect(objects == 1 && counts["phantom: contour contour true twoD false min-voxels 0"] == 2, "\(objects) \(counts)")
        #expect(Blockwise.grid(for: s.mask, bytesPerVoxel: Blockwise.Cost.components).counts.allSatisfy { $0 > 1 })
    }

    @Test func splitEqualsTheInMemoryCommandOnCrowdedObjects() throws {
        let (mask, contour) = try crowdedStores(count: 45, seed: 11)
        let (objects, counts) = try expectSplitEqualsTheInMemoryCommand(mask, contour, [
            (.contour, true, false, 0), (.contour, true, true, 0), (.contour, false, false, 0),
            (.distance, false, false, 0), (.distance, false, true, 0), (.contour, true, false, 60), (.distance, false, false, 200),
        ], "crowded")
        let c3 = counts["crowded: contour contour true twoD false min-voxels 0"] ?? 0
        #expect(objects > 5 && c3 > objects + 5, "the objects split: \(c3) labels from \(objects) objects")
    }

    @Test func splitRefusesAnObjectLargerThanAWorkerMayHold() throws {
        let s = try phantomStores()
        Blockwise.objectBudgetForTests.withLock { $0 = (1 << 16, 1 << 16) }
        defer { Blockwise.objectBudgetForTests.withLock { $0 = nil } }
        do {
            _ = try Blockwise.split(s.mask, contour: s.contour, method: .contour, sigma: 1)
            Issue.record("expected an error")
        } catch let e as BlockError {
            #expect(e.description.contains("spans") && e.description.contains("split it in memory with a crop"), "\(e)")
        }
    }

    @Test func objectsTooBigToShareAWorkersMemoryRunAlone() throws {
        // Units: small objects together up to 10 voxels, an object over 6 voxels on its own.
        let (units, alone) = Blockwise.objectUnits(cropVoxels: [3, 4, 7, 2, 2, 9, 5, 8], unitVoxels: 10, loneVoxels: 6)
        #expect(units == [0, 2, 3, 5, 6, 7, 8] && alone == [1, 3, 5], "\(units) \(alone)")
        #expect(Blockwise.objectUnits(cropVoxels: [], unitVoxels: 10, loneVoxels: 6) == ([0], []))
        // The phantom's objects with a budget that makes the bigger ones run alone: the same labels.
        let s = try phantomStores()
        Blockwise.objectBudgetForTests.withLock { $0 = (1 << 16, 1 << 30) }
        defer { Blockwise.objectBudgetForTests.withLock { $0 = nil } }
        _ = try expectSplitEqualsTheInMemoryCommand(s.mask, s.contour, [(.contour, true, false, 0), (.distance, false, false, 0)],
                                                    "alone")
    }

    @Test func finishedBlocksAreKeptWhenResuming() throws {
        let s = try phantomStores()
        Execution.resume = true
        defer { Execution.resume = false }
        let first = try Blockwise.threshold(s.image, 150)
        // Damage one finished chunk: a resumed run trusts the done-markers and keeps it.
        let g = Blockwise.grid(for: s.image, bytesPerVoxel: Blockwise.Cost.voxelwise)
        let box = g.box(0)
        let zeros = Volume(zeros: box.shape, type: .u8, spacing: s.image.spacing, kind: .mask)
        try first.array.write(zeros, at: box)
        let again = try Blockwise.threshold(s.image, 150)
        #expect(again.path == first.path)
        #expect((try again.read(box)).u8?.array == zeros.u8?.array)
        // Without resume the step starts afresh and the block is right again.
        Execution.resume = false
        let fresh = try Blockwise.threshold(s.image, 150)
        #expect(bytes(try fresh.read(box)) == bytes(try threshold(try s.image.read(box), 150)))
    }
}

/// Block results carry counts and voxel indices as doubles: every integer below 2⁵³ survives.
@Test func partialsRoundTripLargeIntegers() throws {
    var p = Partial()
    let counts: [UInt64] = [0, 1, 4096, 1 << 40, (1 << 53) - 1]
    p["counts"] = counts.map { Double($0) }
    p["empty"] = []
    let back = try Partial(decoding: p.encoded(), path: "test")
    #expect(back == p)
    #expect(back["counts"].map { UInt64($0) } == counts)
    #expect(throws: BlockError.self) { _ = try Partial(decoding: p.encoded().dropLast(3), path: "test") }
}
