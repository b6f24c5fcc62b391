import Foundation
import Kernels

/// One block-wise step: a grid, and what to do with each block. A task is plain data (Codable):
/// the process that plans it and the Slurm tasks that run it decode the same `task.json`.
public protocol BlockTask: Codable, Sendable {
    /// The name in `task.json` (one per type, see `BlockTasks.all`).
    static var kind: String { get }
    var grid: BlockGrid { get }
    /// What the progress bar says.
    var label: String { get }
    /// Opens what every block needs (stores, models) once per process and returns the work of
    /// one block: it writes the block's outputs and returns its result for the global pass.
    func makeRunner() throws -> @Sendable (Int) throws -> Partial?
    /// Whether a block needs the memory of every worker of a process (an object too big to share
    /// it): such blocks run one at a time after the others. On Slurm every task is a process.
    func runsAlone(_ block: Int) -> Bool
}

extension BlockTask {
    public func runsAlone(_ block: Int) -> Bool { false }
}

/// A step over units of whole objects (split's and mesh's object passes), one unit per block of
/// its grid: unit u holds objects units[u]..<units[u + 1] (`Blockwise.objectUnits`). The units in
/// `alone` hold one object too big to share a process's memory with another worker.
protocol ObjectUnitsTask: BlockTask {
    var units: [Int] { get }
    var alone: [Int] { get }
    /// The extension of a unit's result file, for steps that write one.
    static var resultExtension: String { get }
}

extension ObjectUnitsTask {
    func runsAlone(_ block: Int) -> Bool { alone.contains(block) }
    static var resultExtension: String { "bin" }
    /// Unit `unit`'s result file in `folder`.
    static func resultFile(_ folder: String, unit: Int) -> String { folder + "/unit-\(unit).\(resultExtension)" }
}

/// Every task type a worker can run, by kind.
public enum BlockTasks {
    static let all: [any BlockTask.Type] = [
        ThresholdTask.self, HistogramTask.self, NormalizeTask.self, InferTask.self,
        LabelBlocksTask.self, TouchingPairsTask.self, RelabelTask.self,
        FitMomentsTask.self, FitSurfacesTask.self, PhantomTask.self, CopyTask.self,
        ObjectBoxesTask.self, SplitDepthTask.self, SplitObjectsTask.self, SplitAssembleTask.self,
        MeshObjectsTask.self,
    ]

    struct Envelope: Codable { let kind: String; let blocksPerTask: Int }

    static func encode<T: BlockTask>(_ task: T, blocksPerTask: Int) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var d = try enc.encode(Envelope(kind: T.kind, blocksPerTask: blocksPerTask))
        d.append(0x0A)
        d.append(try enc.encode(task))
        return d
    }

    /// The task of a job folder and how many blocks each worker task runs.
    static func decode(_ data: Data, path: String) throws -> (any BlockTask, Int) {
        guard let nl = data.firstIndex(of: 0x0A) else { throw BlockError("\(path): not a task file") }
        let dec = JSONDecoder()
        do {
            let env = try dec.decode(Envelope.self, from: data[..<nl])
            guard let type = all.first(where: { $0.kind == env.kind }) else {
                throw BlockError("\(path): unknown task kind '\(env.kind)' (written by another emsh version?)")
            }
            func open<T: BlockTask>(_ t: T.Type) throws -> any BlockTask { try dec.decode(T.self, from: data[(nl + 1)...]) }
            return (try open(type), max(1, env.blocksPerTask))
        } catch let e as BlockError {
            throw e
        } catch {
            throw BlockError("\(path): cannot read the task: \(error)")
        }
    }
}
