import _Platform
import Foundation
import Kernels
import Synchronization

/// How tasks are submitted to Slurm. Every field maps to an `sbatch` option or to the executor's retry policy;
/// `fromEnvironment()` reads the `EMSH_SLURM_*` variables.
public struct SlurmOptions: Sendable, Equatable {
    /// `--partition`; nil: the cluster's default partition.
    public var partition: String?
    /// `--time` per task, e.g. "01:00:00"; nil: the partition's default.
    public var time: String?
    /// `--mem` per task, e.g. "4G"; nil: the cluster's default.
    public var memoryPerTask: String?
    /// `--cpus-per-task`.
    public var cpusPerTask: Int
    /// At most this many tasks of one array run at once (`--array=...%N`); nil: no limit.
    public var maxParallel: Int?
    /// How many times a task that ended without its done-marker is submitted again.
    public var retries: Int
    /// Passed to sbatch as they are (e.g. `--account=lab`, `--qos=short`).
    public var extraArguments: [String]
    /// Seconds a task that left the queue without its done-marker is given for the marker to appear before
    /// it counts as failed (a shared file system may show another node's new file late).
    public var markerWait: Double

    public init(partition: String? = nil, time: String? = nil, memoryPerTask: String? = nil, cpusPerTask: Int = 1,
                maxParallel: Int? = nil, retries: Int = 2, extraArguments: [String] = [], markerWait: Double = 5) {
        self.partition = partition
        self.time = time
        self.memoryPerTask = memoryPerTask
        self.cpusPerTask = cpusPerTask
        self.maxParallel = maxParallel
        self.retries = retries
        self.extraArguments = extraArguments
        self.markerWait = markerWait
    }

    /// The options of this process's environment; a variable with a value that is not valid is ignored
    /// (use `fromEnvironment(_:)` to be told).
    public static func fromEnvironment() -> SlurmOptions {
        let env = ProcessInfo.processInfo.environment
        if let o = try? fromEnvironment(env) { return o }
        var o = SlurmOptions()
        for key in environmentKeys where env[key] != nil {
            if let one = try? fromEnvironment([key: env[key]!]) { o.merge(one, key: key) }
        }
        return o
    }

    /// The variables read, in the order of the fields.
    public static let environmentKeys = ["EMSH_SLURM_PARTITION", "EMSH_SLURM_TIME", "EMSH_SLURM_MEM", "EMSH_SLURM_CPUS",
                                         "EMSH_SLURM_MAX_PARALLEL", "EMSH_SLURM_RETRIES", "EMSH_SLURM_ARGS",
                                         "EMSH_SLURM_MARKER_WAIT"]

