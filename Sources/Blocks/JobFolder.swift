import _Platform
import Foundation
import Kernels

/// The folder of one block-wise job, kept inside the store it writes (`STORE/.emsh-job`):
///
///     task.json          what to do (the task, with its grid and inputs), written once
///     done/BLOCK         a block's marker, made after its outputs and result are in place
///     result/BLOCK       the block's `Partial`, when it reports one
///     logs/              Slurm task logs
///
/// Markers make tasks idempotent: a block that has one is never run again, so a cancelled,
/// failed or killed run resumes where it stopped. Every file is written under a temporary name
/// and renamed, so a marker never points at half a result.
public struct JobFolder: Sendable {
    public let path: String
    public init(_ path: String) { self.path = path }

    public var taskFile: String { path + "/task.json" }
    public var logs: String { path + "/logs" }
    func marker(_ block: Int) -> String { path + "/done/\(block)" }
    func resultFile(_ block: Int) -> String { path + "/result/\(block)" }

    /// Creates the folders and writes the task (replacing a different task's folder).
    func prepare(taskJSON: Data) throws {
        let fm = FileManager.default
        if let old = fm.contents(atPath: taskFile), old != taskJSON { try? fm.removeItem(atPath: path) }
        for sub in ["", "/done", "/result", "/logs"] {
            do { try fm.createDirectory(atPath: path + sub, withIntermediateDirectories: true) } catch {
                throw BlockError("\(path + sub): cannot create the job folder: \(error.localizedDescription)")
            }
        }
        if fm.contents(atPath: taskFile) != taskJSON { try writeAtomically(taskJSON, to: taskFile) }
    }

    public func isDone(_ block: Int) -> Bool { access(marker(block), F_OK) == 0 }

    func finish(_ block: Int, result: Partial?) throws {
        if let result { try writeAtomically(result.encoded(), to: resultFile(block)) }
        try writeAtomically(Data(), to: marker(block))
    }

    func result(_ block: Int) throws -> Partial {
        try Partial(jobFile: resultFile(block), missing: "the block's result is missing")
    }
}

/// Writes `data` atomically beside `path` without fsync: a job writes thousands of small results
/// and done-markers, and one lost to a power cut is only computed again.
func writeAtomically(_ data: Data, to path: String) throws {
    try AtomicFile.write(bytes: data, to: path, sync: false)
}
