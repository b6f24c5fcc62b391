import Foundation
import Testing
@testable import Shell
import Runtime
import TestSupport

/// The session journal's format: statements, result digests, failures as comments.
@Suite struct JournalTests {
    @Test func recordsStatementsDigestsAndFailures() throws {
        let dir = try temporaryFolder("journal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try Journal(directory: dir + "/sessions", warn: { Issue.record("warning: \($0)") })
        j.record("x = 1 + 1", result: .number(2))
        j.recordFailure("load nothing.png\n--mask", interrupted: false)
        j.recordFailure("while true { }", interrupted: true)
        let text = try String(contentsOfFile: j.path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("# emsh session "))
        let x = try #require(lines.firstIndex(of: "x = 1 + 1"))
        #expect(lines[x + 1] == "# => \(Value.number(2).digest.hex) number")
        #expect(lines[x + 2] == "# failed: load nothing.png")
        #expect(lines[x + 3] == "#   --mask")
        #expect(lines[x + 4] == "# interrupted: while true { }")
        // A second journal in the same second gets its own file.
        let k = try Journal(directory: dir + "/sessions", warn: { _ in })
        #expect(k.path != j.path)
    }

    @Test func recordedResultsAreFoundByLine() {
        let text = "# header\na = 1\n# => 0123456789abcdef number\n# => nothex number\nprint 1\n  # => fedcba9876543210 nil\n"
        let r = Journal.recordedResults(in: text)
        #expect(r.count == 2)
        #expect(r[0].line == 3 && r[0].digest == "0123456789abcdef" && r[0].type == "number")
        #expect(r[1].line == 6 && r[1].type == "nil")
    }

    @Test func digestsDifferForDifferentResults() {
        #expect(Value.number(42).digest.hex != Value.number(48).digest.hex)
        #expect(Value.number(1).digest.hex != Value.string("1").digest.hex)
    }
}