    /// The options given by `environment` (empty values count as unset); throws naming a variable whose value is not valid.
    public static func fromEnvironment(_ environment: [String: String]) throws -> SlurmOptions {
        func value(_ key: String) -> String? {
            guard let v = environment[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func integer(_ key: String, minimum: Int) throws -> Int? {
            guard let v = value(key) else { return nil }
            guard let n = Int(v), n >= minimum else {
                throw SlurmError(jobFolder: nil, message: "\(key) must be a whole number ≥ \(minimum), got '\(v)'")
            }
            return n
        }
        var o = SlurmOptions()
        o.partition = value("EMSH_SLURM_PARTITION")
        o.time = value("EMSH_SLURM_TIME")
        o.memoryPerTask = value("EMSH_SLURM_MEM")
        if let n = try integer("EMSH_SLURM_CPUS", minimum: 1) { o.cpusPerTask = n }
        o.maxParallel = try integer("EMSH_SLURM_MAX_PARALLEL", minimum: 1)
        if let n = try integer("EMSH_SLURM_RETRIES", minimum: 0) { o.retries = n }
        if let v = value("EMSH_SLURM_ARGS") {
            do { o.extraArguments = try splitArguments(v) } catch let e as SlurmError {
                throw SlurmError(jobFolder: nil, message: "EMSH_SLURM_ARGS: \(e.message)")
            }
        }
        if let v = value("EMSH_SLURM_MARKER_WAIT") {
            guard let s = Double(v), s >= 0, s.isFinite else {
                throw SlurmError(jobFolder: nil, message: "EMSH_SLURM_MARKER_WAIT must be seconds ≥ 0, got '\(v)'")
            }
            o.markerWait = s
        }
        return o
    }

    private mutating func merge(_ one: SlurmOptions, key: String) {
        switch key {
        case "EMSH_SLURM_PARTITION": partition = one.partition
        case "EMSH_SLURM_TIME": time = one.time
        case "EMSH_SLURM_MEM": memoryPerTask = one.memoryPerTask
        case "EMSH_SLURM_CPUS": cpusPerTask = one.cpusPerTask
        case "EMSH_SLURM_MAX_PARALLEL": maxParallel = one.maxParallel
        case "EMSH_SLURM_RETRIES": retries = one.retries
        case "EMSH_SLURM_ARGS": extraArguments = one.extraArguments
        case "EMSH_SLURM_MARKER_WAIT": markerWait = one.markerWait
        default: break
        }
    }

    /// Splits `--account=lab --qos 'a b'` like a shell does for words: blanks separate, '…' and "…" quote, \ escapes.
    public static func splitArguments(_ text: String) throws -> [String] {
        var words: [String] = []
        var word = "", inWord = false
        var quote: Character? = nil
        var escaped = false
        for c in text {
            if escaped { word.append(c); escaped = false; inWord = true; continue }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { word.append(c) }
                continue
            }
            switch c {
            case "'", "\"": quote = c; inWord = true
            case "\\": escaped = true
            case " ", "\t", "\n":
                if inWord { words.append(word); word = ""; inWord = false }
            default: word.append(c); inWord = true
            }
        }
        if quote != nil || escaped { throw SlurmError(jobFolder: nil, message: "unbalanced quote in '\(text)'") }
        if inWord { words.append(word) }
        return words
    }
}

/// A Slurm run that did not finish: sbatch refused, the controller stopped answering, or tasks kept failing.
/// Names the job folder and, for each failed task, its log file and the last lines of it.
public struct SlurmError: Error, CustomStringConvertible, Sendable {
    public struct FailedTask: Sendable, Equatable {
        public let index: Int
        /// How many times it was submitted.
        public let attempts: Int
        /// jobFolder/logs/task-<index>.log
        public let log: String
        /// Its last lines (empty when the log does not exist).
        public let logTail: String
    }
    public let jobFolder: String?
    public let message: String
    public let failedTasks: [FailedTask]

    public init(jobFolder: String?, message: String, failedTasks: [FailedTask] = []) {
        self.jobFolder = jobFolder
        self.message = message
        self.failedTasks = failedTasks
    }

    public var description: String {
        var s = "slurm: \(message)"
        if let jobFolder { s += " (job folder \(jobFolder))" }
        let shown = 5
        for t in failedTasks.prefix(shown) {
            s += "\n  task \(t.index) (\(t.attempts) attempt\(t.attempts == 1 ? "" : "s")), log \(t.log)"
            if t.logTail.isEmpty {
                s += ": no log"
            } else {
                s += ", last lines:\n" + t.logTail.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { "    " + $0 }.joined(separator: "\n")
            }
        }
        if failedTasks.count > shown { s += "\n  and \(failedTasks.count - shown) more tasks (logs in the same folder)" }
        return s
    }
}

/// One `sbatch --array` submission.
public struct SlurmSubmission: Sendable, Equatable {
    /// The array's job id (scancel JOBID or JOBID_ARRAYINDEX).
    public let jobID: String
    /// The tasks it runs (the caller's indices).
    public let indices: [Int]
    /// Slurm's array index of task i is i − offset (non-zero only when indices reach the cluster's MaxArraySize).
    public let offset: Int
    /// 1 for the first submission of these tasks, 2 for their first retry, ...
    public let attempt: Int
    /// The batch script.
    public let script: String
}

/// Runs the tasks of a block-wise computation as Slurm job arrays and waits for them.
///
/// Each task runs `command` with `$SLURM_ARRAY_TASK_ID` set to its index and writes its own done-marker;
/// the executor only submits, watches `squeue`, resubmits and cancels. The job folder must be on a file
/// system the compute nodes share with this process.
public final class SlurmExecutor: Sendable {
    public let options: SlurmOptions
    private let cancelled: @Sendable () -> Bool
    private let submitted = Mutex<[SlurmSubmission]>([])
    /// Seconds between two looks at the queue.
    public let pollInterval: Double

    /// `isCancelled` is polled between looks at the queue; by default it reads `Cancellation.isCancelled` (Ctrl-C).
    public init(options: SlurmOptions = .fromEnvironment(), pollInterval: Double = 0.5,
                isCancelled: @escaping @Sendable () -> Bool = { Cancellation.isCancelled }) {
        self.options = options
        self.pollInterval = pollInterval
        self.cancelled = isCancelled
    }

