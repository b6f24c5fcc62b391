import _Platform
import Foundation
import Kernels
import VolumeIO

/// A volume that lives in an OME-Zarr store and is read block by block: what `load x.zarr`
/// gives, and what block-wise commands return (their results are stores too). Nothing is read
/// until a command asks for a box.
public struct ChunkedVolume: Sendable {
    public let array: ZarrArray

    public init(_ array: ZarrArray) { self.array = array }

    /// Opens the store at `path` (an OME-Zarr group or a bare array), scale `level`.
    public static func open(_ path: String, level: Int = 0) throws -> ChunkedVolume {
        ChunkedVolume(try ZarrArray.open(path, level: level))
    }

    public var path: String { array.path }
    public var shape: Shape { array.shape }
    public var chunks: Shape { array.chunks }
    public var type: VoxelType { array.type }
    public var spacing: Spacing { array.spacing }
    public var kind: VolumeKind { array.kind }
    public var byteCount: Int { shape.count * type.byteSize }

    public func read(_ box: Box) throws -> Volume { try array.read(z: box.z, y: box.y, x: box.x) }

    /// The whole volume in memory (refused above the memory ceiling).
    public func readAll() throws -> Volume {
        try MemoryBudget.check(byteCount, what: "the \(shape) \(type.rawValue) volume of \(path)")
        return try array.readAll()
    }
}

/// Where block-wise results go: `EMSH_WORK`, default `emsh-work` in the current folder. On a
/// cluster it must be on a file system every node sees. Each result is a store named by what
/// made it (the step and a digest of its inputs and options), so running the same step again
/// with `--resume` finds the blocks that are already done.
public enum WorkStores {
    public static var folder: String {
        if let w = getenvString("EMSH_WORK"), !w.isEmpty { return w }
        return (currentDirectory() ?? ".") + "/emsh-work"
    }

    /// A new store for the result of step `name` identified by `key` (every input and option),
    /// and the job folder inside it. Without `Execution.resume` an old store of the same key is
    /// replaced; with it, its finished blocks are kept.
    static func create(name: String, key: String, shape: Shape, chunks: Shape, type: VoxelType, spacing: Spacing,
                       kind: VolumeKind) throws -> (ZarrArray, JobFolder) {
        let path = folder + "/" + name + "-" + Digest.hex(of: name + "\n" + key) + ".zarr"
        return try createStore(at: path, shape: shape, chunks: chunks, type: type, spacing: spacing, kind: kind,
                               codec: codec, overwrite: true)
    }

    /// Work results are written once and read once or twice, so the codec must not cost more than
    /// it saves: zstd level -1 stores noisy images and probabilities (which level 1 shrinks by
    /// only 13–27 %, at ~0.5 GB/s) nearly as fast as a copy, and still packs masks and labels
    /// 10–20× (scripts/bench blocks: threshold and normalize were codec-bound at level 1).
    static let codec = ZarrCodec.zstd(level: -1)

    /// A store at `path` with its job folder; an existing store there is kept only when resuming
    /// the same job, and replaced (`overwrite`) or refused otherwise.
    static func createStore(at path: String, shape: Shape, chunks: Shape, type: VoxelType, spacing: Spacing,
                            kind: VolumeKind, codec: ZarrCodec, overwrite: Bool, name: String? = nil) throws -> (ZarrArray, JobFolder) {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true) } catch {
            throw BlockError("\(path): cannot create its folder: \(error.localizedDescription)")
        }
        let job = JobFolder(path + "/.emsh-job")
        if Execution.resume, fm.fileExists(atPath: job.taskFile), let a = try? ZarrArray.open(path),
           a.shape == shape, a.chunks == chunks, a.type == type {
            return (a, job)
        }
        if fm.fileExists(atPath: path) {
            guard overwrite else { throw BlockError("\(path): already exists (remove it, or save elsewhere)") }
            try? fm.removeItem(atPath: path)
        }
        let a = try ZarrArray.create(path, shape: shape, chunks: chunks, type: type, spacing: spacing, kind: kind,
                                     codec: codec, overwrite: true, name: name)
        return (a, job)
    }
}
