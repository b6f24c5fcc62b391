import Foundation
import Kernels
import VolumeIO

// The three block steps of `components` (see Kernels/Components+Blocks.swift): label every block
// on its own, list the ids that touch across block faces, relabel through the merged map.

/// Step 1: each block labelled on its own (ids 1…n); reports n and each label's first voxel.
struct LabelBlocksTask: BlockTask {
    static let kind = "components-label"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    let connectivity: Int
    let twoD: Bool
    var label: String { "components 1/3" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open(), dst = try output.open()
        let global = src.shape
        return { b in
            let box = grid.box(b)
            let (labels, n) = try components(try src.read(box), connectivity: connectivity, twoD: twoD)
            try dst.write(labels, at: box)
            var p = Partial()
            p["count"] = [Double(n)]
            p["first"] = try firstVoxels(of: labels, count: n, origin: box.origin, global: global).map { Double($0) }
            return p
        }
    }
}

/// Step 2: the pairs of provisional ids (block offset + local id) touching across each block's faces.
struct TouchingPairsTask: BlockTask {
    static let kind = "components-pairs"
    let grid: BlockGrid
    let provisional: StoreRef
    /// Each block's offset (the label counts of the blocks before it).
    let offsets: [Int]
    let connectivity: Int
    let twoD: Bool
    var label: String { "components 2/3" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try provisional.open()
        let shape = src.shape
        return { b in
            let box = grid.box(b)
            let outer = box.grown(by: (twoD ? 0 : 1, 1, 1), within: shape)
            let v = try src.read(outer)
            try offsetPieces(v, outer: outer)
            var p = Partial()
            let pairs = try touchingPairs(v, core: box.relative(to: outer), connectivity: connectivity, twoD: twoD)
            p["a"] = pairs.map { Double($0.0) }
            p["b"] = pairs.map { Double($0.1) }
            return p
        }
    }

    /// Adds each block's offset to its voxels of `v` (a box read across several blocks).
    func offsetPieces(_ v: Volume, outer: Box) throws {
        guard let p = v.u32?.pointer else { throw BlockError("components: the provisional labels are not u32") }
        let ny = outer.y.count, nx = outer.x.count
        for (block, part) in grid.pieces(of: outer) {
            let off = UInt32(offsets[block])
            if off == 0 { continue }
            let r = part.relative(to: outer)
            for z in r.z { for y in r.y {
                let row = p + (z * ny + y) * nx
                for x in r.x where row[x] != 0 { row[x] &+= off }
            } }
        }
    }
}

/// Step 3 (and any renumbering of a label store): ids through a map kept in a file of the job.
struct RelabelTask: BlockMapTask {
    static let kind = "relabel"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    let offsets: [Int]
    /// Little-endian u32 map: provisional id → final id.
    let mapFile: String
    let count: Int
    var label: String { "components 3/3" }

    func makeMap(_ src: ZarrArray) throws -> @Sendable (Volume, Int, Box) throws -> Volume {
        guard let data = FileManager.default.contents(atPath: mapFile), data.count % 4 == 0 else {
            throw BlockError("\(mapFile): the label map is missing or truncated")
        }
        let map = data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) } }
        let merge = ComponentMerge(offsets: offsets, finalIds: map, count: count)
        return { v, b, _ in try merge.relabel(v, block: b) }
    }

    static func writeMap(_ ids: [UInt32], to path: String) throws {
        var d = Data(capacity: ids.count * 4)
        for v in ids { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        try writeAtomically(d, to: path)
    }
}
