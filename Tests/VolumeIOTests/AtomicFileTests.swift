import _Platform
import Foundation
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct AtomicFileTests {
    struct Boom: Error {}

    @Test func errorHalfwayKeepsTheOldFileAndLeavesNoTemp() throws {
        let d = TempDir()
        let target = d.file("data.csv")
        writeFile(target, Array("old contents\n".utf8))
        #expect(throws: Boom.self) {
            try AtomicFile.write(to: target) { tmp in
                writeFile(tmp, Array("half of the new".utf8))
                throw Boom()
            }
        }
        #expect(readFile(target) == Array("old contents\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path) == ["data.csv"])
    }

    @Test func successReplacesAndKeepsPermissions() throws {
        let d = TempDir()
        let target = d.file("x.txt")
        writeFile(target, [1])
        chmod(target, 0o600)
        try AtomicFile.write(to: target) { tmp in writeFile(tmp, [2, 3]) }
        #expect(readFile(target) == [2, 3])
        let attrs = try FileManager.default.attributesOfItem(atPath: target)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
    }

    @Test func batchIsAllOrNothing() throws {
        let d = TempDir()
        writeFile(d.file("a"), [1])
        #expect(throws: Boom.self) {
            try AtomicFile.writeAll(to: [d.file("a"), d.file("b")]) { tmps in
                writeFile(tmps[0], [9])
                throw Boom()
            }
        }
        #expect(readFile(d.file("a")) == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path) == ["a"])
    }

    @Test func missingFolderOrNoFileIsAnError() {
        let d = TempDir()
        #expect(errorText { try AtomicFile.write(to: d.file("no/x")) { _ in } }?.contains("does not exist") == true)
        #expect(errorText { try AtomicFile.write(to: d.file("y")) { _ in } }?.hasPrefix(d.file("y")) == true)
        #expect(!FileManager.default.fileExists(atPath: d.file("y")))
    }
}
