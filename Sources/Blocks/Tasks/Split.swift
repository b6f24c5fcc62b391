import Foundation
import Kernels
import VolumeIO

// The object steps of `split` on a chunked mask (see Blockwise+Split.swift): the objects' boxes
// block by block, then units of whole objects (the grid [units, 1, 1]): their deepest distances,
// their splits into per-unit result files, and finally the labels assembled block by block from
// the result files of the objects each block meets (one writer per chunk).

/// Step 1: the boxes and voxel counts of the mask's components in every block.
struct ObjectBoxesTask: BlockTask {
    static let kind = "split-boxes"
    let grid: BlockGrid
    let input: StoreRef
    /// The step's name in the progress bar (split's and mesh's first step).
    let label: String

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open()
        return { b in
            let box = grid.box(b)
            let o = try objectBoxes(try src.read(box), origin: box.origin)
            var p = Partial()
            p["ids"] = o.ids.map { Double($0) }
            p["box"] = o.boxes.flatMap { SplitObjects.numbers($0) }
            p["voxels"] = o.voxels.map { Double($0) }
            return p
        }
    }

    static func boxes(_ p: Partial) -> ObjectBoxes {
        var o = ObjectBoxes()
        o.ids = p["ids"].map { UInt32($0) }
        let b = p["box"]
        o.boxes = o.ids.indices.map { SplitObjects.box(b, $0) }
        o.voxels = p["voxels"].map { Int($0) }
        return o
    }
}

/// The objects of a split, kept in a file of the job (object k has id k + 1): boxes, and the
/// deepest distance of the block each one's flood fills (once known); and the units of work,
/// as ranges of objects.
struct SplitObjects {
    /// The decoded chunks a process keeps per store while it splits objects.
    static var cacheBytes: Int { max(16 << 20, BlockPlanner.blockBudget / 4) }

    var boxes: [Box]
    var maxPrio: [Float]

    static func numbers(_ b: Box) -> [Double] {
        [b.z.lowerBound, b.z.upperBound, b.y.lowerBound, b.y.upperBound, b.x.lowerBound, b.x.upperBound].map { Double($0) }
    }
    static func box(_ a: [Double], _ k: Int) -> Box {
        Box(z: Int(a[6 * k])..<Int(a[6 * k + 1]), y: Int(a[6 * k + 2])..<Int(a[6 * k + 3]), x: Int(a[6 * k + 4])..<Int(a[6 * k + 5]))
    }

    func write(to path: String) throws {
        var p = Partial()
        p["box"] = boxes.flatMap { SplitObjects.numbers($0) }
        p["maxPrio"] = maxPrio.map { Double($0) }   // a Float is exact as a Double
        try writeAtomically(p.encoded(), to: path)
    }

    static func read(_ path: String) throws -> SplitObjects {
        let p = try Partial(jobFile: path, missing: "the split's object list is missing")
        let b = p["box"]
        return SplitObjects(boxes: (0..<(b.count / 6)).map { box(b, $0) }, maxPrio: p["maxPrio"].map { Float($0) })
    }
}

/// Step 2: per object of a unit, the deepest finite squared distance among its voxels.
struct SplitDepthTask: ObjectUnitsTask {
    static let kind = "split-depth"
    let grid: BlockGrid
    let mask: StoreRef
    let objects: StoreRef
    let objectsFile: String
    let units: [Int]
    let twoD: Bool
    /// The distance transform's margin [z, y, x] (`splitMargin` of the distance method).
    let margin: [Int]
    let alone: [Int]
    var label: String { "split 2/4" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let m = try mask.open(), o = try objects.open()
        let list = try SplitObjects.read(objectsFile)
        let shape = m.shape
        let mc = ChunkCache(m, capacity: SplitObjects.cacheBytes), oc = ChunkCache(o, capacity: SplitObjects.cacheBytes)
        return { u in
            var depth: [Double] = []
            for k in units[u]..<units[u + 1] {
                try Cancellation.check()
                let crop = list.boxes[k].grown(by: (margin[0], margin[1], margin[2]), within: shape)
                depth.append(Double(try splitDepth(mask: try mc.read(crop), objects: try oc.read(crop), id: UInt32(k + 1), twoD: twoD)))
            }
            var p = Partial()
            p["depth"] = depth
            return p
        }
    }
}