    /// Every array submitted by this executor, oldest first.
    public var submissions: [SlurmSubmission] { submitted.withLock { $0 } }

    /// sbatch is on PATH and `sinfo` answers (within a few seconds).
    public static func isAvailable() -> Bool {
        guard let r = try? runSubprocess(["sinfo", "-h", "-o", "%t"], timeout: 10) else { return false }
        guard r.succeeded, !r.stdout.isEmpty else { return false }
        return (try? runSubprocess(["sbatch", "--version"], timeout: 10))?.succeeded ?? false
    }

    /// Runs array tasks 0..<taskCount. Each task runs `command` (argv; the task's index is in $SLURM_ARRAY_TASK_ID,
    /// and in $EMSH_TASK_INDEX) with working folder `jobFolder`, `environment` added to the submitting environment;
    /// its output is appended to jobFolder/logs/task-<index>.log (so retries keep the history). A task is finished
    /// when `isDone(index)` returns true (done-markers are the caller's); tasks done before submission are not
    /// submitted (resume). A task that left the queue without being done (after `options.markerWait` seconds) is
    /// resubmitted, with the others found at the same look, as a new array of just those indices, up to
    /// `options.retries` times; a task that fails once more stops the retries: the run waits for the tasks still
    /// queued, then throws SlurmError naming every failed task with its log. Polls `squeue` every `pollInterval`
    /// seconds and calls `progress(doneCount, taskCount)` when the count changes. On cancellation every array
    /// submitted by this run is `scancel`led and `CancelledError` is thrown.
    public func run(jobFolder: String, taskCount: Int, command: [String], environment: [String: String] = [:],
                    isDone: @Sendable (Int) -> Bool, progress: (@Sendable (Int, Int) -> Void)? = nil) throws {
        guard taskCount >= 0 else { throw SlurmError(jobFolder: jobFolder, message: "taskCount must be ≥ 0, got \(taskCount)") }
        guard !command.isEmpty else { throw SlurmError(jobFolder: jobFolder, message: "empty command") }
        guard options.cpusPerTask >= 1, options.retries >= 0, (options.maxParallel ?? 1) >= 1, options.markerWait >= 0 else {
            throw SlurmError(jobFolder: jobFolder, message: "options out of range: cpusPerTask \(options.cpusPerTask) (≥ 1), retries \(options.retries) (≥ 0), maxParallel \(options.maxParallel.map(String.init) ?? "none") (≥ 1), markerWait \(options.markerWait) (≥ 0)")
        }
        for key in environment.keys where !isShellName(key) {
            throw SlurmError(jobFolder: jobFolder, message: "'\(key)' is not a valid environment variable name")
        }
        let folder = absolutePath(jobFolder)
        let logs = folder + "/logs"
        do {
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        } catch {
            throw SlurmError(jobFolder: folder, message: "cannot create \(logs): \(error.localizedDescription)")
        }

        var done = Set((0..<taskCount).filter { isDone($0) })
        progress?(done.count, taskCount)
        if done.count == taskCount { return }
        try checkCancelled(jobs: [])

        var attempts = [Int](repeating: 0, count: taskCount)
        var outstanding = Set<Int>()          // submitted, not done, not (yet) failed
        var jobs: [String] = []               // this run's arrays
        var arrays: [String: Int] = [:]       // job id → offset, of arrays that may still hold outstanding tasks
        var arrayTasks: [String: [Int]] = [:] // job id → its tasks
        var absentSince: [Int: Double] = [:]  // left the queue without a marker: since when
        var failed: [Int] = []                // out of retries
        let maxArray = maxArraySize()
        var lastAnswer = monotonicSeconds()
        var reported = done.count

        func submit(_ indices: [Int]) throws {
            for (offset, chunk) in chunks(indices, size: maxArray) {
                let attempt = (chunk.map { attempts[$0] }.max() ?? 0) + 1
                let s = try submitArray(folder: folder, indices: chunk, offset: offset, attempt: attempt,
                                        command: command, environment: environment)
                for i in chunk { attempts[i] += 1; outstanding.insert(i); absentSince[i] = nil }
                jobs.append(s.jobID)
                arrays[s.jobID] = offset
                arrayTasks[s.jobID] = chunk
                submitted.withLock { $0.append(s) }
                recordArray(folder: folder, s)
                try checkCancelled(jobs: jobs)
            }
        }

        // Arrays an earlier run on this folder submitted (it was killed, or runs still) whose tasks are still
        // queued are adopted: waited for, cancelled with this run, not submitted a second time.
        let earlier = recordedArrays(folder: folder).filter { $0.offset >= 0 }
        if !earlier.isEmpty, let queued = queuedTasks(Dictionary(earlier.map { ($0.jobID, $0.offset) }, uniquingKeysWith: { a, _ in a })) {
            for r in earlier {
                let still = r.indices.filter { $0 < taskCount && queued.contains($0) && !done.contains($0) }
                guard !still.isEmpty else { continue }
                for i in still { outstanding.insert(i); attempts[i] = max(attempts[i], 1) }
                jobs.append(r.jobID)
                arrays[r.jobID] = r.offset
                arrayTasks[r.jobID] = still
            }
        }

        do {
            try submit((0..<taskCount).filter { !done.contains($0) && !outstanding.contains($0) })
        } catch let e as SlurmError {
            cancelQuietly(jobs)
            throw e
        }

        while !outstanding.isEmpty {
            try checkCancelled(jobs: jobs)
            Thread.sleep(forTimeInterval: pollInterval)
            try checkCancelled(jobs: jobs)

            guard let queued = queuedTasks(arrays) else {
                if monotonicSeconds() - lastAnswer > 120 {
                    cancelQuietly(jobs)
                    throw SlurmError(jobFolder: folder, message: "squeue has not answered for 2 minutes; the arrays \(jobs.joined(separator: ", ")) were cancelled")
                }
                continue
            }
            lastAnswer = monotonicSeconds()

            let now = monotonicSeconds()
            var retry: [Int] = []
            for i in outstanding.sorted() where !queued.contains(i) {
                if isDone(i) {
                    done.insert(i); outstanding.remove(i); absentSince[i] = nil
                    continue
                }
                let since = absentSince[i] ?? now
                absentSince[i] = since
                guard now - since >= options.markerWait else { continue }
                outstanding.remove(i); absentSince[i] = nil
                if attempts[i] <= options.retries && failed.isEmpty { retry.append(i) } else { failed.append(i) }
            }
            // Arrays with nothing outstanding are no longer asked about.
            for id in Array(arrays.keys) where !(arrayTasks[id] ?? []).contains(where: { outstanding.contains($0) }) {
                arrays[id] = nil
            }
            if done.count != reported { reported = done.count; progress?(done.count, taskCount) }
            if !retry.isEmpty {
                do { try submit(retry) } catch let e as SlurmError { cancelQuietly(jobs); throw e }
            }
        }

        if !failed.isEmpty {
            let tasks = failed.sorted().map { i in
                let log = "\(logs)/task-\(i).log"
                return SlurmError.FailedTask(index: i, attempts: attempts[i], log: log, logTail: tail(of: log, lines: 12))
            }
            let n = tasks.count
            throw SlurmError(jobFolder: folder,
                             message: "\(n) of \(taskCount) task\(taskCount == 1 ? "" : "s") ended without finishing (\(done.count) done)",
                             failedTasks: tasks)
        }
    }

