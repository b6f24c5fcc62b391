import _Platform
import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct TIFFTests {
    static let layouts: [TIFFLayout] = [.strips, .tiles(16)]

    @Test(arguments: VoxelType.allCases, TIFFCompression.allCases)
    func roundTripIsExact(type: VoxelType, compression: TIFFCompression) throws {
        let d = TempDir()
        // 37×53 is not a multiple of the 16-pixel tiles: edge tiles are partial.
        let v = randomVolume(type, shape: Shape(z: 3, y: 37, x: 53), seed: 7)
        for layout in Self.layouts {
            let path = d.file("v.tif")
            try TIFF.write(v, to: path, options: TIFFWriteOptions(compression: compression, layout: layout))
            let r = try TIFF.read(paths: [path])
            #expect(r.shape == v.shape)
            #expect(r.type == type)
            #expect(bytes(of: r) == bytes(of: v), "\(type) \(compression) \(layout)")
        }
    }

    /// Strips that lie back to back but carry a padding byte each are not one run of rows: the
    /// one-pread path must not take them (it would shift every row after the first strip).
    @Test func paddedStripsAreReadRowByRow() throws {
        // A 4×4 u8 page in two strips of 2 rows; each strip holds its 8 bytes and 1 padding byte.
        let pixels = (0..<16).map { UInt8(10 + $0) }
        let data = Array(pixels[0..<8]) + [0xEE] + Array(pixels[8..<16]) + [0xEE]
        var tiff: [UInt8] = [0x49, 0x49, 42, 0]
        func u16(_ x: Int) -> [UInt8] { [UInt8(x & 0xff), UInt8(x >> 8)] }
        func u32(_ x: Int) -> [UInt8] { (0..<4).map { UInt8((x >> (8 * $0)) & 0xff) } }
        let dataAt = 8, arraysAt = dataAt + data.count          // strip offsets and counts after the data
        let ifdAt = arraysAt + 16
        tiff += u32(ifdAt)
        tiff += data
        tiff += u32(dataAt) + u32(dataAt + 9) + u32(9) + u32(9)
        let entries: [(Int, Int, Int, Int)] = [                  // tag, type (3 short, 4 long), count, value
            (256, 3, 1, 4), (257, 3, 1, 4), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
            (273, 4, 2, arraysAt), (277, 3, 1, 1), (278, 3, 1, 2), (279, 4, 2, arraysAt + 8),
        ]
        tiff += u16(entries.count)
        for (tag, type, count, value) in entries { tiff += u16(tag) + u16(type) + u32(count) + u32(value) }
        tiff += u32(0)
        let d = TempDir()
        try Data(tiff).write(to: URL(fileURLWithPath: d.file("padded.tif")))
        let v = try TIFF.read(paths: [d.file("padded.tif")])
        #expect(v.u8?.array == pixels)
    }

    @Test func largeStripsAndSmoothDataCompress() throws {
        // Runs of equal values: compressed files must be smaller and still exact.
        let d = TempDir()
        let v = Volume(zeros: Shape(z: 2, y: 300, x: 1000), type: .u16)
        if let b = v.u16 { for i in 0..<b.count { b.pointer[i] = UInt16(i / 5000) } }
        try TIFF.write(v, to: d.file("n.tif"))
        try TIFF.write(v, to: d.file("z.tif"), options: TIFFWriteOptions(compression: .deflate))
        #expect(readFile(d.file("z.tif")).count < readFile(d.file("n.tif")).count / 10)
        #expect(bytes(of: try TIFF.read(paths: [d.file("z.tif")])) == bytes(of: v))
    }

    @Test func spacingRoundTripsInNanometres() throws {
        let d = TempDir()
        var v = randomVolume(.u8, shape: Shape(z: 2, y: 4, x: 5), seed: 1)
        v.spacing = Spacing(x: 7.5, y: 7.25, z: 50)
        for opts in [TIFFWriteOptions(), TIFFWriteOptions(compression: .lzw, layout: .tiles(16))] {
            try TIFF.write(v, to: d.file("s.tif"), options: opts)
            let r = try TIFF.read(paths: [d.file("s.tif")])
            #expect(r.spacing == v.spacing)
        }
    }

    @Test func imageJDescriptionInMicronsIsConverted() throws {
        #expect(TIFF.unitScale("micron") == 1000)
        #expect(TIFF.unitScale("\u{00B5}m") == 1000)
        #expect(TIFF.unitScale("nm") == 1)
        #expect(TIFF.unitScale("furlong") == nil && TIFF.unitScale("pixel") == nil)
        #expect(TIFF.decodeUnicodeEscapes("\\u00B5m") == "\u{00B5}m")
        #expect(TIFF.decodeUnicodeEscapes("a\\u00") == "a\\u00")
        #expect(TIFF.roundSignificant(7.4999996) == 7.5)
        // The written description carries what Fiji reads.
        var v = randomVolume(.u8, shape: Shape(z: 3, y: 2, x: 2), seed: 2)
        v.spacing = Spacing(x: 5, y: 5, z: 30)
        let desc = TIFF.imageJDescription(v, images: true)
        #expect(desc.hasPrefix("ImageJ="))
        #expect(desc.contains("images=3\nslices=3\n"))
        #expect(desc.contains("unit=nm\nspacing=30\n"))
        let (n, den) = TIFF.resolutionRational(7.5)
        #expect(Double(den) / Double(n) == 7.5)
    }

    @Test func zRangeDecodesOnlyThosePages() throws {
        let d = TempDir()
        let v = randomVolume(.u16, shape: Shape(z: 5, y: 6, x: 7), seed: 3)
        for opts in [TIFFWriteOptions(), TIFFWriteOptions(compression: .packbits)] {
            try TIFF.write(v, to: d.file("z.tif"), options: opts)
            let r = try TIFF.read(paths: [d.file("z.tif")], z: IndexRange(1, 4))
            #expect(r.shape == Shape(z: 3, y: 6, x: 7))
            #expect(bytes(of: r) == Array(bytes(of: v)[(6 * 7 * 2)..<(4 * 6 * 7 * 2)]))
            #expect(errorText { _ = try TIFF.read(paths: [d.file("z.tif")], z: IndexRange(3, 9)) }?.contains("outside") == true)
        }
    }

    @Test func severalFilesConcatenateAndMustMatch() throws {
        let d = TempDir()
        let a = randomVolume(.u8, shape: Shape(z: 2, y: 3, x: 4), seed: 4)
        let b = randomVolume(.u8, shape: Shape(z: 1, y: 3, x: 4), seed: 5)
        let c = randomVolume(.u8, shape: Shape(z: 1, y: 4, x: 4), seed: 6)
        try TIFF.write(a, to: d.file("a.tif"))
        try TIFF.write(b, to: d.file("b.tif"), options: TIFFWriteOptions(compression: .lzw))
        try TIFF.write(c, to: d.file("c.tif"))
        let r = try TIFF.read(paths: [d.file("a.tif"), d.file("b.tif")])
        #expect(bytes(of: r) == bytes(of: a) + bytes(of: b))
        let e = errorText { _ = try TIFF.read(paths: [d.file("a.tif"), d.file("c.tif")]) }
        #expect(e?.hasPrefix(d.file("c.tif") + ":") == true)
    }

    /// A 1-page 4×4 u8 file from the contiguous writer; IFD 0 at byte 8, entry k at 10 + 12k.
    func smallTIFF(_ d: TempDir) throws -> [UInt8] {
        let v = randomVolume(.u8, shape: Shape(z: 1, y: 4, x: 4), seed: 9)
        try TIFF.write(v, to: d.file("small.tif"))
        return readFile(d.file("small.tif"))
    }

    func patch32(_ b: inout [UInt8], entry: Int, _ value: UInt32) {
        let at = 10 + 12 * entry + 8
        for k in 0..<4 { b[at + k] = UInt8((value >> (8 * UInt32(k))) & 0xff) }
    }

    @Test func aTileFarLargerThanItsPageIsRefusedBeforeAllocating() throws {
        // Found by libFuzzer: a 5×4 tiled page claiming 1,073,754,900×4 tiles (a 4 GB buffer for one tile).
        let here = URL(fileURLWithPath: #filePath)
        let file = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/corpus/tiff/oom-huge-tile.tif").path
        let e = errorText { _ = try TIFF.read(paths: [file]) }
        #expect(e?.contains("oom-huge-tile.tif") == true && e?.contains("larger than the 5×4 page") == true, "\(e ?? "no error")")
    }

    @Test func hostileHeadersAreRefusedNamingTheFile() throws {
        let d = TempDir()
        let good = try smallTIFF(d)
        #expect(good[10 + 12 * 1] == 0 && good[10 + 12 * 1 + 1] == 1)  // entry 1 is tag 256 (width)
        var cases: [(String, [UInt8])] = []
        var huge = good; patch32(&huge, entry: 1, 0x7fff_ffff); patch32(&huge, entry: 2, 0x7fff_ffff)
        cases.append(("huge.tif", huge))
        var wide = good; patch32(&wide, entry: 1, 1 << 20)        // 1M × 4 claimed, 16 bytes stored
        cases.append(("wide.tif", wide))
        var zero = good; patch32(&zero, entry: 1, 0)
        cases.append(("zero.tif", zero))
        var past = good; patch32(&past, entry: 7, 1 << 30)        // StripOffsets past the end
        cases.append(("past.tif", past))
        var count = good; patch32(&count, entry: 10, 0xffff_fff0) // StripByteCounts past the end
        cases.append(("count.tif", count))
        cases.append(("trunc.tif", Array(good.prefix(60))))
        cases.append(("header.tif", Array(good.prefix(5))))
        cases.append(("text.tif", Array("just some text, not a TIFF".utf8)))
        cases.append(("empty.tif", []))
        var loop = good; for k in 0..<4 { loop[10 + 12 * 15 + k] = [8, 0, 0, 0][k] }  // next IFD → itself
        cases.append(("loop.tif", loop))
        for (name, data) in cases {
            writeFile(d.file(name), data)
            let e = errorText { _ = try TIFF.read(paths: [d.file(name)]) }
            if name == "loop.tif" || name == "count.tif" {
                // libtiff detects the IFD loop, and repairs an implausible byte count of a
                // single uncompressed strip: either an error naming the file or the page.
                if let e { #expect(e.hasPrefix(d.file(name))) }
            } else {
                #expect(e?.hasPrefix(d.file(name) + ":") == true, "\(name): \(e ?? "no error")")
            }
        }
    }

    @Test func truncatedCompressedFileIsAnError() throws {
        let d = TempDir()
        let v = randomVolume(.u16, shape: Shape(z: 4, y: 64, x: 64), seed: 11)
        try TIFF.write(v, to: d.file("full.tif"), options: TIFFWriteOptions(compression: .deflate, layout: .tiles(32)))
        let b = readFile(d.file("full.tif"))
        for cut in [b.count / 3, b.count / 2, b.count - 40] {
            writeFile(d.file("cut.tif"), Array(b.prefix(cut)))
            let e = errorText { _ = try TIFF.read(paths: [d.file("cut.tif")]) }
            #expect(e?.hasPrefix(d.file("cut.tif") + ":") == true, "cut at \(cut): \(e ?? "no error")")
        }
    }

    @Test func failedWriteLeavesTheOldFile() throws {
        let d = TempDir()
        let v = randomVolume(.u8, shape: Shape(z: 2, y: 3, x: 3), seed: 12)
        try TIFF.write(v, to: d.file("keep.tif"))
        let before = readFile(d.file("keep.tif"))
        let empty = Volume(zeros: Shape(z: 0, y: 3, x: 3), type: .u8)
        #expect(throws: IOError.self) { try TIFF.write(empty, to: d.file("keep.tif")) }
        #expect(readFile(d.file("keep.tif")) == before)
        let names = try FileManager.default.contentsOfDirectory(atPath: d.path)
        #expect(names == ["keep.tif"])
    }
}

@Suite struct TIFFKindTests {
    @Test func maskKindSurvivesATIFFRoundTrip() throws {
        let d = TempDir()
        let m = try VolumeIO.binarize(randomVolume(.u8, shape: Shape(z: 2, y: 3, x: 3), seed: 4))
        try TIFF.write(m, to: d.file("m.tif"))
        #expect(try TIFF.read(paths: [d.file("m.tif")]).kind == .mask)
        let img = randomVolume(.u8, shape: Shape(z: 2, y: 3, x: 3), seed: 4)
        try TIFF.write(img, to: d.file("i.tif"))
        #expect(try TIFF.read(paths: [d.file("i.tif")]).kind == .image)
    }
}
