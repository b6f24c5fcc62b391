import _Platform
import Foundation
import Kernels
import Learning
import VolumeIO

/// The block-wise commands: each plans a grid over the store, runs a `BlockTask` (here or on
/// Slurm) and does the small global pass itself. Results on a volume that fits in memory equal
/// those of the in-memory commands: voxels and labels bit for bit, fit tables to rounding.
public enum Blockwise {
    /// The working bytes per voxel of each step (input, output and scratch), for `BlockPlanner`.
    enum Cost {
        static let voxelwise = 6, histogram = 1, normalize = 3, infer = 12, components = 16, fit = 12, phantom = 16, splitAssemble = 8
    }

    static func grid(for v: ChunkedVolume, bytesPerVoxel: Int, wholeSlices: Bool = false) -> BlockGrid {
        BlockGrid(shape: v.shape, block: BlockPlanner.blockShape(volume: v.shape, chunks: v.chunks, bytesPerVoxel: bytesPerVoxel,
                                                                 wholeSlices: wholeSlices))
    }

    /// What identifies an input in a result's name: its path, level, shape and type.
    static func key(_ v: ChunkedVolume) -> String { "\(v.path)#\(v.array.level) \(v.shape) \(v.type.rawValue)" }

    /// The per-slice histogram of a u8 store.
    public static func histogram(_ v: ChunkedVolume) throws -> Histogram {
        guard v.type == .u8 else {
            throw BlockError("histogram: block by block only for 8-bit volumes (\(v.path) is \(v.type.rawValue)); load a crop to histogram it in memory")
        }
        let g = grid(for: v, bytesPerVoxel: Cost.histogram)
        let job = JobFolder(WorkStores.folder + "/histogram-" + Digest.hex(of: key(v)))
        if !Execution.resume { try? FileManager.default.removeItem(atPath: job.path) }
        let parts = try Execution.run(HistogramTask(grid: g, input: StoreRef(v.array)), job: job)
        return HistogramTask.merge(parts, slices: v.shape.z)
    }

    /// `normalize` with one peak pair, or one per slice.
    public static func normalize(_ v: ChunkedVolume, to reference: (Double, Double), peaks: [(Double, Double)],
                                 dither: Bool = true) throws -> ChunkedVolume {
        let outType: VoxelType = v.type == .u8 ? .u8 : .f32
        let g = grid(for: v, bytesPerVoxel: Cost.normalize * (outType == .f32 ? 3 : 1))
        let pk = peaks.map { [$0.0, $0.1] }
        let (out, job) = try WorkStores.create(name: "normalize", key: "\(key(v)) \(reference) \(pk) \(dither)",
                                               shape: v.shape, chunks: v.chunks, type: outType, spacing: v.spacing, kind: .image)
        try Execution.run(NormalizeTask(grid: g, input: StoreRef(v.array), output: StoreRef(out),
                                        reference: [reference.0, reference.1], peaks: pk, dither: dither), job: job)
        return ChunkedVolume(out)
    }

    /// `threshold`: p ≥ t → 1, as a mask store.
    public static func threshold(_ v: ChunkedVolume, _ t: Double) throws -> ChunkedVolume {
        let (out, job) = try WorkStores.create(name: "threshold", key: "\(key(v)) \(t.bitPattern)",
                                               shape: v.shape, chunks: v.chunks, type: .u8, spacing: v.spacing, kind: .mask)
        try Execution.run(ThresholdTask(grid: grid(for: v, bytesPerVoxel: Cost.voxelwise), input: StoreRef(v.array),
                                        output: StoreRef(out), threshold: t), job: job)
        return ChunkedVolume(out)
    }