    // MARK: - Submission

    private func submitArray(folder: String, indices: [Int], offset: Int, attempt: Int, command: [String],
                             environment: [String: String]) throws -> SlurmSubmission {
        let script = try writeScript(folder: folder, offset: offset, command: command, environment: environment)
        var spec = arraySpec(indices.map { $0 - offset })
        if let m = options.maxParallel { spec += "%\(m)" }
        var argv = ["sbatch", "--parsable", "--job-name=emsh-\(sanitisedName(folder))", "--array=\(spec)",
                    "--chdir=\(folder)", "--open-mode=append", "--no-requeue",
                    "--cpus-per-task=\(options.cpusPerTask)"]
        // Slurm's own messages (time limit, cancellation, a node that failed) go to the task's log; with an
        // offset Slurm cannot name that file, so they go to a per-array file next to it.
        argv.append(offset == 0 ? "--output=\(folder)/logs/task-%a.log" : "--output=\(folder)/logs/slurm-%A-%a+\(offset).log")
        if let p = options.partition { argv.append("--partition=\(p)") }
        if let t = options.time { argv.append("--time=\(t)") }
        if let m = options.memoryPerTask { argv.append("--mem=\(m)") }
        argv += options.extraArguments
        argv += [script, String(offset)]

        let r: SubprocessResult
        do { r = try runSubprocess(argv, timeout: 120) } catch {
            throw SlurmError(jobFolder: folder, message: "\(error)")
        }
        let id = r.stdout.split(separator: "\n").last.map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) } ?? ""
        guard r.succeeded, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            let why = r.timedOut ? "timed out" : r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlurmError(jobFolder: folder, message: "sbatch refused the array of \(indices.count) task\(indices.count == 1 ? "" : "s"): \(why.isEmpty ? "exit status \(r.status)" : why)")
        }
        return SlurmSubmission(jobID: id, indices: indices, offset: offset, attempt: attempt, script: script)
    }

    /// jobFolder/slurm-<n>.sh, a new n for each submission (an earlier run's scripts are kept, for reading).
    private func writeScript(folder: String, offset: Int, command: [String], environment: [String: String]) throws -> String {
        var lines = [
            "#!/bin/sh",
            "# Written by emsh: one task of a Slurm array; its index is SLURM_ARRAY_TASK_ID + $1.",
            "slurm_index=$SLURM_ARRAY_TASK_ID",
            "SLURM_ARRAY_TASK_ID=$((slurm_index + ${1:-0})); export SLURM_ARRAY_TASK_ID",
            "EMSH_TASK_INDEX=$SLURM_ARRAY_TASK_ID; export EMSH_TASK_INDEX",
            "exec >>\(shellQuote(folder + "/logs/task-"))\"$SLURM_ARRAY_TASK_ID\".log 2>&1",
            "echo \"== emsh task $SLURM_ARRAY_TASK_ID: job ${SLURM_ARRAY_JOB_ID}_${slurm_index} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)\"",
        ]
        for (k, v) in environment.sorted(by: { $0.key < $1.key }) { lines.append("\(k)=\(shellQuote(v)); export \(k)") }
        lines.append("cd \(shellQuote(folder)) || exit 1")
        lines.append("exec " + command.map(shellQuote).joined(separator: " "))
        let text = lines.joined(separator: "\n") + "\n"

        let fm = FileManager.default
        var n = 1
        while true {
            let path = "\(folder)/slurm-\(n).sh"
            // O_EXCL: two runs in one folder never share a script.
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
            if fd >= 0 {
                let ok = text.utf8CString.withUnsafeBufferPointer { b in write(fd, b.baseAddress, b.count - 1) == b.count - 1 }
                close(fd)
                guard ok else { throw SlurmError(jobFolder: folder, message: "cannot write \(path)") }
                return path
            }
            guard errno == EEXIST, fm.fileExists(atPath: path) else {
                throw SlurmError(jobFolder: folder, message: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            n += 1
        }
    }

    /// Appends "JOBID OFFSET INDICES" to jobFolder/slurm-jobs, so a later run on the folder finds the arrays.
    private func recordArray(folder: String, _ s: SlurmSubmission) {
        let line = "\(s.jobID) \(s.offset) \(arraySpec(s.indices))\n"
        let fd = open(folder + "/slurm-jobs", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
    }

    /// The arrays of jobFolder/slurm-jobs (the last 1000).
    private func recordedArrays(folder: String) -> [(jobID: String, offset: Int, indices: [Int])] {
        guard let text = try? String(contentsOfFile: folder + "/slurm-jobs", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").suffix(1000).compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, f[0].allSatisfy(\.isNumber), let offset = Int(f[1]) else { return nil }
            return (String(f[0]), offset, expandArrayIndices(String(f[2])))
        }
    }

    /// The cluster's MaxArraySize (array indices must stay below it); 1001, Slurm's default, when unknown.
    private func maxArraySize() -> Int {
        guard let r = try? runSubprocess(["scontrol", "show", "config"], timeout: 30), r.succeeded else { return 1001 }
        for line in r.stdout.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            if let v = line.split(separator: "=").last, let n = Int(v.trimmingCharacters(in: .whitespaces)), n > 0 { return n }
        }
        return 1001
    }

    // MARK: - Watching

    /// The caller's indices of tasks in the queue (pending, running, completing), or nil when squeue failed.
    private func queuedTasks(_ arrays: [String: Int]) -> Set<Int>? {
        if arrays.isEmpty { return [] }
        let ids = arrays.keys.sorted()
        guard let r = try? runSubprocess(["squeue", "-h", "-r", "-j", ids.joined(separator: ","), "-o", "%F %K %t"], timeout: 30) else { return nil }
        if !r.succeeded {
            // A job id that Slurm has forgotten (MinJobAge passed): nothing of it is queued.
            if r.stderr.contains("Invalid job id") { return [] }
            return nil
        }
        var queued = Set<Int>()
        for line in r.stdout.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 2, let offset = arrays[String(f[0])] else { continue }
            // A finished task can still be listed (squeue -j of some versions shows every state): it is not queued.
            if f.count >= 3, finishedStates.contains(String(f[2])) { continue }
            // A pending array may still be folded ("3-7%2" or "[3-7]") in some Slurm versions.
            for k in expandArrayIndices(String(f[1])) { queued.insert(k + offset) }
        }
        return queued
    }

    private func checkCancelled(jobs: [String]) throws {
        guard cancelled() else { return }
        cancelQuietly(jobs)
        throw CancelledError()
    }

    private func cancelQuietly(_ jobs: [String]) {
        guard !jobs.isEmpty else { return }
        _ = try? runSubprocess(["scancel"] + jobs, timeout: 30)
    }
}

