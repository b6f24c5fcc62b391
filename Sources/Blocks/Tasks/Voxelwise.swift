import Kernels
import VolumeIO

/// A store named in a task: its path and scale level.
public struct StoreRef: Codable, Sendable, Equatable {
    public let path: String
    public let level: Int
    public init(_ path: String, level: Int = 0) { self.path = path; self.level = level }
    init(_ a: ZarrArray) { self.init(a.path, level: a.level) }
    func open() throws -> ZarrArray { try ZarrArray.open(path, level: level) }
}

extension ZarrArray {
    func read(_ b: Box) throws -> Volume { try read(z: b.z, y: b.y, x: b.x) }
    func write(_ v: Volume, at b: Box) throws { try write(v, z0: b.z.lowerBound, y0: b.y.lowerBound, x0: b.x.lowerBound) }
}

/// A task whose every block is its input block mapped into the same box of the output store
/// (threshold, normalize, relabel, copy): it says only how one block maps.
protocol BlockMapTask: BlockTask {
    var input: StoreRef { get }
    var output: StoreRef { get }
    /// Opens what every block needs once per process (`src`: the input, opened) and returns the
    /// map of one block: its voxels, its number and its box to the voxels to write.
    func makeMap(_ src: ZarrArray) throws -> @Sendable (Volume, Int, Box) throws -> Volume
}

extension BlockMapTask {
    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open(), dst = try output.open()
        let map = try makeMap(src)
        return { b in
            let box = grid.box(b)
            try dst.write(try map(try src.read(box), b, box), at: box)
            return nil
        }
    }
}

/// `threshold` block by block: p ≥ t → 1.
struct ThresholdTask: BlockMapTask {
    static let kind = "threshold"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    let threshold: Double
    var label: String { "threshold" }

    func makeMap(_ src: ZarrArray) -> @Sendable (Volume, Int, Box) throws -> Volume {
        { v, _, _ in try Kernels.threshold(v, threshold) }
    }
}

/// A store copied into another with other chunks or compression (`save $v x.zarr`).
struct CopyTask: BlockMapTask {
    static let kind = "copy"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    var label: String { "save" }

    func makeMap(_ src: ZarrArray) -> @Sendable (Volume, Int, Box) throws -> Volume {
        { v, _, _ in v }
    }
}
