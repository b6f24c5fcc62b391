import Foundation
import Testing
@testable import Blocks
import Kernels
import Learning
import VolumeIO

/// Block-wise commands against the in-memory ones on a phantom written into stores with small
/// chunks and small blocks, so that objects cross block faces, edges and corners.
@Suite(.serialized) struct BlockwiseTests {
    static let size = Shape(z: 10, y: 72, x: 88)
    let work: String

    init() throws {
        work = NSTemporaryDirectory() + "emsh-blocks-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
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

    @Test func inferEqualsTheInMemoryCommandWithThreeFrames() throws {
        let s = try phantomStores()
        let m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2), seed: 1, inputMean: 160, inputStd: 30)
        let p = try Blockwise.infer(models: [m], s.image, tile: 32, overlap: 8)
        let whole = try infer(models: [m], volume: try s.image.readAll(), tile: 32, overlap: 8, showProgress: false)
        #expect(p.type == .f32)
        #expect(bytes(try p.readAll()) == bytes(whole))
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
