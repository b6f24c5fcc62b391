import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct PNGTests {
    @Test func gray8RoundTrip() throws {
        let d = TempDir()
        let px: [UInt8] = (0..<(7 * 5)).map { UInt8(($0 * 37) % 256) }
        try PNG.writeGray8(path: d.file("a.png"), width: 7, height: 5, pixels: px)
        let (v, info) = try PNG.read(path: d.file("a.png"))
        #expect(info.width == 7 && info.height == 5 && info.depth == 8 && !info.isPalette && !info.convertedRGB)
        #expect(v.shape == Shape(z: 1, y: 5, x: 7))
        #expect(v.u8?.array == px)
    }

    @Test func gray16RoundTrip() throws {
        let d = TempDir()
        let px: [UInt16] = (0..<(9 * 4)).map { UInt16(($0 * 1871 + 3) % 65536) } + []
        try PNG.writeGray16(path: d.file("a.png"), width: 9, height: 4, pixels: px)
        let (v, info) = try PNG.read(path: d.file("a.png"))
        #expect(info.depth == 16)
        #expect(v.u16?.array == px)
        // Big-endian on disk: the first sample's high byte comes first in the IDAT stream;
        // reading it back through our reader swaps correctly only if the value survives intact.
        #expect(v.value(z: 0, y: 0, x: 1) == 1874)
    }

    @Test func rgbIsConvertedToGrayWithAFlag() throws {
        let d = TempDir()
        // Gray pixels stored as RGB stay exact; pure green is brighter than pure red (luminance).
        let rgb: [UInt8] = [10, 10, 10, 200, 200, 200, 255, 0, 0, 0, 255, 0]
        try PNG.writeRGB8(path: d.file("c.png"), width: 4, height: 1, pixels: rgb)
        let (v, info) = try PNG.read(path: d.file("c.png"))
        #expect(info.convertedRGB)
        let g = try #require(v.u8?.array)
        #expect(g[0] == 10 && g[1] == 200)
        #expect(g[3] > g[2])
        #expect(abs(Int(g[2]) - 54) <= 2)   // 0.2126 × 255
        #expect(abs(Int(g[3]) - 182) <= 2)  // 0.7152 × 255
    }

    @Test func alphaIsDropped() throws {
        let d = TempDir()
        try PNG.writeWithAlpha(path: d.file("ga.png"), width: 3, height: 1, channels: 2, pixels: [10, 255, 20, 0, 30, 128])
        let (v, info) = try PNG.read(path: d.file("ga.png"))
        #expect(info.droppedAlpha && !info.convertedRGB)
        #expect(v.u8?.array == [10, 20, 30])
        try PNG.writeWithAlpha(path: d.file("rgba.png"), width: 2, height: 1, channels: 4, pixels: [50, 50, 50, 0, 9, 9, 9, 255])
        let (w, winfo) = try PNG.read(path: d.file("rgba.png"))
        #expect(winfo.droppedAlpha && winfo.convertedRGB)
        #expect(w.u8?.array == [50, 9])
    }

    @Test func paletteYieldsIndices() throws {
        let d = TempDir()
        // Palette colours chosen so that converting to gray would NOT give the indices back.
        let palette: [UInt8] = [0, 0, 0, 255, 0, 0, 0, 255, 0, 9, 9, 9]
        let idx: [UInt8] = [0, 1, 2, 3, 3, 2, 1, 0, 1, 1]
        try PNG.writePalette(path: d.file("p.png"), width: 5, height: 2, indices: idx, palette: palette)
        let (v, info) = try PNG.read(path: d.file("p.png"))
        #expect(info.isPalette)
        #expect(v.u8?.array == idx)
        // 2-bit palette: indices unpacked, not scaled.
        try PNG.writePalette(path: d.file("p2.png"), width: 5, height: 2, indices: idx, palette: palette, depth: 2)
        #expect(try PNG.read(path: d.file("p2.png")).volume.u8?.array == idx)
    }

    @Test func lowBitGrayIsScaledTo8Bit() throws {
        let d = TempDir()
        try PNG.writeGray(path: d.file("b.png"), width: 4, height: 1, depth: 1, pixels: [0, 1, 1, 0])
        #expect(try PNG.read(path: d.file("b.png")).volume.u8?.array == [0, 255, 255, 0])
        try PNG.writeGray(path: d.file("q.png"), width: 4, height: 1, depth: 4, pixels: [0, 1, 15, 8])
        #expect(try PNG.read(path: d.file("q.png")).volume.u8?.array == [0, 17, 255, 136])
    }

    @Test func truncatedAndCorruptFilesNameTheFile() throws {
        let d = TempDir()
        let px: [UInt8] = (0..<(64 * 64)).map { UInt8(($0 * 7919) % 251) }
        try PNG.writeGray8(path: d.file("ok.png"), width: 64, height: 64, pixels: px)
        let good = readFile(d.file("ok.png"))

        writeFile(d.file("trunc.png"), Array(good.prefix(good.count / 2)))
        let t = errorText { _ = try PNG.read(path: d.file("trunc.png")) }
        #expect(t?.hasPrefix(d.file("trunc.png") + ":") == true)

        var bad = good
        bad[good.count / 2] ^= 0x5A  // inside IDAT: CRC or zlib error
        writeFile(d.file("corrupt.png"), bad)
        let c = errorText { _ = try PNG.read(path: d.file("corrupt.png")) }
        #expect(c?.hasPrefix(d.file("corrupt.png") + ":") == true)

        writeFile(d.file("text.png"), Array("hello, not a png".utf8))
        #expect(errorText { _ = try PNG.read(path: d.file("text.png")) }?.contains("not a PNG") == true)
        writeFile(d.file("empty.png"), [])
        #expect(errorText { _ = try PNG.read(path: d.file("empty.png")) }?.contains("empty.png") == true)
        #expect(errorText { _ = try PNG.read(path: d.file("missing.png")) }?.contains("missing.png") == true)
    }

    @Test func hostileHeaderIsRefusedBeforeAllocating() throws {
        let d = TempDir()
        try PNG.writeGray8(path: d.file("s.png"), width: 2, height: 2, pixels: [1, 2, 3, 4])
        var b = readFile(d.file("s.png"))
        // IHDR width/height at bytes 16..23: claim 1,000,000 × 1,000,000 (libpng's own limit) and fix the CRC.
        func put32(_ v: UInt32, _ at: Int) { for k in 0..<4 { b[at + k] = UInt8((v >> (24 - 8 * k)) & 0xff) } }
        put32(1_000_000, 16)
        put32(1_000_000, 20)
        put32(crc32(Array(b[12..<29])), 29)
        writeFile(d.file("huge.png"), b)
        let e = errorText { _ = try PNG.read(path: d.file("huge.png")) }
        #expect(e?.hasPrefix(d.file("huge.png")) == true)
        put32(0, 16)
        put32(crc32(Array(b[12..<29])), 29)
        writeFile(d.file("zero.png"), b)
        #expect(errorText { _ = try PNG.read(path: d.file("zero.png")) }?.hasPrefix(d.file("zero.png")) == true)
    }

    @Test func writeToMissingFolderFailsNamingThePath() {
        let e = errorText { try PNG.writeGray8(path: "/nonexistent-emsh/x.png", width: 1, height: 1, pixels: [0]) }
        #expect(e?.contains("/nonexistent-emsh/x.png") == true)
    }
}

func crc32(_ data: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in data {
        c ^= UInt32(b)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return c ^ 0xFFFF_FFFF
}
