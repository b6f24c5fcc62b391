import Foundation
import Testing
import TestSupport

/// The block-wise pipeline as a Slurm job array on the local one-node cluster (scripts/slurm-local,
/// started by scripts/setup) against the same script in one process: the same printed results, the
/// same fit table and the same stores, also when a task is killed while it runs.
@Suite(.serialized) struct SlurmPipelineTests {
    static let script = """
    p = phantom --size [6, 160, 160] --seed 5 --drift 0.1 --to ph --chunks [2, 64, 64]
    ref = peaks $p.image
    n = normalize $p.image --to $ref
    m = train (slices $n 0:3) (slices $p.mask 0:3) --depth 2 --width 4 --patch 32 --batch 2 --steps 4 --seed 1
    prob = infer $m $n --tile 64 --overlap 8
    save $prob prob.zarr --compress none
    objs = components (threshold $n 172) --conn 6
    save $objs labels.zarr --compress none
    save (fit $objs) fit.csv
    print (stats $objs)
    print (histogram $n)
    """

    /// Infer alone on two slabs, for the test that kills a task.
    static let inferScript = """
    p = phantom --size [4, 128, 128] --seed 5 --to ph --chunks [2, 64, 64]
    m = train (slices $p.image 0:2) (slices $p.mask 0:2) --depth 2 --width 4 --patch 32 --batch 2 --steps 2 --seed 1
    prob = infer $m $p.image --tile 64 --overlap 8
    save $prob prob.zarr --compress none
    print "done"
    """

    /// Runs a script in a fresh folder; returns the folder and the result.
    func run(_ tag: String, slurm: Bool, script: String = Self.script, blockBytes: String = "1M",
             extra: [String: String] = [:]) throws -> (String, Emsh.Result) {
        let dir = try temporaryFolder("slurm-\(tag)")
        try script.write(toFile: dir + "/pipeline.ems", atomically: true, encoding: .utf8)
        var env = ["EMSH_BLOCK_BYTES": blockBytes, "EMSH_WORK": dir + "/work", "EMSH_SLURM_RETRIES": "2"]
        for (k, v) in extra { env[k] = v }
        let args = (slurm ? ["--on", "slurm"] : []) + ["pipeline.ems"]
        return (dir, try Emsh.run(args, directory: dir, environment: env))
    }

    /// Every chunk file of a store, by name, with its bytes.
    func chunks(_ store: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: store) else { return out }
        for case let f as String in e where !f.hasPrefix(".emsh") && !f.hasSuffix(".zattrs") {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: store + "/" + f, isDirectory: &isDir), !isDir.boolValue {
                out[f] = FileManager.default.contents(atPath: store + "/" + f)
            }
        }
        return out
    }

    func expectSameResults(_ a: String, _ b: String, stores: [String] = ["prob.zarr", "labels.zarr"], fit: Bool = true) throws {
        for store in stores {
            let x = try chunks(a + "/" + store), y = try chunks(b + "/" + store)
            #expect(!x.isEmpty)
            #expect(x.keys.sorted() == y.keys.sorted(), "\(store): different chunk files")
            #expect(x == y, "\(store): the chunks differ")
        }
        if fit {
            let fa = FileManager.default.contents(atPath: a + "/fit.csv"), fb = FileManager.default.contents(atPath: b + "/fit.csv")
            #expect(fa != nil && fa == fb, "the fit tables differ")
        }
    }

    func requireCluster() throws -> Bool {
        let r = try Emsh.shell("sinfo -h -o %t")
        if r.status == 0 && !r.stdout.isEmpty { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record("no Slurm cluster answers (scripts/setup starts one with scripts/slurm-local): \(r.stderr)")
        } else {
            print("skipped: no Slurm cluster (run scripts/slurm-local start)")
        }
        return false
    }

    @Test func aJobArrayGivesTheResultsOfOneProcess() throws {
        guard try requireCluster() else { return }
        let (local, l) = try run("local", slurm: false)
        #expect(l.status == 0, "\(l.stderr)")
        let (cluster, c) = try run("cluster", slurm: true)
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains("(slurm)"), "the steps did not run as job arrays")
        #expect(l.stdout == c.stdout)
        #expect(l.stdout.contains("count:"))
        try expectSameResults(local, cluster)
    }

    @Test func aKilledTaskIsRunAgainAndTheResultIsUnchanged() throws {
        guard try requireCluster() else { return }
        let (local, l) = try run("local2", slurm: false, script: Self.inferScript, blockBytes: "200K")
        #expect(l.status == 0, "\(l.stderr)")
        // Slow tasks (2 s before each block) so that one can be killed while it runs.
        let killer = Thread {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let r = try? Emsh.shell("squeue -h -t RUNNING -o '%i %j' | grep 'emsh-infer' | head -1"),
                   let id = r.stdout.split(separator: " ").first, !id.isEmpty {
                    _ = try? Emsh.shell("scancel \(id)")
                    _ = try? "\(id)".write(toFile: NSTemporaryDirectory() + "emsh-slurm-killed-\(getpid())", atomically: true, encoding: .utf8)
                    return
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        killer.start()
        let (cluster, c) = try run("killed", slurm: true, script: Self.inferScript, blockBytes: "200K",
                                   extra: ["EMSH_WORKER_DELAY": "3:infer"])
        #expect(c.status == 0, "\(c.stderr)")
        let marker = NSTemporaryDirectory() + "emsh-slurm-killed-\(getpid())"
        #expect(FileManager.default.fileExists(atPath: marker), "no infer task was seen running to kill")
        try? FileManager.default.removeItem(atPath: marker)
        #expect(l.stdout == c.stdout)
        try expectSameResults(local, cluster, stores: ["prob.zarr"], fit: false)
        // The killed task ran again: its log holds the cancellation and a second attempt.
        let work = cluster + "/work"
        let store = ((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).first { $0.hasPrefix("infer-") } ?? "?"
        let logDir = work + "/" + store + "/.emsh-job/logs"
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: logDir)) ?? []).compactMap {
            try? String(contentsOfFile: logDir + "/" + $0, encoding: .utf8)
        }
        #expect(logs.contains { $0.contains("CANCELLED") && $0.components(separatedBy: "== emsh task").count == 3 },
                "no task log shows a cancelled attempt followed by another: \(logs)")
    }
}
