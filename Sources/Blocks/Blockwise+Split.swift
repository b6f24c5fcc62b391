import _Platform
import Foundation
import Synchronization
import Kernels
import VolumeIO

// `split` of a chunked mask, object by object (see Kernels/Split+Objects.swift for why that is
// exact): the mask's components block by block; their boxes; units of whole objects (one
// object's crop in memory at a time per worker) for the deepest distances and then the splits;
// the labels of all objects numbered by first voxel; the output assembled block by block.
extension Blockwise {
    /// The bytes per crop voxel of one object's split: the crops read (mask, component labels,
    /// contour), the distance, the rough mask and its blur, the cores, the box's buffers.
    static let splitObjectCost = 48

    /// The memory one object's split may use beside the other workers (a block's share of the
    /// memory ceiling whatever `EMSH_BLOCK_BYTES` says: an object cannot be cut), and alone,
    /// when it runs after the others: half the ceiling (nothing else runs then; the per-object
    /// tables of the global passes are small beside it).
    static var objectBudget: Int {
        objectBudgetForTests.withLock { $0?.shared } ?? max(1 << 20, MemoryBudget.limit / 4 / BlockPlanner.inFlight)
    }
    static var loneObjectBudget: Int {
        objectBudgetForTests.withLock { $0?.alone } ?? max(objectBudget * BlockPlanner.inFlight, MemoryBudget.limit / 2)
    }
    static let objectBudgetForTests = Mutex<(shared: Int, alone: Int)?>(nil)

    /// Units of consecutive objects (unit u holds objects units[u]..<units[u + 1]) of at most
    /// `unitVoxels` crop voxels, except that an object of more than `loneVoxels` is a unit of its
    /// own, listed in `alone`.
    static func objectUnits(cropVoxels: [Int], unitVoxels: Int, loneVoxels: Int) -> (units: [Int], alone: [Int]) {
        var units = [0], alone: [Int] = [], inUnit = 0
        for (i, crop) in cropVoxels.enumerated() {
            let big = crop > loneVoxels
            if inUnit > 0 && (big || inUnit + crop > unitVoxels) { units.append(i); inUnit = 0 }
            inUnit += crop
            if big { alone.append(units.count - 1); units.append(i + 1); inUnit = 0 }
        }
        if units.last != cropVoxels.count { units.append(cropVoxels.count) }
        return (units, alone)
    }

