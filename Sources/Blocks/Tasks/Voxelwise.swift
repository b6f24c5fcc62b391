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

/// `threshold` block by block: p ≥ t → 1.
struct ThresholdTask: BlockTask {
    static let kind = "threshold"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    let threshold: Double
    var label: String { "threshold" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open(), dst = try output.open()
        return { b in
            let box = grid.box(b)
            try dst.write(try Kernels.threshold(try src.read(box), threshold), at: box)
            return nil
        }
    }
}

/// A store copied into another with other chunks or compression (`save $v x.zarr`).
struct CopyTask: BlockTask {
    static let kind = "copy"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    var label: String { "save" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open(), dst = try output.open()
        return { b in
            let box = grid.box(b)
            try dst.write(try src.read(box), at: box)
            return nil
        }
    }
}
