import Foundation
import Testing
@testable import Shell
import TestSupport

/// The persistent history: multi-line entries survive, a corrupt file is set aside with a warning.
@Suite struct HistoryFileTests {
    @Test func entriesRoundTripThroughTheFile() throws {
        let dir = try temporaryFolder("hist")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/deep/er/history"
        var warnings: [String] = []
        do {
            let h = HistoryFile(path: path, warn: { warnings.append($0) })
            h.append("def f x {\n    return $x\n}")
            h.append("print \"a\\nb\" \\ end")
        }
        let again = HistoryFile(path: path, warn: { warnings.append($0) })
        #expect(again.entries == ["def f x {\n    return $x\n}", "print \"a\\nb\" \\ end"])
        #expect(warnings.isEmpty)
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        #expect(raw.split(separator: "\n").count == 2)
    }

    @Test func corruptFileIsMovedAsideWithAWarning() throws {
        let dir = try temporaryFolder("hist")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/history"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x61, 0x00, 0xC3, 0x28, 0x0A]))
        var warnings: [String] = []
        let h = HistoryFile(path: path, warn: { warnings.append($0) })
        #expect(h.entries.isEmpty)
        #expect(warnings.count == 1 && warnings[0].contains("corrupt"))
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
        h.append("x = 1")
        #expect(HistoryFile(path: path, warn: { _ in }).entries == ["x = 1"])
    }

    @Test func unwritableHistoryIsAWarning() throws {
        var warnings: [String] = []
        let h = HistoryFile(path: "/proc/emsh-no-such/history", warn: { warnings.append($0) })
        h.append("still works")
        #expect(h.entries == ["still works"])
        #expect(warnings.count == 1 && warnings[0].contains("history will not be saved"))
    }
}
