import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Hostile and broken input through the real binary, and a session journal that survives `kill -9`.
///
/// The corpus lives in `Tests/Fixtures/malformed/` (written by its `make.py`, standard library only):
/// truncated, corrupt, hostile-header and wrong-kind PNG, TIFF, CSV and `.emodel` files. Loading any
/// of them must end with exit status 1 and an `error:` line naming the file — never a crash or a hang.
@Suite("Malformed files and a killed session")
struct MalformedFilesTests {
    static let corpusFolder = packageRoot + "/Tests/Fixtures/malformed"

    /// Every corpus file (everything in the folder except the generator script).
    static let corpus: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: corpusFolder)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "make.py" }.sorted()
    }()

    @Test("The corpus holds at least 30 small malformed files of every kind")
    func corpusIsThere() throws {
        #expect(MalformedFilesTests.corpus.count >= 30, "only \(MalformedFilesTests.corpus.count) files in \(MalformedFilesTests.corpusFolder)")
        for ext in ["png", "tif", "csv", "emodel"] {
            #expect(MalformedFilesTests.corpus.contains { $0.hasSuffix("." + ext) }, "no .\(ext) file in the corpus")
        }
        for name in MalformedFilesTests.corpus {
            let attributes = try FileManager.default.attributesOfItem(atPath: MalformedFilesTests.corpusFolder + "/" + name)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? Int.max
            #expect(size < 4096, "\(name) is \(size) bytes")
        }
    }

    @Test("Loading a malformed file exits 1 with an error naming it, without a crash or a hang",
          arguments: MalformedFilesTests.corpus)
    func loadIsRefused(_ name: String) throws {
        let r = try runWithTimeout(fixture: name, seconds: 5)
        #expect(!r.timedOut, "\(name): still running after 5 s (killed)")
        #expect(r.signal == nil, "\(name): emsh died of signal \(r.signal ?? 0); stderr: \(r.stderr)")
        #expect(r.status == 1, "\(name): exit status \(r.status.map(String.init) ?? "none"), expected 1; stderr: \(r.stderr)")
        let errorLines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errorLines.contains { $0.contains(name) }, "\(name): no `error:` line naming the file; stderr: \(r.stderr)")
    }

    @Test("SIGKILL after 5 statements: all 5 are in the session journal")
    func journalSurvivesKill() throws {
        let home = try temporaryFolder("kill9")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let statements = (1...5).map { "a\($0) = \($0)" }
        do {
            let t = try PseudoTerminal(try Emsh.requireBinary(), environment: Emsh.environment(home: home))
            #expect(t.expect("emsh> "), "no prompt; screen: \(t.screen)")
            for s in statements {
                t.send(s + "\n")
                #expect(t.expect(s), "no echo of \(s): \(t.rest)")
                #expect(t.expect("emsh> "), "no prompt after \(s): \(t.rest)")
            }
            #expect(kill(t.pid, SIGKILL) == 0)
            #expect(t.waitForExit() == nil, "emsh was not killed by the signal")
        }
        let sessions = home + "/sessions"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: sessions)) ?? []).filter { $0.hasSuffix(".ems") }
        let file = try #require(files.count == 1 ? files.first : nil, "expected one journal in \(sessions), found \(files)")
        let text = try String(contentsOfFile: sessions + "/" + file, encoding: .utf8)
        let lines = Set(text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        for s in statements {
            #expect(lines.contains(s), "\(s) is missing from the journal:\n\(text)")
        }
    }
}

private struct BoundedRun {
    var status: Int32?
    var signal: Int32?
    var timedOut: Bool
    var stderr: String
}

/// Copies the fixture into a fresh folder and runs `emsh -c 'load "<name>"'` there, killing it after `seconds`.
private func runWithTimeout(fixture name: String, seconds: Double) throws -> BoundedRun {
    let binary = try Emsh.requireBinary()
    let folder = try temporaryFolder("malformed")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.copyItem(atPath: MalformedFilesTests.corpusFolder + "/" + name, toPath: folder + "/" + name)
    let errPath = folder + "/stderr.txt"
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    defer { try? errHandle.close() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["-c", "load \"\(name)\""]
    p.environment = Emsh.environment(home: folder + "/home")
    p.currentDirectoryURL = URL(fileURLWithPath: folder)
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle.nullDevice
    p.standardError = errHandle
    try p.run()
    let deadline = Date().addingTimeInterval(seconds)
    var timedOut = false
    while p.isRunning {
        if Date() >= deadline {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
            break
        }
        usleep(10_000)
    }
    p.waitUntilExit()
    let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    let signalled = p.terminationReason == .uncaughtSignal
    return BoundedRun(status: signalled ? nil : p.terminationStatus,
                      signal: signalled && !timedOut ? p.terminationStatus : nil,
                      timedOut: timedOut, stderr: err)
}
