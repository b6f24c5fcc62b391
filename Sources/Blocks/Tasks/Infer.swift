import Foundation
import Kernels
import Learning
import VolumeIO

/// `infer` on slabs of whole slices, each read with frames/2 neighbouring slices on either side
/// for multi-frame models: the probabilities equal those of the whole volume.
struct InferTask: BlockTask {
    static let kind = "infer"
    let grid: BlockGrid
    let input: StoreRef
    let output: StoreRef
    /// Model files (.emodel): the driver saves the models where every node can read them.
    let models: [String]
    let tile: Int
    let overlap: Int
    let tta: Int
    var label: String { "infer" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open(), dst = try output.open()
        let loaded = try models.map { path -> Model in
            guard let data = FileManager.default.contents(atPath: path) else { throw BlockError("\(path): cannot read the model") }
            return try Model.decode([UInt8](data), name: path)
        }
        let halo = (loaded.map { $0.architecture.frames }.max() ?? 1) / 2
        let shape = src.shape
        return { b in
            let box = grid.box(b)
            let outer = box.grown(by: (halo, 0, 0), within: shape)
            let core = box.z.lowerBound - outer.z.lowerBound
            let p = try infer(models: loaded, volume: try src.read(outer), slices: core..<(core + box.z.count),
                              tile: tile, overlap: overlap, tta: tta, showProgress: false)
            try dst.write(p, at: box)
            return nil
        }
    }
}