// MARK: - Helpers

/// squeue's short states of tasks that have ended.
let finishedStates: Set<String> = ["CD", "F", "CA", "TO", "NF", "PR", "OOM", "BF", "DL", "RV", "SE"]

/// `0-3,5,7-9` for [0, 1, 2, 3, 5, 7, 8, 9].
func arraySpec(_ indices: [Int]) -> String {
    let sorted = Array(Set(indices)).sorted()
    var parts: [String] = []
    var k = 0
    while k < sorted.count {
        var j = k
        while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
        parts.append(j == k ? "\(sorted[k])" : "\(sorted[k])-\(sorted[j])")
        k = j + 1
    }
    return parts.joined(separator: ",")
}

/// The indices of squeue's %K field: "4", "[3-7%2]", "1,3-5".
func expandArrayIndices(_ field: String) -> [Int] {
    var s = field
    if let p = s.firstIndex(of: "%") { s = String(s[..<p]) }
    s = s.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    var out: [Int] = []
    for part in s.split(separator: ",") {
        let ends = part.split(separator: "-")
        if ends.count == 1, let a = Int(ends[0]) { out.append(a) }
        else if ends.count == 2, let a = Int(ends[0]), let b = Int(ends[1]), a <= b { out.append(contentsOf: a...b) }
    }
    return out
}