/// Step 3: every object of a unit split from crops of its box (`splitObject`); the labels over
/// the boxes go into the unit's result file (u32, little-endian, the objects' boxes one after the
/// other), the label counts, first voxels and sizes into the partial.
struct SplitObjectsTask: ObjectUnitsTask {
    static let kind = "split-objects"
    let grid: BlockGrid
    let mask: StoreRef
    let objects: StoreRef
    let contour: StoreRef?
    let objectsFile: String
    let units: [Int]
    let method: String
    let sigma: Double
    let h: Double?
    let coreLevel: Double
    let twoD: Bool
    let margin: [Int]
    let results: String
    let alone: [Int]
    var label: String { "split 3/4" }
    static let resultExtension = "u32"

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let m = try mask.open(), o = try objects.open(), c = try contour?.open()
        let list = try SplitObjects.read(objectsFile)
        let shape = m.shape
        guard let how = SplitMethod(rawValue: method) else { throw BlockError("split: unknown method '\(method)'") }
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: true)
        let mc = ChunkCache(m, capacity: SplitObjects.cacheBytes), oc = ChunkCache(o, capacity: SplitObjects.cacheBytes)
        let cc = c.map { ChunkCache($0, capacity: SplitObjects.cacheBytes) }
        return { u in
            var data = Data()
            var p = Partial()
            var counts: [Double] = [], first: [Double] = [], sizes: [Double] = []
            for k in units[u]..<units[u + 1] {
                try Cancellation.check()
                let box = list.boxes[k]
                let crop = box.grown(by: (margin[0], margin[1], margin[2]), within: shape)
                let s = try splitObject(mask: try mc.read(crop), contour: try cc?.read(crop), objects: try oc.read(crop),
                                        id: UInt32(k + 1), box: box, crop: crop, global: shape, method: how, sigma: sigma,
                                        h: h, coreLevel: coreLevel, twoD: twoD, maxPrio: list.maxPrio[k])
                s.labels.withUnsafeBytes { data.append(contentsOf: $0) }   // little-endian, as every host emsh runs on
                counts.append(Double(s.count))
                first += s.first.map { Double($0) }
                sizes += s.sizes.map { Double($0) }
            }
            try writeAtomically(data, to: SplitObjectsTask.resultFile(results, unit: u))
            p["count"] = counts; p["first"] = first; p["sizes"] = sizes
            return p
        }
    }
}

/// Step 4: every block of the output assembled from the objects whose boxes meet it: their
/// labels read from the result files (only the rows inside the block), in final ids.
struct SplitAssembleTask: BlockTask {
    static let kind = "split-assemble"
    let grid: BlockGrid
    let output: StoreRef
    let objectsFile: String
    let units: [Int]
    let results: String
    /// A partial: "offset" (object k's labels are slots offset[k]..<offset[k + 1]) and "ids"
    /// (slot → final id, 0 for a dropped label).
    let numberingFile: String
    var label: String { "split 4/4" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let dst = try output.open()
        let list = try SplitObjects.read(objectsFile)
        let numbering = try Partial(jobFile: numberingFile, missing: "the split's numbering is missing")
        let offset = numbering["offset"].map { Int($0) }, ids = numbering["ids"].map { UInt32($0) }
        guard offset.count == list.boxes.count + 1 else { throw BlockError("\(numberingFile): does not match the objects") }
        // Each object's unit and byte offset in the unit's file; the objects meeting each block.
        var unitOf = [Int](repeating: 0, count: list.boxes.count), byteOffset = [Int](repeating: 0, count: list.boxes.count)
        for u in 0..<(units.count - 1) {
            var at = 0
            for k in units[u]..<units[u + 1] { unitOf[k] = u; byteOffset[k] = at; at += list.boxes[k].count * 4 }
        }
        var meeting = [[(object: Int, part: Box)]](repeating: [], count: grid.count)
        for (k, box) in list.boxes.enumerated() { for (b, part) in grid.pieces(of: box) { meeting[b].append((k, part)) } }
        let lists = meeting, unitOfObject = unitOf, bytes = byteOffset
        return { b in
            let block = grid.box(b)
            let out = VoxelBuffer<UInt32>(zeroed: block.count)
            let o = out.pointer, ny = block.y.count, nx = block.x.count
            var fd: Int32 = -1, openUnit = -1
            defer { if fd >= 0 { close(fd) } }
            for (k, part) in lists[b] {
                try Cancellation.check()
                let u = unitOfObject[k]
                if u != openUnit {
                    if fd >= 0 { close(fd) }
                    let path = SplitObjectsTask.resultFile(results, unit: u)
                    fd = open(path, O_RDONLY)
                    guard fd >= 0 else { throw BlockError("\(path): cannot read an object's labels: \(String(cString: strerror(errno)))") }
                    openUnit = u
                }
                let box = list.boxes[k], w = part.x.count, labelCount = offset[k + 1] - offset[k]
                var row = [UInt32](repeating: 0, count: w)
                for z in part.z {
                    for y in part.y {
                        let at = bytes[k] + (((z - box.z.lowerBound) * box.y.count + y - box.y.lowerBound) * box.x.count
                                             + part.x.lowerBound - box.x.lowerBound) * 4
                        let got = row.withUnsafeMutableBytes { pread(fd, $0.baseAddress, w * 4, off_t(at)) }
                        guard got == w * 4 else {
                            throw BlockError("\(SplitObjectsTask.resultFile(results, unit: u)): truncated (delete the job folder and run again)")
                        }
                        let dstRow = o + ((z - block.z.lowerBound) * ny + y - block.y.lowerBound) * nx + part.x.lowerBound - block.x.lowerBound
                        for x in 0..<w {
                            let l = Int(UInt32(littleEndian: row[x]))
                            if l == 0 { continue }
                            guard l <= labelCount else { throw BlockError("split: object \(k + 1) holds label \(l) of \(labelCount)") }
                            dstRow[x] = ids[offset[k] + l - 1]
                        }
                    }
                }
            }
            try dst.write(Volume(shape: block.shape, spacing: dst.spacing, kind: .labels, storage: .u32(out)), at: block)
            return nil
        }
    }
}
