import Foundation
import Testing
import TestSupport

/// The stdlib scripts run end to end through the real binary.
@Suite struct StdlibScriptTests {
    static let root = packageRoot

    @Test("thesis.ems on two small phantom cells writes a 5-row table of P/R/F and its plot")
    func thesisExperimentRuns() throws {
        let out = try temporaryFolder("thesis")
        defer { try? FileManager.default.removeItem(atPath: out) }
        // 2 training steps per model and 128-pixel slices: the plumbing, not the quality.
        let r = try Emsh.run([Self.root + "/stdlib/thesis.ems", out, "2", "128"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let csv = try String(contentsOfFile: out + "/thesis.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "added,level,precision,recall,f")
        #expect(lines.dropFirst().map { $0.split(separator: ",").first.map(String.init) } == ["0", "5", "10", "15", "20"])
        for line in lines.dropFirst() {
            let f = Double(line.split(separator: ",").last.map(String.init) ?? "") ?? -1
            #expect(f >= 0 && f <= 1, "F out of range in \(line)")
        }
        let svg = try String(contentsOfFile: out + "/thesis.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"))
        #expect(r.stdout.contains("+ 20 new slices: F = "))
    }

    @Test("mito.ems without arguments prints its usage and exits 2")
    func mitoUsage() throws {
        let r = try Emsh.run([Self.root + "/stdlib/mito.ems"])
        #expect(r.status == 2)
        #expect(r.stdout.contains("usage: emsh stdlib/mito.ems DATA [OUT] [MINUTES] [SPACING]"))
    }

    @Test("mito.ems rejects a malformed SPACING and a missing OUT before loading or training anything")
    func mitoArgumentChecks() throws {
        let bad = try Emsh.run([Self.root + "/stdlib/mito.ems", "/nonexistent/data", "/nonexistent/out", "1", "10,10"])
        #expect(bad.status == 2)
        #expect(bad.stdout.contains("SPACING in nm"))
        let noOut = try Emsh.run([Self.root + "/stdlib/mito.ems", "/nonexistent/data", "/nonexistent/out", "1", "10x10x50"])
        #expect(noOut.status == 1)
        #expect(noOut.stderr.contains("cannot go to /nonexistent/out"), "stderr: \(noOut.stderr)")
        #expect(!noOut.stderr.contains("/nonexistent/data"), "the data was touched before the OUT check")
    }
}