/// Indices grouped so that index − offset < size in each group (Slurm's MaxArraySize), offsets multiples of size.
func chunks(_ indices: [Int], size: Int) -> [(offset: Int, indices: [Int])] {
    var groups: [Int: [Int]] = [:]
    for i in indices { groups[i / size * size, default: []].append(i) }
    return groups.keys.sorted().map { ($0, groups[$0]!.sorted()) }
}

/// A word for /bin/sh: '…' with ' written as '\''.
func shellQuote(_ s: String) -> String {
    if !s.isEmpty && s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

private func isShellName(_ s: String) -> Bool {
    guard let f = s.first, f == "_" || (f.isASCII && f.isLetter) else { return false }
    return s.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
}

private func sanitisedName(_ folder: String) -> String {
    // emsh's job folders are hidden folders inside the store they write: name the store.
    var base = (folder as NSString).lastPathComponent
    if base.hasPrefix("."), case let parent = ((folder as NSString).deletingLastPathComponent as NSString).lastPathComponent,
       !parent.isEmpty {
        base = parent
    }
    let s = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") ? $0 : "_" })
    return s.isEmpty ? "job" : String(s.prefix(40))
}

private func absolutePath(_ path: String) -> String {
    let p = path.hasPrefix("/") ? path : (currentDirectory() ?? ".") + "/" + path
    return (p as NSString).standardizingPath
}

/// The last `lines` lines of a text file (at most its last 64 KiB are read); empty when it cannot be read.
func tail(of path: String, lines: Int) -> String {
    guard let h = FileHandle(forReadingAtPath: path) else { return "" }
    defer { try? h.close() }
    let size = (try? h.seekToEnd()) ?? 0
    let start = size > 65536 ? size - 65536 : 0
    try? h.seek(toOffset: start)
    let data = (try? h.readToEnd()) ?? Data()
    let text = String(decoding: data, as: UTF8.self)
    var all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if all.last == "" { all.removeLast() }
    return all.suffix(lines).joined(separator: "\n")
}