    /// `split` on a chunked mask (and contour, of the same shape): labels identical to those of
    /// the in-memory command, `--min-voxels` included.
    public static func split(_ mask: ChunkedVolume, contour: ChunkedVolume? = nil, method: SplitMethod = .contour,
                             sigma: Double = 2, h: Double? = nil, coreLevel: Double = 0.999, twoD: Bool = false,
                             minVoxels: Int = 0) throws -> (labels: ChunkedVolume, count: Int) {
        if let c = contour, c.shape != mask.shape {
            throw BlockError("split: the contour is \(c.shape), the mask \(mask.shape)")
        }
        let sp = mask.spacing
        guard sigma.isFinite, sigma >= 0 else { throw BlockError("split: sigma must be ≥ 0") }
        guard sp.x > 0, sp.y > 0, sp.z > 0 else { throw BlockError("split: the voxel spacing must be positive") }
        if let h { guard h.isFinite, h >= 0 else { throw BlockError("split: h must be ≥ 0") } }
        let shape = mask.shape
        let k = "\(key(mask)) \(contour.map(key) ?? "-") \(method.rawValue) \(sigma.bitPattern) \(h?.bitPattern ?? 0) "
            + "\(coreLevel.bitPattern) \(twoD) \(minVoxels)"
        let (out, job) = try WorkStores.create(name: "split", key: k, shape: shape, chunks: mask.chunks, type: .u32,
                                               spacing: sp, kind: .labels)
        let work = out.path + "/.emsh-split"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        func stepJob(_ name: String) -> JobFolder { JobFolder(work + "/" + name) }

        // 1. The objects: the mask's components (they never interact) and their boxes.
        let (objects, n) = try components(mask, connectivity: twoD ? 18 : 26, twoD: twoD)
        let g = grid(for: objects, bytesPerVoxel: Cost.components)
        let found = ObjectBoxes.merged(try Execution.run(ObjectBoxesTask(grid: g, input: StoreRef(objects.array), label: "split 1/4"),
                                                         job: stepJob("boxes")).map(ObjectBoxesTask.boxes))
        guard found.ids == (0..<n).map({ UInt32($0 + 1) }) else {
            throw BlockError("split: the components of \(mask.path) do not number 1…\(n) (delete \(WorkStores.folder) and run again)")
        }
        let boxes = found.boxes
        let margin = splitMargin(method: method, sigma: sigma, spacing: sp, twoD: twoD)
        let depthMargin = splitMargin(method: .distance, sigma: sigma, spacing: sp, twoD: twoD)
        // Units of whole objects in id order (neighbours in scan order: their crops share chunks),
        // each at most a block's budget of crop voxels and small enough that every worker gets
        // several. An object too big to share the memory with other workers is a unit of its
        // own that runs alone; one too big for a process is refused before any work.
        var crops = 0
        for (i, b) in boxes.enumerated() {
            let crop = b.grown(by: margin, within: shape)
            guard crop.count * splitObjectCost <= loneObjectBudget else {
                throw BlockError("split: object \(i + 1) spans \(b.z.count)×\(b.y.count)×\(b.x.count) voxels (\(crop.count) with its "
                    + "margin, about \(formatBytes(crop.count * splitObjectCost)) to split, more than the \(formatBytes(loneObjectBudget)) "
                    + "a process may use; raise EMSH_MAX_MEMORY); split it in memory with a crop, or use a model that separates objects")
            }
            crops += crop.count
        }
        let unitVoxels = max(1, min(BlockPlanner.blockBudget / splitObjectCost, crops / (4 * BlockPlanner.inFlight)))
        let (units, alone) = objectUnits(cropVoxels: boxes.map { $0.grown(by: margin, within: shape).count },
                                        unitVoxels: unitVoxels, loneVoxels: objectBudget / splitObjectCost)
        let unitGrid = BlockGrid(shape: Shape(z: units.count - 1, y: 1, x: 1), block: Shape(z: 1, y: 1, x: 1))
        let objectsFile = work + "/objects.bin"

        // 2. The deepest distance of the block each object's flood fills: the volume, or with
        //    twoD the object's slice (the in-memory split's quantisation, exactly).
        var maxPrio = [Float](repeating: 0, count: n)
        if n > 0 {
            try SplitObjects(boxes: boxes, maxPrio: []).write(to: objectsFile)
            let parts = try Execution.run(SplitDepthTask(grid: unitGrid, mask: StoreRef(mask.array), objects: StoreRef(objects.array),
                                                         objectsFile: objectsFile, units: units, twoD: twoD,
                                                         margin: [depthMargin.z, depthMargin.y, depthMargin.x], alone: alone), job: stepJob("depth"))
            let depth = parts.flatMap { $0["depth"] }.map { Float($0) }
            guard depth.count == n else { throw BlockError("split: \(depth.count) depths for \(n) objects (delete the job folder and run again)") }
            var slice = [Float](repeating: 0, count: shape.z)
            for (i, d) in depth.enumerated() where d > slice[boxes[i].z.lowerBound] { slice[boxes[i].z.lowerBound] = d }
            let deepest = slice.max() ?? 0
            for i in 0..<n { maxPrio[i] = twoD ? slice[boxes[i].z.lowerBound] : deepest }
        }
        try SplitObjects(boxes: boxes, maxPrio: maxPrio).write(to: objectsFile)

        // 3. Every object split from its crops; its labels into its unit's result file.
        let results = work + "/results"
        var offset = [0], first: [UInt64] = [], sizes: [Int] = []
        if n > 0 {
            let parts = try Execution.run(SplitObjectsTask(grid: unitGrid, mask: StoreRef(mask.array), objects: StoreRef(objects.array),
                                                           contour: method == .contour ? contour.map { StoreRef($0.array) } : nil,
                                                           objectsFile: objectsFile, units: units, method: method.rawValue, sigma: sigma,
                                                           h: h, coreLevel: coreLevel, twoD: twoD,
                                                           margin: [margin.z, margin.y, margin.x], results: results, alone: alone), job: stepJob("objects"))
            for p in parts {
                for c in p["count"] { offset.append(offset.last! + Int(c)) }
                first += p["first"].map { UInt64($0) }
                sizes += p["sizes"].map { Int($0) }
            }
            guard offset.count == n + 1, first.count == offset.last!, sizes.count == first.count else {
                throw BlockError("split: the objects' results do not add up (delete the job folder and run again)")
            }
        }
        // 4. Final ids by first voxel (and --min-voxels), then the output block by block.
        let (ids, count) = splitNumbering(first: first, sizes: sizes, minVoxels: minVoxels)
        var numbering = Partial()
        numbering["offset"] = offset.map { Double($0) }
        numbering["ids"] = ids.map { Double($0) }
        let numberingFile = work + "/numbering.bin"
        try writeAtomically(numbering.encoded(), to: numberingFile)
        let outVolume = ChunkedVolume(out)
        try Execution.run(SplitAssembleTask(grid: grid(for: outVolume, bytesPerVoxel: Cost.splitAssemble), output: StoreRef(out),
                                            objectsFile: objectsFile, units: units, results: results, numberingFile: numberingFile),
                          job: job)
        if !Execution.resume {
            try? FileManager.default.removeItem(atPath: work)
            try? FileManager.default.removeItem(atPath: objects.path)
        }
        return (outVolume, count)
    }
}
