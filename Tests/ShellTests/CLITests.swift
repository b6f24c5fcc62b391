import Foundation
import Testing
@testable import Shell
import TestSupport

/// `emsh` on the command line: modes, `$args`, exit statuses and the error format.
@Suite("Command line")
struct CLITests {
    @Test func codeRunsAndExitsZero() throws {
        let r = try Emsh.run(["-c", "x = 20; print ($x + 22)"])
        #expect(r.status == 0)
        #expect(r.stdout == "42\n")
        #expect(r.stderr == "")
    }

    @Test func scriptErrorExitsOneWithLocatedMessage() throws {
        let r = try Emsh.run(["-c", "x = 1\ny = $nope + 1"])
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("error: <-c>:2:5: ") == true, "stderr: \(r.stderr)")
        #expect(lines.count >= 3 && lines[1].contains("y = $nope + 1") && lines[2].contains("^"))
        #expect(r.stdout == "")
    }

    @Test func usageErrorsExitTwo() throws {
        let unknown = try Emsh.run(["--frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("unknown option '--frobnicate'"))
        #expect(try Emsh.run(["-c"]).status == 2)
        #expect(try Emsh.run(["--replay"]).status == 2)
        #expect(try Emsh.run(["--verify"]).status == 2)
        let missing = try Emsh.run(["/nonexistent/script.ems"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent/script.ems"))
    }

    @Test func versionAndHelp() throws {
        let v = try Emsh.run(["--version"])
        #expect(v.status == 0 && v.stdout == "emsh 0.1.0\n")
        let h = try Emsh.run(["--help"])
        #expect(h.status == 0 && h.stdout.contains("emsh --replay FILE [--verify]"))
    }

    @Test func scriptFileGetsArgs() throws {
        let dir = try temporaryFolder("args")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/s.ems"
        try "print (len $args) $args[0] $args[-1]\nexit 3\nprint unreachable\n".write(toFile: script, atomically: true, encoding: .utf8)
        let r = try Emsh.run([script, "one", "--two", "three"])
        #expect(r.stdout == "3 one three\n")
        #expect(r.status == 3)
        let c = try Emsh.run(["-c", "print $args", "a", "b"])
        #expect(c.stdout == "[\"a\", \"b\"]\n")
    }

    @Test func stdinIsAScriptWhenNotATerminal() throws {
        let r = try Emsh.run([], stdin: "a = 5\nprint ($a * 2)\n$a\n")
        #expect(r.status == 0)
        #expect(r.stdout == "10\n")   // a script does not show statement results
        let bad = try Emsh.run([], stdin: "print (1 +\n")
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("error: <stdin>:"))
    }

    @Test func cdAndPwd() throws {
        let dir = try temporaryFolder("cd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let real = (try? FileManager.default.destinationOfSymbolicLink(atPath: dir)) ?? dir
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        let r = try Emsh.run(["-c", "cd \(dir); cd sub; print (pwd); cd /no/such/folder"])
        #expect(r.stdout.hasSuffix("/sub\n") && r.stdout.contains((real as NSString).lastPathComponent))
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot go to /no/such/folder"))
    }

    @Test func preludeLoadsWithoutWarnings() throws {
        let r = try Emsh.run(["-c", "print (sum [1, 2, 3]) (mean [2, 4]) (join [a, b] \"-\") (maximum [3, 9, 2]) (clamp 5 0 2)"])
        #expect(r.stderr == "")
        #expect(r.stdout == "6 3 a-b 9 2\n")
    }

    @Test func argumentParsing() throws {
        #expect(try CLI.parse([], stdinIsTerminal: true) == .repl)
        #expect(try CLI.parse([], stdinIsTerminal: false) == .stdinScript)
        #expect(try CLI.parse(["f.ems", "-c", "x"], stdinIsTerminal: true) == .script(path: "f.ems", args: ["-c", "x"]))
        #expect(try CLI.parse(["--verify", "--replay", "j.ems"], stdinIsTerminal: true) == .replay(path: "j.ems", verify: true))
        #expect(try CLI.parse(["-c", "print 1", "a"], stdinIsTerminal: true) == .code("print 1", args: ["a"]))
        #expect(throws: UsageError.self) { try CLI.parse(["--replay", "j.ems", "extra"], stdinIsTerminal: true) }
        #expect(throws: UsageError.self) { try CLI.parse(["-x"], stdinIsTerminal: true) }
    }
}
