import _Platform
import Foundation
import Testing
import Synchronization
@testable import Blocks
import Kernels
import TestSupport

// The executor against the REAL one-node cluster of scripts/slurm-local (CI starts it through scripts/setup).
// Without a cluster the tests are skipped with a printed reason, except under CI=true, where they fail.
// Serialized: the cluster has 2 CPUs, and the timings below assume the tests do not compete for them.

// Folders under /tmp (temporaryFolder, TestSupport): a real cluster would need a shared file system;
// this one is the same host.

/// True when a cluster answers (starting the local one if needed); otherwise prints why and returns false,
/// recording a failure when CI=true.
func clusterReady() -> Bool {
    if SlurmExecutor.isAvailable() { return true }
    let script = packageRoot + "/scripts/slurm-local"
    var reason = "no Slurm cluster answers sinfo"
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/sbatch"), FileManager.default.fileExists(atPath: script) {
        if let r = try? runSubprocess(["bash", script, "start"], timeout: 90) {
            if SlurmExecutor.isAvailable() { return true }
            reason += "; scripts/slurm-local start said: \(r.stderr.suffix(2000))"
        }
    } else {
        reason += " and Slurm is not installed (scripts/setup installs it)"
    }
    if ProcessInfo.processInfo.environment["CI"] == "true" {
        Issue.record("CI=true requires the Slurm cluster: \(reason)")
    } else {
        print("skipped: \(reason)")
    }
    return false
}

/// Seconds a test waits for a task to start: the cluster may be busy with other users' arrays (only
/// outright failures wait this long).
let slotWait = 120.0

/// The options of every test: no waiting for markers (one host), quick retries.
func testOptions(retries: Int = 2) -> SlurmOptions {
    SlurmOptions(retries: retries, markerWait: 0)
}

func marker(_ folder: String, _ i: Int) -> String { "\(folder)/done-\(i)" }
func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
func lines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}
func squeueLines(_ jobs: [String]) -> [String] {
    guard !jobs.isEmpty, let r = try? runSubprocess(["squeue", "-h", "-r", "-j", jobs.joined(separator: ","), "-o", "%i %t"], timeout: 30)
    else { return [] }
    return r.stdout.split(separator: "\n").map(String.init)
}

/// A task body that counts its runs in runs-<i> and writes done-<i>; `extra` runs first (before the marker).
func task(_ extra: String = "") -> [String] {
    ["/bin/sh", "-c", "i=$SLURM_ARRAY_TASK_ID; echo run >> runs-$i; \(extra) touch done-$i"]
}

final class Progress: Sendable {
    let calls = Mutex<[(Int, Int)]>([])
    func record(_ done: Int, _ total: Int) { calls.withLock { $0.append((done, total)) } }
    var last: (Int, Int)? { calls.withLock { $0.last } }
}

/// Runs `body` on a thread of its own (not Swift's cooperative pool, which the other suites keep busy).
final class Background: Sendable {
    let result = Mutex<(error: Error?, endedAt: Date)?>(nil)
    let finished = DispatchSemaphore(value: 0)
    init(_ body: @escaping @Sendable () throws -> Void) {
        let t = Thread { [self] in
            var error: Error? = nil
            do { try body() } catch let e { error = e }
            let outcome = (error: error, endedAt: Date())
            result.withLock { $0 = outcome }
            finished.signal()
        }
        t.start()
    }
    /// The error (nil: returned normally) and the time it ended; nil when it runs longer than `timeout`.
    func wait(timeout: Double) -> (error: Error?, endedAt: Date)? {
        guard finished.wait(timeout: .now() + timeout) == .success else { return nil }
        return result.withLock { $0 }
    }
}

