import _Platform
import Foundation
import Testing
import Runtime
import Language
import Commands
import Kernels
import TestSupport

/// `show`, `info` and `ls` on small hand-made values.
@Suite(.serialized) struct LookingTests {
    func run(_ code: String, _ vars: [String: Value] = [:]) throws -> String {
        let out = OutputBuffer()
        let interp = Interpreter(registry: makeRegistry(), write: { out.append($0) }, warn: { out.append($0) })
        for (k, v) in vars { interp.setVariable(k, v) }
        _ = try interp.run(code, file: "<test>")
        return out.text
    }

    /// 2×2×4 u8: slice 0 = 0, 10, 20, 30 / 40, 50, 60, 70; slice 1 = 100…170.
    var tiny: Volume {
        let values: [UInt8] = [0, 10, 20, 30, 40, 50, 60, 70, 100, 110, 120, 130, 140, 150, 160, 170]
        return Volume(shape: Shape(z: 2, y: 2, x: 4), spacing: Spacing(x: 5, y: 5, z: 40), storage: .u8(VoxelBuffer(values)))
    }

    @Test func infoOfAVolume() throws {
        let text = try run("info $v", ["v": .volume(tiny)])
        #expect(text.contains("shape      2×2×4 (z×y×x)"))
        #expect(text.contains("spacing    5×5×40 nm"))
        #expect(text.contains("memory     16 B"))
        #expect(text.contains("min        0\n"))
        #expect(text.contains("max        170\n"))
        #expect(text.contains("mean       85.000"))
        // Population standard deviation of the 16 values, computed independently.
        let vals: [Double] = [0, 10, 20, 30, 40, 50, 60, 70, 100, 110, 120, 130, 140, 150, 160, 170]
        let sd = (vals.map { ($0 - 85) * ($0 - 85) }.reduce(0, +) / 16).squareRoot()
        #expect(text.contains("std        \(fixed(sd, 3))"))
    }

    @Test func showDrawsTheSliceWithHalfBlocks() throws {
        setenv("EMSH_COLOR", "always", 1)
        defer { unsetenv("EMSH_COLOR") }
        let text = try run("show $v --z 1", ["v": .volume(tiny)])
        let lines = text.split(separator: "\n")
        #expect(lines[0].hasPrefix("slice 1 of 2"))
        #expect(lines[0].contains("window 100..170"))
        // 4 columns × 2 pixel rows = one line of 4 half blocks: top row 100…130, bottom 140…170.
        #expect(lines.count == 2)
        #expect(lines[1].components(separatedBy: "▀").count - 1 == 4)
        // The darkest voxel (100, top-left) is black, the brightest (170, bottom-right) white.
        #expect(lines[1].hasPrefix("\u{1B}[38;5;16m"))
        #expect(lines[1].hasSuffix("\u{1B}[48;5;231m▀\u{1B}[0m"))
    }

    @Test func showWithoutColourDrawsCharacters() throws {
        setenv("EMSH_COLOR", "never", 1)
        defer { unsetenv("EMSH_COLOR") }
        let text = try run("show $v --z 0", ["v": .volume(tiny)])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!text.contains("\u{1B}"))
        // One line for the two pixel rows, each column the mean of its two voxels on the ramp " .:-=+*#%@"
        // over the window 0..70: (0+40)/2 = 20 → 20/70·9 = 2.57 → "-", then 30 → "=", 40 → "+", 50 → "*".
        #expect(lines[1] == "-=+*")
        let labels = Volume(shape: tiny.shape, kind: .labels, storage: .u32(VoxelBuffer<UInt32>([0, 1, 2, 0, 3, 3, 0, 0,
                                                                                              0, 0, 0, 0, 0, 0, 0, 0])))
        let lab = try run("show $l --z 0", ["l": .volume(labels)])
        // Labels: the first pixel row's ids 0, 1, 2, 0 as " ", "1", "2", " " (trailing blanks trimmed).
        #expect(!lab.contains("\u{1B}"))
        #expect(lab.split(separator: "\n", omittingEmptySubsequences: false)[1] == " 12")
    }

    @Test func showRejectsASliceOutOfRange() {
        #expect(throws: EmshError.self) { try run("show $v --z 5", ["v": .volume(tiny)]) }
    }

    @Test func showHistogramAndTable() throws {
        var bins = [UInt64](repeating: 0, count: 256)
        bins[10] = 5; bins[200] = 20
        let h = Histogram(perSlice: bins, sliceCount: 1)
        let text = try run("show $h", ["h": .histogram(h)])
        #expect(text.hasPrefix("histogram of 1 slice · 25 voxels · mode 200 · mean 162.0"))
        let rows = text.split(separator: "\n")
        // 10 rows of bars: bin 200 (column 50) is full height, bin 10 (column 2) a quarter.
        #expect(rows[1].hasPrefix("     20 ┤"))
        let top = Array(rows[1].dropFirst(9))
        #expect(top[50] == "█" && top[2] == " ")
        let t = Table([("id", .number([1, 2, 3])), ("name", .string(["a", "bb", "c"])), ("v", .number([0.5, 12, 3.25]))])
        let shown = try run("show $t --rows 2", ["t": .table(t)])
        #expect(shown == "table 3 rows × 3 columns\nid  name       v\n 1  a     0.5000\n 2  bb        12\n… 1 more rows\n")
    }

    @Test func lsListsAFolderAndAGlob() throws {
        let dir = try temporaryFolder("ls")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["b.png", "a.png", "c.txt", ".hidden"] { _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: nil) }
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        let all = try run("ls \(dir)").split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(all == ["a.png", "b.png", "c.txt", "sub/"])
        let png = try run("ls \(dir)/*.png")
        #expect(png.contains("\(dir)/a.png") && png.contains("\(dir)/b.png") && !png.contains("c.txt"))
        #expect(throws: EmshError.self) { try run("ls \(dir)/*.tif") }
    }
}