    /// `infer` with one model or an ensemble, as an f32 probability store. The models are saved
    /// into the work folder first, where every Slurm task can read them.
    public static func infer(models: [Model], _ v: ChunkedVolume, tile: Int = 512, overlap: Int = 32, tta: Int = 1) throws -> ChunkedVolume {
        guard !models.isEmpty else { throw BlockError("infer needs at least one model") }
        var paths: [String] = []
        var modelKey = ""
        for m in models {
            let bytes = m.encode()
            let digest = Digest.hex(of: String(decoding: bytes.prefix(1 << 16), as: UTF8.self) + "\(bytes.count)"
                                              + String(bytes.reduce(UInt64(0)) { ($0 &* 31) &+ UInt64($1) }))
            let path = WorkStores.folder + "/models/" + digest + ".emodel"
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(atPath: WorkStores.folder + "/models", withIntermediateDirectories: true)
                try writeAtomically(Data(bytes), to: path)
            }
            paths.append(path)
            modelKey += digest
        }
        let (block, chunks) = BlockPlanner.slabs(volume: v.shape, chunks: v.chunks, bytesPerVoxel: Cost.infer)
        let g = BlockGrid(shape: v.shape, block: block)
        let (out, job) = try WorkStores.create(name: "infer", key: "\(key(v)) \(modelKey) \(tile) \(overlap) \(tta)",
                                               shape: v.shape, chunks: chunks, type: .f32, spacing: v.spacing, kind: .image)
        try Execution.run(InferTask(grid: g, input: StoreRef(v.array), output: StoreRef(out), models: paths,
                                    tile: tile, overlap: overlap, tta: tta), job: job)
        return ChunkedVolume(out)
    }

    /// `components`: labels numbered in scan order, identical to the in-memory command's.
    public static func components(_ v: ChunkedVolume, connectivity: Int, twoD: Bool = false) throws -> (labels: ChunkedVolume, count: Int) {
        guard [6, 18, 26].contains(connectivity) else {
            throw BlockError("components: connectivity must be 6, 18 or 26, not \(connectivity)")
        }
        let g = grid(for: v, bytesPerVoxel: Cost.components)
        let k = "\(key(v)) \(connectivity) \(twoD)"
        let (prov, job1) = try WorkStores.create(name: "components-provisional", key: k, shape: v.shape, chunks: v.chunks,
                                                 type: .u32, spacing: v.spacing, kind: .labels)
        let labelled = try Execution.run(LabelBlocksTask(grid: g, input: StoreRef(v.array), output: StoreRef(prov),
                                                         connectivity: connectivity, twoD: twoD), job: job1)
        let counts = labelled.map { Int($0["count"].first ?? 0) }
        let firsts = labelled.map { $0["first"].map { UInt64($0) } }
        var offsets: [Int] = [], total = 0
        for c in counts { offsets.append(total); total += c }
        let pairJob = JobFolder(prov.path + "/.emsh-pairs")
        if !Execution.resume { try? FileManager.default.removeItem(atPath: pairJob.path) }
        let touching = try Execution.run(TouchingPairsTask(grid: g, provisional: StoreRef(prov), offsets: offsets,
                                                           connectivity: connectivity, twoD: twoD), job: pairJob)
        var pairs: [(UInt32, UInt32)] = []
        for p in touching { for (a, b) in zip(p["a"], p["b"]) { pairs.append((UInt32(a), UInt32(b))) } }
        let merge = try ComponentMerge(counts: counts, firsts: firsts, pairs: pairs)
        let (out, job3) = try WorkStores.create(name: "components", key: k, shape: v.shape, chunks: v.chunks,
                                                type: .u32, spacing: v.spacing, kind: .labels)
        try FileManager.default.createDirectory(atPath: job3.path, withIntermediateDirectories: true)
        let mapFile = job3.path + "/map.u32"
        try RelabelTask.writeMap(merge.finalIds, to: mapFile)
        try Execution.run(RelabelTask(grid: g, input: StoreRef(prov), output: StoreRef(out), offsets: merge.offsets,
                                      mapFile: mapFile, count: merge.count), job: job3)
        if !Execution.resume { try? FileManager.default.removeItem(atPath: prov.path) }
        return (ChunkedVolume(out), merge.count)
    }

    /// Per-object moments of a label store, summed over its blocks.
    static func moments(_ labels: ChunkedVolume) throws -> (FitMoments, BlockGrid, JobFolder) {
        let g = grid(for: labels, bytesPerVoxel: Cost.fit)
        let job = JobFolder(WorkStores.folder + "/fit-" + Digest.hex(of: key(labels)))
        if !Execution.resume { try? FileManager.default.removeItem(atPath: job.path) }
        let parts = try Execution.run(FitMomentsTask(grid: g, input: StoreRef(labels.array)), job: job)
        return (FitMoments.merged(parts.map(FitMomentsTask.moments)), g, job)
    }

    /// `fit`: the same table as the in-memory command (to floating-point rounding).
    public static func fit(_ labels: ChunkedVolume, axis: (x: Double, y: Double, z: Double) = (1, 0, 0),
                           excludeBorder: Bool = false) throws -> Table {
        let (m, g, job) = try moments(labels)
        let momentsFile = job.path + "/moments.bin"
        try writeAtomically(FitMomentsTask.partial(m).encoded(), to: momentsFile)
        let surfaceJob = JobFolder(job.path + "/surfaces")
        let parts = try Execution.run(FitSurfacesTask(grid: g, input: StoreRef(labels.array), momentsFile: momentsFile), job: surfaceJob)
        let surfaces = FitSurfaces.merged(parts.map(FitSurfacesTask.surfaces))
        return try fitTable(moments: m, frames: FitFrames(m, spacing: labels.spacing), surfaces: surfaces,
                            spacing: labels.spacing, axis: axis, excludeBorder: excludeBorder)
    }

    /// `stats`: count, mean volume and volume fraction from the per-object voxel counts.
    public static func stats(_ labels: ChunkedVolume) throws -> ObjectStats {
        let (m, _, _) = try moments(labels)
        let present = m.ids.indices.filter { m.ids[$0] != 0 && m.sums[$0 * 10] > 0 }
        return Kernels.stats(voxelCounts: present.map { m.sums[$0 * 10] }, border: present.map { m.border[$0] != 0 },
                             spacing: labels.spacing, totalVoxels: labels.shape.count)
    }

    /// The phantom written into four stores in `folder` (image.zarr, labels.zarr, mask.zarr,
    /// contour.zarr), slab by slab; the same voxels as `phantom` of that size.
    public static func phantom(size: Shape, seed: UInt64, drift: Double, folder: String,
                               chunks: Shape = Shape(z: 16, y: 256, x: 256), codec: ZarrCodec = .zstd(level: 1)) throws
        -> (image: ChunkedVolume, mask: ChunkedVolume, labels: ChunkedVolume, contour: ChunkedVolume, count: Int) {
        guard size.z >= 1, size.y >= 8, size.x >= 8 else {
            throw BlockError("phantom: size must be at least [1, 8, 8], got [\(size.z), \(size.y), \(size.x)]")
        }
        guard drift.isFinite, drift >= 0, drift <= 0.5 else { throw BlockError("phantom: drift must be between 0 and 0.5, got \(drift)") }
        let sp = PhantomDefaults.spacing
        let c = Shape(z: min(chunks.z, size.z), y: min(chunks.y, size.y), x: min(chunks.x, size.x))
        func store(_ name: String, _ type: VoxelType, _ kind: VolumeKind) throws -> (ZarrArray, JobFolder) {
            try WorkStores.createStore(at: folder + "/" + name + ".zarr", shape: size, chunks: c, type: type, spacing: sp,
                                       kind: kind, codec: codec, overwrite: true)
        }
        let (image, job) = try store("image", .u8, .image)
        let (placed, _) = try store("labels-placed", .u32, .labels)
        let (mask, _) = try store("mask", .u8, .mask)
        let (contour, _) = try store("contour", .u8, .mask)
        let g = BlockGrid(shape: size, block: BlockPlanner.blockShape(volume: size, chunks: c, bytesPerVoxel: Cost.phantom))
        let parts = try Execution.run(PhantomTask(grid: g, size: [size.z, size.y, size.x], seed: seed, drift: drift,
                                                  spacing: [sp.x, sp.y, sp.z], image: StoreRef(image), labels: StoreRef(placed),
                                                  mask: StoreRef(mask), contour: StoreRef(contour)), job: job)
        var maxId = 0
        for p in parts { if let m = p["present"].last { maxId = max(maxId, Int(m)) } }
        var present = [Bool](repeating: false, count: maxId + 1)
        for p in parts { for id in p["present"] { present[Int(id)] = true } }
        let (map, count) = PhantomRenderer.renumbering(present: present)
        // Renumber into labels.zarr (a plain copy through the map when nothing is hidden).
        let (labels, relabelJob) = try store("labels", .u32, .labels)
        let mapFile = job.path + "/renumber.u32"
        try RelabelTask.writeMap(map, to: mapFile)
        try Execution.run(RelabelTask(grid: g, input: StoreRef(placed), output: StoreRef(labels),
                                      offsets: [Int](repeating: 0, count: g.count), mapFile: mapFile, count: Int(count)), job: relabelJob)
        try? FileManager.default.removeItem(atPath: placed.path)
        return (ChunkedVolume(image), ChunkedVolume(mask), ChunkedVolume(labels), ChunkedVolume(contour), Int(count))
    }

    /// Copies a store into a new one at `path` (other chunks, other compression), block by block.
    public static func save(_ v: ChunkedVolume, to path: String, chunks: Shape? = nil, codec: ZarrCodec = .zstd(level: 3),
                            pyramid: Int = 0) throws {
        let path = withoutTrailingSlashes(path)   // "x.zarr/" is written under x.zarr.partial
        let c = chunks ?? v.chunks
        let tmp = path + ".partial"
        let (out, job) = try WorkStores.createStore(at: tmp, shape: v.shape, chunks: c, type: v.type, spacing: v.spacing,
                                                    kind: v.kind, codec: codec, overwrite: true, name: ZarrArray.storeName(path))
        let g = BlockGrid(shape: v.shape, block: BlockPlanner.blockShape(volume: v.shape, chunks: c, bytesPerVoxel: 2 * v.type.byteSize))
        try Execution.run(CopyTask(grid: g, input: StoreRef(v.array), output: StoreRef(out)), job: job)
        try finishSave(tmp: tmp, path: path, pyramid: pyramid)
    }

    /// Writes an in-memory volume as a store at `path`.
    public static func save(_ v: Volume, to path: String, chunks: Shape? = nil, codec: ZarrCodec = .zstd(level: 3),
                            pyramid: Int = 0) throws {
        let path = withoutTrailingSlashes(path)   // "x.zarr/" is written under x.zarr.partial
        let c = chunks ?? Shape(z: min(16, max(1, v.shape.z)), y: min(256, max(1, v.shape.y)), x: min(256, max(1, v.shape.x)))
        let tmp = path + ".partial"
        try? FileManager.default.removeItem(atPath: tmp)
        let out = try ZarrArray.create(tmp, shape: v.shape, chunks: c, type: v.type, spacing: v.spacing, kind: v.kind,
                                       codec: codec, overwrite: true, name: ZarrArray.storeName(path))
        try out.write(v, z0: 0, y0: 0, x0: 0)
        try finishSave(tmp: tmp, path: path, pyramid: pyramid)
    }

    /// A store is written under `PATH.partial` and renamed when complete: a failed save leaves an
    /// existing store at PATH as it was.
    static func finishSave(tmp: String, path: String, pyramid: Int) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: tmp + "/.emsh-job")
        if pyramid > 1 { try writeZarrPyramid(tmp, levels: pyramid) }
        if fm.fileExists(atPath: path) {
            let old = path + ".old-\(getpid())"
            guard rename(path, old) == 0 else { throw BlockError("\(path): cannot replace it: \(String(cString: strerror(errno)))") }
            guard rename(tmp, path) == 0 else {
                _ = rename(old, path)
                throw BlockError("\(path): cannot move the written store into place: \(String(cString: strerror(errno)))")
            }
            try? fm.removeItem(atPath: old)
        } else if rename(tmp, path) != 0 {
            throw BlockError("\(path): cannot move the written store into place: \(String(cString: strerror(errno)))")
        }
    }
}