@Suite("Slurm executor on the local cluster", .serialized)
struct SlurmExecutorTests {
    @Test("five tasks all complete: markers, one run each, progress 5/5, logs appended")
    func allComplete() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("all")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ex = SlurmExecutor(options: testOptions())
        let progress = Progress()
        try ex.run(jobFolder: dir, taskCount: 5, command: task("echo \"hello $EMSH_TASK_INDEX $GREETING\";"),
                   environment: ["GREETING": "it's a 'quoted' $value"],
                   isDone: { exists(marker(dir, $0)) }, progress: progress.record)
        for i in 0..<5 {
            #expect(exists(marker(dir, i)))
            #expect(lines("\(dir)/runs-\(i)") == ["run"])
            let log = lines("\(dir)/logs/task-\(i).log")
            #expect(log.first?.hasPrefix("== emsh task \(i): job ") == true, "log \(i): \(log)")
            #expect(log.contains("hello \(i) it's a 'quoted' $value"), "log \(i): \(log)")
        }
        #expect(progress.last! == (5, 5))
        #expect(progress.calls.withLock { $0.first! } == (0, 5))
        #expect(ex.submissions.count == 1)
        #expect(ex.submissions[0].indices == [0, 1, 2, 3, 4] && ex.submissions[0].attempt == 1)
        // The batch script: offset argument, log redirection, quoted environment, exec of the quoted command.
        #expect(ex.submissions[0].script == "\(dir)/slurm-1.sh")
        let script = try String(contentsOfFile: "\(dir)/slurm-1.sh", encoding: .utf8)
        #expect(script.hasPrefix("#!/bin/sh\n"))
        #expect(script.contains("GREETING='it'\\''s a '\\''quoted'\\'' $value'; export GREETING\n"), "\(script)")
        #expect(script.contains("\nexec /bin/sh -c 'i=$SLURM_ARRAY_TASK_ID; "), "\(script)")
        #expect(squeueLines(ex.submissions.map(\.jobID)).isEmpty)
    }

    @Test("a task that fails on its first attempt is retried and the run succeeds")
    func retriedOnce() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("retry")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ex = SlurmExecutor(options: testOptions())
        // Task 2 exits 3 on its first run (before its marker); the others finish at once.
        try ex.run(jobFolder: dir, taskCount: 3,
                   command: task("if [ $i = 2 ] && [ $(wc -l < runs-$i) = 1 ]; then echo first attempt fails; exit 3; fi;"),
                   isDone: { exists(marker(dir, $0)) })
        #expect((0..<3).allSatisfy { exists(marker(dir, $0)) })
        #expect(lines("\(dir)/runs-2").count == 2)
        #expect(lines("\(dir)/runs-0").count == 1 && lines("\(dir)/runs-1").count == 1)
        #expect(ex.submissions.count == 2)
        #expect(ex.submissions[1].indices == [2] && ex.submissions[1].attempt == 2)
        // The retry appended to the same log: two headers, the first attempt's message kept.
        let log = lines("\(dir)/logs/task-2.log")
        #expect(log.filter { $0.hasPrefix("== emsh task 2:") }.count == 2, "\(log)")
        #expect(log.contains("first attempt fails"))
    }

    @Test("a task that always fails: SlurmError after the retries names it, its log and the log's tail")
    func alwaysFails() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("fail")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ex = SlurmExecutor(options: testOptions(retries: 2))
        let progress = Progress()
        do {
            try ex.run(jobFolder: dir, taskCount: 3,
                       command: task("if [ $i = 1 ]; then echo \"block 1 is broken (run $(wc -l < runs-$i))\" >&2; exit 7; fi;"),
                       isDone: { exists(marker(dir, $0)) }, progress: progress.record)
            Issue.record("no error")
        } catch let e as SlurmError {
            #expect(e.failedTasks.map(\.index) == [1])
            #expect(e.failedTasks[0].attempts == 3)
            #expect(e.failedTasks[0].log == "\(dir)/logs/task-1.log")
            #expect(e.failedTasks[0].logTail.contains("block 1 is broken (run 3)"))
            #expect(e.jobFolder == dir)
            let text = e.description
            #expect(text.contains("1 of 3 tasks ended without finishing (2 done)"), "\(text)")
            #expect(text.contains("task 1 (3 attempts), log \(dir)/logs/task-1.log"), "\(text)")
            #expect(text.contains("    block 1 is broken (run 3)"), "\(text)")
            #expect(text.contains("job folder \(dir)"), "\(text)")
        }
        #expect(lines("\(dir)/runs-1").count == 3)
        #expect(exists(marker(dir, 0)) && exists(marker(dir, 2)) && !exists(marker(dir, 1)))
        #expect(ex.submissions.map(\.indices) == [[0, 1, 2], [1], [1]])
        #expect(progress.last! == (2, 3))
    }

    @Test("resume: tasks whose markers exist are not submitted")
    func resume() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("resume")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for i in [0, 2, 3] { #expect(FileManager.default.createFile(atPath: marker(dir, i), contents: nil)) }
        let ex = SlurmExecutor(options: testOptions())
        let progress = Progress()
        try ex.run(jobFolder: dir, taskCount: 5, command: task(), isDone: { exists(marker(dir, $0)) }, progress: progress.record)
        #expect((0..<5).allSatisfy { exists(marker(dir, $0)) })
        for i in [0, 2, 3] { #expect(!exists("\(dir)/runs-\(i)"), "task \(i) ran") }
        for i in [1, 4] { #expect(lines("\(dir)/runs-\(i)") == ["run"]) }
        #expect(ex.submissions.map(\.indices) == [[1, 4]])
        #expect(progress.calls.withLock { $0.first! } == (3, 5) && progress.last! == (5, 5))

        // Everything done: nothing is submitted at all.
        let again = SlurmExecutor(options: testOptions())
        try again.run(jobFolder: dir, taskCount: 5, command: task(), isDone: { exists(marker(dir, $0)) })
        #expect(again.submissions.isEmpty)
    }

    @Test("a second run on a folder whose arrays are still queued adopts them instead of submitting again")
    func adoptsQueuedArrays() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("adopt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Run A (as if its emsh were killed: nobody waits for it) submits 3 tasks of 2 s.
        let first = SlurmExecutor(options: testOptions())
        let a = Background { try first.run(jobFolder: dir, taskCount: 3, command: task("sleep 2;"), isDone: { exists(marker(dir, $0)) }) }
        let start = Date()
        while !exists("\(dir)/runs-0") && Date().timeIntervalSince(start) < slotWait { Thread.sleep(forTimeInterval: 0.1) }
        #expect(lines("\(dir)/slurm-jobs").count == 1)
        // Run B on the same folder: it submits nothing and ends when A's tasks are done.
        let second = SlurmExecutor(options: testOptions())
        let progress = Progress()
        try second.run(jobFolder: dir, taskCount: 3, command: task("sleep 2;"), isDone: { exists(marker(dir, $0)) },
                       progress: progress.record)
        #expect(second.submissions.isEmpty)
        #expect((0..<3).allSatisfy { exists(marker(dir, $0)) && lines("\(dir)/runs-\($0)") == ["run"] })
        #expect(progress.last! == (3, 3))
        #expect(a.wait(timeout: slotWait)?.error == nil)
    }

    @Test("a task scancel'led while it runs is resubmitted and the run completes")
    func scancelledTaskResubmitted() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("scancel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ex = SlurmExecutor(options: testOptions())
        // Task 1 sleeps 5 s on its first run (the test cancels it meanwhile); task 0 and the retry finish at once.
        let command = task("if [ $i = 1 ] && [ $(wc -l < runs-$i) = 1 ]; then sleep 5; fi;")
        let run = Background { try ex.run(jobFolder: dir, taskCount: 2, command: command, isDone: { exists(marker(dir, $0)) }) }

        let start = Date()
        var cancelledTask: String? = nil
        while cancelledTask == nil && Date().timeIntervalSince(start) < slotWait {
            Thread.sleep(forTimeInterval: 0.1)
            guard let job = ex.submissions.first?.jobID else { continue }
            if squeueLines([job]).contains("\(job)_1 R") && exists("\(dir)/runs-1") {
                let r = try runSubprocess(["scancel", "\(job)_1"], timeout: 30)
                #expect(r.succeeded, "scancel: \(r.stderr)")
                cancelledTask = "\(job)_1"
            }
        }
        #expect(cancelledTask != nil, "task 1 never ran")
        let outcome = run.wait(timeout: slotWait)
        #expect(outcome != nil, "run did not end")
        #expect(outcome?.error == nil, "\(String(describing: outcome?.error))")
        #expect(exists(marker(dir, 0)) && exists(marker(dir, 1)))
        #expect(lines("\(dir)/runs-1").count == 2)
        #expect(ex.submissions.count == 2 && ex.submissions[1].indices == [1])
        // Slurm's own note of the cancellation is in the task's log, before the retry's header.
        let log = (try? String(contentsOfFile: "\(dir)/logs/task-1.log", encoding: .utf8)) ?? ""
        #expect(log.contains("CANCELLED"), "\(log)")
    }

    @Test("cancellation: run throws CancelledError quickly and its arrays leave the queue")
    func cancellation() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("cancel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Cancellation.cancel() is process-wide and other suites run in parallel in this process, so this
        // executor polls a flag of its own; by default it polls Cancellation.isCancelled.
        let flag = Atomic<Bool>(false)
        let ex = SlurmExecutor(options: testOptions(), isCancelled: { flag.load(ordering: .relaxed) })
        // `&&`: scancel may kill the sleep a moment before the shell, which must not go on to write the marker.
        let run = Background { try ex.run(jobFolder: dir, taskCount: 4, command: task("sleep 30 &&"), isDone: { exists(marker(dir, $0)) }) }
        let start = Date()
        while !exists("\(dir)/runs-0") && Date().timeIntervalSince(start) < slotWait { Thread.sleep(forTimeInterval: 0.1) }
        #expect(exists("\(dir)/runs-0"), "no task started")
        let jobs = ex.submissions.map(\.jobID)
        #expect(jobs.count == 1)
        #expect(!squeueLines(jobs).isEmpty)

        let cancelledAt = Date()
        flag.store(true, ordering: .relaxed)
        let outcome = run.wait(timeout: 30)
        #expect(outcome?.error is CancelledError, "\(String(describing: outcome))")
        let stopped = outcome.map { $0.endedAt.timeIntervalSince(cancelledAt) } ?? 99
        #expect(stopped < 2, "run took \(stopped) s to stop")
        // scancel'led: the tasks leave the queue within Slurm's KillWait.
        var left = squeueLines(jobs)
        while !left.isEmpty && Date().timeIntervalSince(cancelledAt) < 10 {
            Thread.sleep(forTimeInterval: 0.2)
            left = squeueLines(jobs)
        }
        #expect(left.isEmpty, "still queued: \(left)")
        #expect(!(0..<4).contains { exists(marker(dir, $0)) })
    }

    @Test("maxParallel: no two tasks overlap with %1; extra sbatch arguments reach the job")
    func maxParallelAndExtraArguments() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("parallel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = testOptions()
        o.maxParallel = 1
        o.extraArguments = ["--comment=emsh extra argument"]
        let ex = SlurmExecutor(options: o)
        // Each task records its start and end; with %1 the intervals are disjoint.
        try ex.run(jobFolder: dir, taskCount: 3,
                   command: task("date +%s.%N > start-$i; sleep 0.3; date +%s.%N > end-$i;"),
                   isDone: { exists(marker(dir, $0)) })
        let spans = (0..<3).map { i in
            (Double(lines("\(dir)/start-\(i)").first ?? "") ?? -1, Double(lines("\(dir)/end-\(i)").first ?? "") ?? -1)
        }.sorted { $0.0 < $1.0 }
        #expect(spans.allSatisfy { $0.0 > 0 && $0.1 > $0.0 }, "\(spans)")
        for k in 1..<spans.count { #expect(spans[k].0 >= spans[k - 1].1, "tasks overlap: \(spans)") }
        // The array's record (kept by slurmctld for MinJobAge seconds) carries the comment.
        let show = try runSubprocess(["scontrol", "show", "job", ex.submissions[0].jobID], timeout: 30)
        #expect(show.stdout.contains("Comment=emsh extra argument"), "\(show.stdout.prefix(600))")
    }

    @Test("an option sbatch refuses is a SlurmError with sbatch's message, and nothing stays queued")
    func sbatchRefuses() throws {
        guard clusterReady() else { return }
        let dir = try temporaryFolder("refused")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = testOptions()
        o.partition = "no-such-partition"
        let ex = SlurmExecutor(options: o)
        do {
            try ex.run(jobFolder: dir, taskCount: 2, command: task(), isDone: { exists(marker(dir, $0)) })
            Issue.record("no error")
        } catch let e as SlurmError {
            #expect(e.description.hasPrefix("slurm: sbatch refused the array of 2 tasks: "), "\(e)")
            #expect(e.description.lowercased().contains("partition"), "\(e)")
            #expect(e.failedTasks.isEmpty)
        }
        #expect(ex.submissions.isEmpty)
        o.partition = nil
        o.cpusPerTask = 0
        #expect(throws: SlurmError.self) {
            try SlurmExecutor(options: o).run(jobFolder: dir, taskCount: 1, command: task(), isDone: { _ in false })
        }
    }

    @Test("the default cancellation check reads Kernels' Cancellation flag")
    func defaultCancellationIsKernels() throws {
        // Without touching the process-wide flag: an executor built with the default reads it, and it is false now.
        #expect(!Cancellation.isCancelled)
        let ex = SlurmExecutor(options: testOptions())
        let dir = try temporaryFolder("nothing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ex.run(jobFolder: dir, taskCount: 0, command: ["true"], isDone: { _ in false })
        #expect(ex.submissions.isEmpty)
    }
}

/// Opt-in (EMSH_SLURM_BENCH=1): wall time of empty tasks through the executor, for "Slurm overhead per task".
@Test("Slurm overhead per task (EMSH_SLURM_BENCH=1)", .enabled(if: ProcessInfo.processInfo.environment["EMSH_SLURM_BENCH"] == "1"))
func slurmOverheadPerTask() throws {
    guard clusterReady() else { return }
    for n in [1, 20] {
        let dir = try temporaryFolder("bench")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ex = SlurmExecutor(options: testOptions())
        let t0 = Date()
        try ex.run(jobFolder: dir, taskCount: n, command: ["/bin/sh", "-c", "touch done-$SLURM_ARRAY_TASK_ID"],
                   isDone: { exists(marker(dir, $0)) })
        let s = Date().timeIntervalSince(t0)
        print("slurm overhead: \(n) empty task\(n == 1 ? "" : "s") in \(String(format: "%.2f", s)) s (\(String(format: "%.2f", s / Double(n))) s per task, \(ProcessInfo.processInfo.activeProcessorCount) CPUs)")
        #expect((0..<n).allSatisfy { exists(marker(dir, $0)) })
    }
}

@Suite("Slurm executor pieces")
struct SlurmPiecesTests {
    @Test func arraySpecsAndIndices() {
        #expect(arraySpec([0, 1, 2, 3, 5, 7, 8, 9]) == "0-3,5,7-9")
        #expect(arraySpec([4]) == "4")
        #expect(arraySpec([3, 1, 2, 2]) == "1-3")
        #expect(expandArrayIndices("[3-5%2]") == [3, 4, 5])
        #expect(expandArrayIndices("1,3-4") == [1, 3, 4])
        #expect(expandArrayIndices("7") == [7])
        #expect(expandArrayIndices("N/A") == [])
        let c = chunks([0, 5, 1000, 1001, 2500], size: 1001)
        #expect(c.map(\.offset) == [0, 1001, 2002])
        #expect(c.map(\.indices) == [[0, 5, 1000], [1001], [2500]])
    }

    @Test func shellQuoting() throws {
        #expect(shellQuote("plain/path-1.tif") == "plain/path-1.tif")
        #expect(shellQuote("it's") == "'it'\\''s'")
        #expect(shellQuote("") == "''")
        // Round trip through /bin/sh.
        let nasty = ["a b", "it's", "$HOME", "`id`", "\"q\"", "back\\slash", "new\nline", "*"]
        let r = try runSubprocess(["/bin/sh", "-c", "printf '%s|' " + nasty.map(shellQuote).joined(separator: " ")])
        #expect(r.stdout == nasty.map { $0 + "|" }.joined())
    }

    @Test func optionsFromEnvironment() throws {
        let o = try SlurmOptions.fromEnvironment([
            "EMSH_SLURM_PARTITION": "gpu", "EMSH_SLURM_TIME": "01:00:00", "EMSH_SLURM_MEM": "4G", "EMSH_SLURM_CPUS": "2",
            "EMSH_SLURM_MAX_PARALLEL": "10", "EMSH_SLURM_RETRIES": "0", "EMSH_SLURM_ARGS": "--account=lab --comment 'two words'",
            "EMSH_SLURM_MARKER_WAIT": "1.5",
        ])
        #expect(o == SlurmOptions(partition: "gpu", time: "01:00:00", memoryPerTask: "4G", cpusPerTask: 2, maxParallel: 10,
                                  retries: 0, extraArguments: ["--account=lab", "--comment", "two words"], markerWait: 1.5))
        #expect(try SlurmOptions.fromEnvironment([:]) == SlurmOptions())
        #expect(try SlurmOptions.fromEnvironment(["EMSH_SLURM_PARTITION": " "]).partition == nil)
        #expect(throws: SlurmError.self) { try SlurmOptions.fromEnvironment(["EMSH_SLURM_CPUS": "0"]) }
        #expect(throws: SlurmError.self) { try SlurmOptions.fromEnvironment(["EMSH_SLURM_RETRIES": "x"]) }
        #expect(throws: SlurmError.self) { try SlurmOptions.fromEnvironment(["EMSH_SLURM_ARGS": "--comment 'open"]) }
        do { _ = try SlurmOptions.fromEnvironment(["EMSH_SLURM_MAX_PARALLEL": "-1"]); Issue.record("accepted") } catch let e as SlurmError {
            #expect(e.description == "slurm: EMSH_SLURM_MAX_PARALLEL must be a whole number ≥ 1, got '-1'")
        }
    }

    @Test func subprocessCapturesStatusOutputAndTimeout() throws {
        let r = try runSubprocess(["/bin/sh", "-c", "echo out; echo err >&2; pwd; echo $EXTRA; exit 4"],
                                  environment: ["EXTRA": "x y"], workingDirectory: "/tmp")
        #expect(r.status == 4 && r.stdout == "out\n/tmp\nx y\n" && r.stderr == "err\n" && !r.timedOut)
        let t0 = Date()
        let slow = try runSubprocess(["sleep", "10"], timeout: 0.3)
        #expect(slow.timedOut && slow.status == 128 + 9 && Date().timeIntervalSince(t0) < 3)
        #expect(throws: SubprocessError.self) { try runSubprocess(["no-such-program-emsh"]) }
        let killed = try runSubprocess(["/bin/sh", "-c", "kill -TERM $$"])
        #expect(killed.status == 128 + 15)
    }
}
