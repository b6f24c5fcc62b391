import _Platform
import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct StackTests {
    func writeSlices(_ d: TempDir, _ names: [String], width: Int = 6, height: Int = 4) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for (k, n) in names.enumerated() {
            let px = (0..<(width * height)).map { UInt8(($0 * 3 + k * 50) % 256) }
            try PNG.writeGray8(path: d.file(n), width: width, height: height, pixels: px)
            out.append(px)
        }
        return out
    }

    @Test func patternSortsNaturallyAndLoadsInOrder() throws {
        let d = TempDir()
        let px = try writeSlices(d, ["s10.png", "s9.png", "s1.png"])
        let paths = try expandPattern("*.png", relativeTo: d.path)
        #expect(paths.map { splitPath($0).base } == ["s1.png", "s9.png", "s10.png"])
        let v = try VolumeIO.loadVolume(pattern: "s*.png", cwd: d.path)
        #expect(v.shape == Shape(z: 3, y: 4, x: 6))
        #expect(v.u8?.array == px[2] + px[1] + px[0])
        // A folder means every image in it.
        #expect(try expandPattern(d.path, relativeTo: "/").count == 3)
        // z range: only slices 1..<3.
        let part = try VolumeIO.loadVolume(pattern: "*.png", cwd: d.path, z: IndexRange(1, 3))
        #expect(part.u8?.array == px[1] + px[0])
    }

    /// PNG slices of 0/1 load as a mask (a saved mask, a two-class palette); anything brighter stays an image.
    @Test func zeroOneSlicesLoadAsAMask() throws {
        let d = TempDir()
        let bits = (0..<24).map { UInt8($0 % 3 == 0 ? 1 : 0) }
        try PNG.writeGray8(path: d.file("m0.png"), width: 6, height: 4, pixels: bits)
        try PNG.writeGray8(path: d.file("m1.png"), width: 6, height: 4, pixels: bits.reversed())
        let m = try VolumeIO.loadVolume(pattern: "m*.png", cwd: d.path)
        #expect(m.kind == .mask && m.u8?.array == bits + bits.reversed())
        _ = try writeSlices(d, ["s0.png"])
        #expect(try VolumeIO.loadVolume(pattern: "s*.png", cwd: d.path).kind == .image)
    }

    @Test func naturalOrder() {
        let names = ["img10.png", "img2.png", "img1.png", "img01.png", "a.png", "img2b.png"]
        #expect(names.sorted(by: naturalLess) == ["a.png", "img01.png", "img1.png", "img2.png", "img2b.png", "img10.png"])
    }

    @Test func noMatchNamesThePattern() {
        let d = TempDir()
        let e = errorText { _ = try expandPattern("nothing*.png", relativeTo: d.path) }
        #expect(e == "nothing*.png: no files match")
        #expect(errorText { _ = try expandPattern("missing.png", relativeTo: d.path) }?.hasPrefix("missing.png:") == true)
        #expect(errorText { _ = try expandPattern(".", relativeTo: d.path) }?.contains("no .png or .tif") == true)
    }

    @Test func mismatchedSlicesNameTheFile() throws {
        let d = TempDir()
        _ = try writeSlices(d, ["a1.png", "a2.png"])
        _ = try writeSlices(d, ["a3.png"], width: 5)
        let e = errorText { _ = try VolumeIO.loadVolume(pattern: "a*.png", cwd: d.path) }
        #expect(e?.hasPrefix(d.file("a3.png") + ": slice is 5×4") == true)
        try PNG.writeGray16(path: d.file("b2.png"), width: 6, height: 4, pixels: [UInt16](repeating: 9, count: 24))
        _ = try writeSlices(d, ["b1.png"])
        #expect(errorText { _ = try VolumeIO.loadVolume(pattern: "b*.png", cwd: d.path) }?
            .hasPrefix(d.file("b2.png") + ": slice is 16-bit") == true)
    }

    @Test func corruptSliceInAStackNamesThatFile() throws {
        let d = TempDir()
        _ = try writeSlices(d, ["c1.png", "c2.png", "c3.png"], width: 40, height: 40)
        let b = readFile(d.file("c2.png"))
        writeFile(d.file("c2.png"), Array(b.prefix(b.count - 30)))
        let e = errorText { _ = try VolumeIO.loadVolume(pattern: "c*.png", cwd: d.path) }
        #expect(e?.hasPrefix(d.file("c2.png") + ":") == true)
    }

    @Test func maskMakesNonZeroOne() throws {
        let d = TempDir()
        try PNG.writePalette(path: d.file("m.png"), width: 3, height: 2, indices: [0, 1, 2, 0, 5, 0],
                             palette: [UInt8](repeating: 0, count: 18))
        let m = try VolumeIO.loadVolume(pattern: "m.png", cwd: d.path, mask: true)
        #expect(m.kind == .mask)
        #expect(m.u8?.array == [0, 1, 1, 0, 1, 0])
    }

    @Test func rgbSlicesWarn() throws {
        let d = TempDir()
        try PNG.writeRGB8(path: d.file("r.png"), width: 1, height: 1, pixels: [1, 2, 3])
        var warnings: [String] = []
        _ = try VolumeIO.loadVolume(pattern: "r.png", cwd: d.path, warn: { warnings.append($0) })
        #expect(warnings.count == 1 && warnings[0].contains("converted to gray"))
    }

    @Test func savePNGSequenceAndTIFFByExtension() throws {
        let d = TempDir()
        let v = randomVolume(.u16, shape: Shape(z: 3, y: 5, x: 4), seed: 21)
        let written = try VolumeIO.saveVolume(v, path: d.file("out_%03d.png"))
        #expect(written.map { splitPath($0).base } == ["out_000.png", "out_001.png", "out_002.png"])
        #expect(bytes(of: try VolumeIO.loadVolume(pattern: "out_*.png", cwd: d.path)) == bytes(of: v))
        // No pattern: NAME_000.png …
        let plain = try VolumeIO.saveVolume(v, path: d.file("plain.png"))
        #expect(plain.map { splitPath($0).base } == ["plain_000.png", "plain_001.png", "plain_002.png"])
        // One slice, no pattern: the path itself.
        let one = randomVolume(.u8, shape: Shape(z: 1, y: 2, x: 2), seed: 1)
        #expect(try VolumeIO.saveVolume(one, path: d.file("one.png")) == [d.file("one.png")])
        // u32 labels that fit 16 bits go to 16-bit PNG; f32 cannot.
        let lab = Volume(zeros: Shape(z: 1, y: 1, x: 3), type: .u32)
        lab.u32?.pointer[1] = 70
        try VolumeIO.saveVolume(lab, path: d.file("lab.png"))
        #expect(try PNG.read(path: d.file("lab.png")).volume.u16?.array == [0, 70, 0])
        let f = randomVolume(.f32, shape: Shape(z: 1, y: 2, x: 2), seed: 3)
        #expect(errorText { try VolumeIO.saveVolume(f, path: d.file("f.png")) }?.contains("f32") == true)
        try VolumeIO.saveVolume(f, path: d.file("f.tif"))
        #expect(bytes(of: try VolumeIO.loadVolume(pattern: "f.tif", cwd: d.path)) == bytes(of: f))
        #expect(errorText { try VolumeIO.saveVolume(f, path: d.file("f.jpg")) }?.contains(".jpg") == true)
        #expect(errorText { try VolumeIO.saveVolume(v, path: d.file("bad_%s.png")) } != nil)
    }

    @Test func mixedFormatsAreRefused() throws {
        let d = TempDir()
        _ = try writeSlices(d, ["x1.png"])
        try TIFF.write(randomVolume(.u8, shape: Shape(z: 1, y: 4, x: 6), seed: 1), to: d.file("x2.tif"))
        #expect(errorText { _ = try VolumeIO.loadVolume(pattern: "x*", cwd: d.path) }?.contains("both PNG and TIFF") == true)
    }
}
