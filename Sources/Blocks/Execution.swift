import Foundation
import Kernels
import Synchronization

/// Where block-wise work runs: in this process (threads across blocks) or as a Slurm job array.
public enum ExecutorKind: String, Sendable, CaseIterable {
    case local, slurm
}

/// Runs a block task to completion, skipping blocks that are already done.
public enum Execution {
    private static let chosen = Mutex<ExecutorKind?>(nil)
    private static let resumeFlag = Mutex<Bool?>(nil)

    /// `EMSH_EXECUTOR` (local or slurm; `emsh --on slurm` sets it), default local.
    public static var kind: ExecutorKind {
        get {
            if let k = chosen.withLock({ $0 }) { return k }
            return getenvString("EMSH_EXECUTOR").flatMap { ExecutorKind(rawValue: $0.lowercased()) } ?? .local
        }
        set { chosen.withLock { $0 = newValue } }
    }

    /// Whether finished blocks of an earlier run are kept (`emsh --resume`, `EMSH_RESUME=1`).
    /// Without it every block-wise command starts its output afresh.
    public static var resume: Bool {
        get {
            if let r = resumeFlag.withLock({ $0 }) { return r }
            return ["1", "yes", "true"].contains(getenvString("EMSH_RESUME")?.lowercased() ?? "")
        }
        set { resumeFlag.withLock { $0 = newValue } }
    }

    /// The program a Slurm task runs: `EMSH_WORKER` (a path to emsh), or this very executable.
    public static var workerProgram: String {
        if let w = getenvString("EMSH_WORKER"), !w.isEmpty { return w }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        return n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "emsh"
    }

    /// Runs every block of `task` that has no marker yet in `job`, and returns the results of
    /// all blocks (empty partials where a block reported none).
    @discardableResult
    public static func run<T: BlockTask>(_ task: T, job: JobFolder) throws -> [Partial] {
        let blocks = task.grid.count
        let perTask = blocksPerTask(blocks)
        try job.prepare(taskJSON: try BlockTasks.encode(task, blocksPerTask: perTask))
        switch kind {
        case .local: try runHere(task, job: job)
        case .slurm: try runOnSlurm(job: job, blocks: blocks, perTask: perTask, label: task.label)
        }
        try Cancellation.check()
        return try (0..<blocks).map { b in
            FileManager.default.fileExists(atPath: job.resultFile(b)) ? try job.result(b) : Partial()
        }
    }

    /// Blocks per Slurm array task: one, unless that would make more than `EMSH_SLURM_MAX_TASKS`
    /// (default 1000) tasks.
    static func blocksPerTask(_ blocks: Int) -> Int {
        let maxTasks = getenvString("EMSH_SLURM_MAX_TASKS").flatMap { Int($0) }.map { max(1, $0) } ?? 1000
        return max(1, (blocks + maxTasks - 1) / maxTasks)
    }

    /// In this process: `BlockPlanner.inFlight` workers pull the pending blocks in order; blocks
    /// that need every worker's memory (`runsAlone`) run afterwards, one at a time.
    static func runHere<T: BlockTask>(_ task: T, job: JobFolder) throws {
        let pending = (0..<task.grid.count).filter { !job.isDone($0) }
        if pending.isEmpty { return }
        let run = try task.makeRunner()
        let progress = Progress(label: task.label, total: pending.count)
        defer { progress.finish() }
        let alone = pending.filter(task.runsAlone)
        let together = alone.isEmpty ? pending : pending.filter { !task.runsAlone($0) }
        try drain(together, workers: BlockPlanner.inFlight, run: run, job: job, progress: progress)
        try drain(alone, workers: 1, run: run, job: job, progress: progress)
    }

    private static func drain(_ blocks: [Int], workers: Int, run: @Sendable (Int) throws -> Partial?, job: JobFolder,
                              progress: Kernels.Progress) throws {
        if blocks.isEmpty { return }
        let next = Atomic<Int>(0)
        let failure = Mutex<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: min(workers, blocks.count)) { _ in
            while true {
                let k = next.add(1, ordering: .relaxed).oldValue
                if k >= blocks.count || Cancellation.isCancelled || failure.withLock({ $0 != nil }) { return }
                do {
                    let result = try run(blocks[k])
                    try job.finish(blocks[k], result: result)
                    releaseFreedMemory()
                    progress.advance()
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
            }
        }
        if let e = failure.withLock({ $0 }) { throw e }
        try Cancellation.check()
    }

    static func runOnSlurm(job: JobFolder, blocks: Int, perTask: Int, label: String) throws {
        let tasks = (blocks + perTask - 1) / perTask
        let progress = Progress(label: label + " (slurm)", total: tasks)
        defer { progress.finish() }
        let executor = SlurmExecutor()
        try executor.run(jobFolder: job.path, taskCount: tasks, command: [workerProgram, "worker", job.path],
                         isDone: { t in (t * perTask..<min(blocks, (t + 1) * perTask)).allSatisfy { job.isDone($0) } },
                         progress: { done, _ in progress.set(done) })
    }
}

/// Gives the memory a finished block freed back to the system: glibc keeps freed buffers below
/// its mmap threshold (up to 32 MiB) in per-thread arenas, and a process working block by block
/// would otherwise hold the high-water mark of every step it ran.
func releaseFreedMemory() {
    if let trim = mallocTrim { _ = trim(0) }
}

/// glibc's `malloc_trim` (malloc.h is not in Swift's Glibc module), nil on other C libraries.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let f = dlsym(nil, "malloc_trim") else { return nil }
    return unsafeBitCast(f, to: (@convention(c) (Int) -> Int32).self)
}()

/// The entry point of a Slurm array task: `emsh worker JOBFOLDER [TASK]`.
public enum Worker {
    /// Runs the blocks of array task `task` (default `$SLURM_ARRAY_TASK_ID`) of the job in `folder`.
    public static func run(folder: String, task: Int? = nil) throws {
        let job = JobFolder(folder)
        guard let data = FileManager.default.contents(atPath: job.taskFile) else {
            throw BlockError("\(job.taskFile): no task file (is the job folder on a file system this node sees?)")
        }
        let (blockTask, perTask) = try BlockTasks.decode(data, path: job.taskFile)
        guard let t = task ?? getenvString("SLURM_ARRAY_TASK_ID").flatMap({ Int($0) }) else {
            throw BlockError("worker: no task index (give one, or run inside a Slurm array task)")
        }
        let blocks = blockTask.grid.count
        let mine = (t * perTask)..<min(blocks, (t + 1) * perTask)
        guard t >= 0, !mine.isEmpty else { throw BlockError("worker: task \(t) is outside the job's \(blocks) blocks") }
        let pending = mine.filter { !job.isDone($0) }
        if pending.isEmpty { return }
        let run = try blockTask.makeRunner()
        // EMSH_WORKER_DELAY=SECONDS[:KIND] (before each block, of every step or only of one kind)
        // slows tasks down, to test what happens when one is killed or cancelled while it runs.
        var delay = 0.0
        if let spec = getenvString("EMSH_WORKER_DELAY") {
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 1 || parts[1] == type(of: blockTask).kind { delay = Double(parts[0]) ?? 0 }
        }
        for b in pending {
            try Cancellation.check()
            if delay > 0 { usleep(UInt32(min(delay, 600) * 1e6)) }
            try job.finish(b, result: try run(b))
            releaseFreedMemory()
        }
    }
}
