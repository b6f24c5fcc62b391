import Foundation
import Testing
import TestSupport

/// A session recorded through the REPL replays clean with --verify; a changed statement is
/// reported at its line.
@Suite("Recorded sessions", .serialized)
struct ReplayTests {
    /// Records a session at a pseudo-terminal; returns the journal's path and text.
    func recordSession(home: String) throws -> (path: String, text: String) {
        let t = try PseudoTerminal(try Emsh.requireBinary(), environment: Emsh.environment(home: home))
        #expect(t.expect("emsh> "))
        for line in ["a = 6", "b = $a * 7", "no_such_command_xyz 1", "print $b", "c = [$a, $b, \"text\"]",
                     "def add x y {", "return $x + $y", "}", "add $a $b"] {
            t.send(line + "\n")
            #expect(t.expect(line.hasPrefix("def") || line.hasPrefix("return") ? "...> " : "emsh> "), "after \(line): \(t.rest)")
        }
        t.send("\u{4}")
        #expect(t.waitForExit() == 0)
        let dir = home + "/sessions"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ems") }
        try #require(files.count == 1)
        let path = dir + "/" + files[0]
        return (path, try String(contentsOfFile: path, encoding: .utf8))
    }

    @Test("journal → replay --verify clean; one statement changed → its line is reported")
    func replayVerify() throws {
        let home = try temporaryFolder("replay")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let (path, text) = try recordSession(home: home)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Each statement is followed by its result digest; the failed one is a comment.
        let bLine = try #require(lines.firstIndex(of: "b = $a * 7"))
        #expect(lines[bLine + 1].hasPrefix("# => ") && lines[bLine + 1].hasSuffix(" number"))
        #expect(lines.contains("# failed: no_such_command_xyz 1"))
        #expect(lines.contains("def add x y {"))

        let clean = try Emsh.run(["--replay", path, "--verify"])
        #expect(clean.status == 0, "stderr: \(clean.stderr)")
        #expect(clean.stdout == "42\n")

        var changed = lines
        changed[bLine] = "b = $a * 8"
        let changedPath = home + "/changed.ems"
        try changed.joined(separator: "\n").write(toFile: changedPath, atomically: true, encoding: .utf8)
        let bad = try Emsh.run(["--replay", changedPath, "--verify"])
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: \(changedPath):\(bLine + 1):1: result differs from the recording (digest "),
                "stderr: \(bad.stderr)")
        // Without --verify the changed journal just runs.
        let plain = try Emsh.run(["--replay", changedPath])
        #expect(plain.status == 0)
        #expect(plain.stdout == "48\n")
    }

    @Test("--verify on a script with no recorded results is an error, not '0 verified'")
    func verifyNeedsRecordings() throws {
        let home = try temporaryFolder("noverify")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let path = home + "/plain.ems"
        try "a = 1\nprint $a\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try Emsh.run(["--replay", path, "--verify"])
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.contains("holds no recorded results"), "stderr: \(r.stderr)")
        #expect(try Emsh.run(["--replay", path]).stdout == "1\n")
    }

    @Test("history --save writes a clean script that replays")
    func historySave() throws {
        let home = try temporaryFolder("save")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let script = home + "/saved.ems"
        let r = try Emsh.run(["-c", "a = 2; b = $a + 3; history; history --save \(script)"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("1  a = 2") && r.stdout.contains("2  b = $a + 3"))
        let saved = try String(contentsOfFile: script, encoding: .utf8)
        #expect(saved.contains("a = 2\nb = $a + 3\nhistory\n"))
        #expect(!saved.contains("# =>"))
        let again = try Emsh.run([script])
        #expect(again.status == 0)
        #expect(again.stdout.contains("1  a = 2"))
    }
}
