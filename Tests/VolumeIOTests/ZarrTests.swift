import _Platform
import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct ZarrTests {
    static let codecs: [ZarrCodec] = [
        .raw, .zlib(level: 6), .gzip(level: 1), .zstd(level: 3),
        .blosc(cname: "lz4", level: 5, shuffle: 1), .blosc(cname: "zstd", level: 3, shuffle: 2),
    ]
    static let spacing = Spacing(x: 7.5, y: 7.5, z: 50)

    func kind(_ t: VoxelType) -> VolumeKind { t == .u32 ? .labels : .image }

    /// Every type × codec: written chunk by chunk, 13×37×53 in 4×16×16 chunks (partial at every
    /// edge), read back exactly, also through a fresh `open`.
    @Test(arguments: VoxelType.allCases, codecs)
    func roundTripIsExact(type: VoxelType, codec: ZarrCodec) throws {
        let d = TempDir()
        let shape = Shape(z: 13, y: 37, x: 53)
        let v = randomVolume(type, shape: shape, seed: 11)
        let a = try ZarrArray.create(d.file("v.zarr"), shape: shape, chunks: Shape(z: 4, y: 16, x: 16), type: type,
                                     spacing: Self.spacing, kind: kind(type), codec: codec)
        #expect(a.chunkGrid == Shape(z: 4, y: 3, x: 4) && a.codec == codec && a.type == type)
        let g = a.chunkGrid
        for cz in 0..<g.z { for cy in 0..<g.y { for cx in 0..<g.x {
            let b = a.chunkBox(cz: cz, cy: cy, cx: cx)
            try a.writeChunk(crop(v, b.z, b.y, b.x), cz: cz, cy: cy, cx: cx)
        } } }
        let r = try ZarrArray.open(d.file("v.zarr"))
        #expect(r.spacing == Self.spacing && r.kind == kind(type) && r.shape == shape)
        let all = try r.readAll()
        #expect(bytes(of: all) == bytes(of: v), "\(type) \(codec)")
        // A box across several chunks, partial at both ends.
        let box = try r.read(z: 3..<10, y: 5..<33, x: 15..<50)
        #expect(bytes(of: box) == bytes(of: crop(v, 3..<10, 5..<33, 15..<50)))
    }

    @Test func writeOfABoxSplitsIntoChunks() throws {
        let d = TempDir()
        let shape = Shape(z: 6, y: 40, x: 50)
        let v = randomVolume(.u16, shape: shape, seed: 3)
        let a = try ZarrArray.create(d.file("b.zarr"), shape: shape, chunks: Shape(z: 3, y: 16, x: 16), type: .u16,
                                     spacing: Self.spacing, kind: .image)
        // Two boxes: an aligned inner one of whole chunks and the rest up to the edges.
        try a.write(crop(v, 0..<3, 0..<32, 0..<32), z0: 0, y0: 0, x0: 0)
        try a.write(crop(v, 3..<6, 0..<40, 0..<50), z0: 3, y0: 0, x0: 0)
        try a.write(crop(v, 0..<3, 32..<40, 0..<50), z0: 0, y0: 32, x0: 0)
        try a.write(crop(v, 0..<3, 0..<32, 32..<50), z0: 0, y0: 0, x0: 32)
        #expect(bytes(of: try a.readAll()) == bytes(of: v))
        // Misaligned origin, extent short of the edge, wrong type: refused.
        #expect(errorText { try a.write(crop(v, 0..<3, 0..<16, 0..<16), z0: 0, y0: 8, x0: 0) }?.contains("not a multiple") == true)
        #expect(errorText { try a.write(crop(v, 0..<3, 0..<10, 0..<16), z0: 0, y0: 0, x0: 0) }?.contains("not whole chunks") == true)
        #expect(errorText { try a.write(Volume(zeros: Shape(z: 3, y: 16, x: 16), type: .u8), z0: 0, y0: 0, x0: 0) }?.contains("u8") == true)
        #expect(errorText { try a.writeChunk(crop(v, 0..<3, 0..<16, 0..<16), cz: 0, cy: 2, cx: 0) }?.contains("0/2/0") == true)
        #expect(errorText { try a.writeChunk(crop(v, 0..<3, 0..<16, 0..<16), cz: 5, cy: 0, cx: 0) }?.contains("outside") == true)
    }

    @Test func fillValueChunksAreNotStoredAndOldOnesAreDeleted() throws {
        let d = TempDir()
        let a = try ZarrArray.create(d.file("m.zarr"), shape: Shape(z: 2, y: 8, x: 8), chunks: Shape(z: 2, y: 4, x: 4),
                                     type: .u8, spacing: Self.spacing, kind: .mask)
        let ones = Volume(zeros: Shape(z: 2, y: 4, x: 4), type: .u8, kind: .mask)
        ones.u8!.buffer.update(repeating: 1)
        try a.writeChunk(ones, cz: 0, cy: 1, cx: 1)
        try a.writeChunk(Volume(zeros: Shape(z: 2, y: 4, x: 4), type: .u8), cz: 0, cy: 0, cx: 0)
        #expect(a.chunkExists(cz: 0, cy: 1, cx: 1) && !a.chunkExists(cz: 0, cy: 0, cx: 0))
        let r = try ZarrArray.open(d.file("m.zarr"))
        #expect(r.kind == .mask)
        #expect(try r.readAll().u8!.array.reduce(0) { $0 + Int($1) } == 32)
        try a.writeChunk(Volume(zeros: Shape(z: 2, y: 4, x: 4), type: .u8), cz: 0, cy: 1, cx: 1)
        #expect(!a.chunkExists(cz: 0, cy: 1, cx: 1))
        #expect(try r.readAll().u8!.array.allSatisfy { $0 == 0 })
        // No temporary files are left behind.
        let names = try FileManager.default.subpathsOfDirectory(atPath: d.file("m.zarr"))
        #expect(!names.contains { $0.contains(".tmp-") }, "\(names)")
    }

    @Test func createRefusesToReplace() throws {
        let d = TempDir()
        let p = d.file("c.zarr")
        func make(_ overwrite: Bool) throws -> ZarrArray {
            try ZarrArray.create(p, shape: Shape(z: 1, y: 4, x: 4), chunks: Shape(z: 1, y: 4, x: 4), type: .u8,
                                 spacing: Self.spacing, kind: .image, overwrite: overwrite)
        }
        let a = try make(false)
        let v = Volume(zeros: Shape(z: 1, y: 4, x: 4), type: .u8)
        v.u8!.pointer[0] = 9
        try a.writeChunk(v, cz: 0, cy: 0, cx: 0)
        #expect(errorText { _ = try make(false) }?.contains("not empty") == true)
        let b = try make(true)
        #expect(!b.chunkExists(cz: 0, cy: 0, cx: 0), "overwrite starts an empty store")
        // A folder that is not a Zarr store is never deleted.
        try FileManager.default.createDirectory(atPath: d.file("other"), withIntermediateDirectories: true)
        writeFile(d.file("other/notes.txt"), Array("keep".utf8))
        let msg = errorText { _ = try ZarrArray.create(d.file("other"), shape: Shape(z: 1, y: 4, x: 4), chunks: Shape(z: 1, y: 4, x: 4),
                                                       type: .u8, spacing: Self.spacing, kind: .image, overwrite: true) }
        #expect(msg?.contains("not a Zarr store") == true)
        #expect(FileManager.default.fileExists(atPath: d.file("other/notes.txt")))
        // A trailing slash names the same store; a missing parent folder is an error.
        let slash = try ZarrArray.create(d.file("slash.zarr/"), shape: Shape(z: 1, y: 4, x: 4), chunks: Shape(z: 1, y: 4, x: 4),
                                         type: .u8, spacing: Self.spacing, kind: .image)
        #expect(slash.chunkPath(cz: 0, cy: 0, cx: 0) == d.file("slash.zarr/0/0/0/0"))
        #expect(errorText { _ = try ZarrArray.create(d.file("no/such/x.zarr"), shape: Shape(z: 1, y: 4, x: 4), chunks: Shape(z: 1, y: 4, x: 4),
                                                     type: .u8, spacing: Self.spacing, kind: .image) }?.contains("does not exist") == true)
        // Chunks larger than the array are cut to it.
        let small = try ZarrArray.create(d.file("small.zarr"), shape: Shape(z: 3, y: 40, x: 50), chunks: Shape(z: 64, y: 32, x: 256),
                                         type: .u8, spacing: Self.spacing, kind: .image)
        #expect(small.chunks == Shape(z: 3, y: 32, x: 50) && small.chunkGrid == Shape(z: 1, y: 2, x: 1))
        #expect(errorText { _ = try ZarrArray.create(d.file("k.zarr"), shape: Shape(z: 1, y: 4, x: 4), chunks: Shape(z: 1, y: 4, x: 4),
                                                     type: .u16, spacing: Self.spacing, kind: .labels) }?.contains("u32 voxels") == true)
        // Absurd sizes and settings.
        let absurd: [(Shape, Shape, ZarrCodec, String)] = [
            (Shape(z: 100_000, y: 100_000, x: 100_000), Shape(z: 1, y: 64, x: 64), .raw, "2^48"),
            (Shape(z: 2000, y: 2000, x: 2000), Shape(z: 2000, y: 2000, x: 2000), .raw, "2 GiB"),
            (Shape(z: 0, y: 10, x: 10), Shape(z: 1, y: 1, x: 1), .raw, "at least 1"),
            (Shape(z: 1, y: 10, x: 10), Shape(z: 1, y: -4, x: 1), .raw, "at least 1"),
            (Shape(z: 1, y: 10, x: 10), Shape(z: 1, y: 4, x: 4), .zstd(level: 99), "zstd level"),
            (Shape(z: 1, y: 10, x: 10), Shape(z: 1, y: 4, x: 4), .blosc(cname: "lz5", level: 1, shuffle: 1), "lz5"),
        ]
        for (s, c, codec, want) in absurd {
            let m = errorText { _ = try ZarrArray.create(d.file("abs.zarr"), shape: s, chunks: c, type: .u8, spacing: Self.spacing,
                                                         kind: .image, codec: codec) }
            #expect(m?.contains(want) == true && m?.contains("abs.zarr") == true, "\(m ?? "no error")")
        }
    }

    @Test func readBoxOutsideAndMemoryCeiling() throws {
        let d = TempDir()
        let a = try ZarrArray.create(d.file("r.zarr"), shape: Shape(z: 100_000, y: 100_000, x: 1000), chunks: Shape(z: 1, y: 256, x: 256),
                                     type: .u16, spacing: Self.spacing, kind: .image)
        // A huge array is fine (lazy); a box beyond the memory ceiling is refused before allocating.
        #expect(errorText { _ = try a.read(z: 0..<2, y: 0..<3, x: -1..<4) }?.contains("outside") == true)
        #expect(errorText { _ = try a.readAll() }?.contains("memory limit") == true)
        #expect(try a.read(z: 5..<6, y: 0..<300, x: 200..<300).u16!.array.allSatisfy { $0 == 0 })
    }

    // MARK: Bad input: every error names the file.

    /// A small valid store to break.
    func store(_ d: TempDir, codec: ZarrCodec = .zstd(level: 3)) throws -> ZarrArray {
        let a = try ZarrArray.create(d.file("s.zarr"), shape: Shape(z: 2, y: 8, x: 8), chunks: Shape(z: 2, y: 8, x: 8), type: .u16,
                                     spacing: Self.spacing, kind: .image, codec: codec)
        try a.writeChunk(randomVolume(.u16, shape: Shape(z: 2, y: 8, x: 8), seed: 1), cz: 0, cy: 0, cx: 0)
        return a
    }

    @Test(arguments: codecs)
    func truncatedAndCorruptChunks(codec: ZarrCodec) throws {
        let d = TempDir()
        let a = try store(d, codec: codec)
        // Compressible values: flipped bits in compressed (not stored) blocks are what decoders detect.
        let smooth = Volume(zeros: Shape(z: 2, y: 8, x: 8), type: .u16)
        for i in 0..<smooth.count { smooth.u16!.pointer[i] = UInt16(i % 50) }
        try a.writeChunk(smooth, cz: 0, cy: 0, cx: 0)
        let chunk = a.chunkPath(cz: 0, cy: 0, cx: 0)
        let good = readFile(chunk)
        writeFile(chunk, Array(good.prefix(good.count * 2 / 3)))
        let t = errorText { _ = try a.readAll() } ?? ""
        #expect(t.contains(chunk) && t.contains("truncated or corrupt chunk"), "\(codec): \(t)")
        var bad = good
        for i in stride(from: min(20, bad.count - 1), to: bad.count, by: 3) { bad[i] ^= 0x5A }
        writeFile(chunk, bad)
        if case .raw = codec { return }     // raw bytes have no way to tell
        let c = errorText { _ = try a.readAll() } ?? ""
        // blosc's lz4 may decode flipped bytes into wrong values without noticing; it must not crash.
        if case .blosc = codec { return }
        #expect(c.contains(chunk) && c.contains("corrupt"), "\(codec): \(c)")
        writeFile(chunk, [])
        #expect(errorText { _ = try a.readAll() }?.contains(chunk) == true)
    }

    func expectOpenError(_ d: TempDir, file: String, contents: String, contains want: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        writeFile(d.file(file), Array(contents.utf8))
        let m = errorText { _ = try ZarrArray.open(d.file("s.zarr")) } ?? "no error"
        #expect(m.contains(d.file(file)) && m.contains(want), "\(m)", sourceLocation: sourceLocation)
    }

    @Test func badArrayMetadata() throws {
        let d = TempDir()
        _ = try store(d)
        let f = "s.zarr/0/.zarray"
        let ok = String(decoding: readFile(d.file(f)), as: UTF8.self)
        func with(_ from: String, _ to: String) -> String {
            #expect(ok.contains(from), "\(from)")
            return ok.replacingOccurrences(of: from, with: to)
        }
        expectOpenError(d, file: f, contents: "{\"shape\": [1, 2,", contains: "not valid JSON")
        expectOpenError(d, file: f, contents: "hello", contains: "not valid JSON")
        expectOpenError(d, file: f, contents: "[1, 2]", contains: "expected a JSON object")
        expectOpenError(d, file: f, contents: with("\"<u2\"", "\"<c8\""), contains: "dtype \"<c8\" is not supported")
        expectOpenError(d, file: f, contents: with("\"<u2\"", "\"<f2\""), contains: "not supported")
        expectOpenError(d, file: f, contents: with("\"zstd\"", "\"lzma\""), contains: "compressor \"lzma\" is not supported")
        expectOpenError(d, file: f, contents: with("\"filters\": null", "\"filters\": [{\"id\": \"delta\", \"dtype\": \"<u2\"}]"),
                        contains: "filter \"delta\" is not supported")
        expectOpenError(d, file: f, contents: with("\"shape\": [2, 8, 8]", "\"shape\": [1000000, 1000000, 1000]"), contains: "2^48")
        expectOpenError(d, file: f, contents: with("\"chunks\": [2, 8, 8]", "\"chunks\": [10000, 10000, 10000]"), contains: "2 GiB")
        expectOpenError(d, file: f, contents: with("\"shape\": [2, 8, 8]", "\"shape\": [2, -8, 8]"), contains: "at least 1")
        expectOpenError(d, file: f, contents: with("\"shape\": [2, 8, 8]", "\"shape\": [2, 0, 8]"), contains: "at least 1")
        expectOpenError(d, file: f, contents: with("\"shape\": [2, 8, 8]", "\"shape\": [2, 8.5, 8]"), contains: "not an integer")
        expectOpenError(d, file: f, contents: with("\"order\": \"C\"", "\"order\": \"F\""), contains: "order")
        expectOpenError(d, file: f, contents: with("\"fill_value\": 0", "\"fill_value\": -1"), contains: "fill_value")
        // A 5-D array without size-1 extra axes (the group's axes say z, y, x: no match).
        writeFile(d.file(f), Array(with("\"shape\": [2, 8, 8]", "\"shape\": [2, 3, 2, 8, 8]")
            .replacingOccurrences(of: "\"chunks\": [2, 8, 8]", with: "\"chunks\": [1, 1, 2, 8, 8]").utf8))
        let five = errorText { _ = try ZarrArray.open(d.file("s.zarr/0")) } ?? ""
        #expect(five.contains(d.file(f)) && five.contains("entries"), "\(five)")
        let grouped = errorText { _ = try ZarrArray.open(d.file("s.zarr")) } ?? ""
        #expect(grouped.contains("5 dimensions") || grouped.contains("axes"), "\(grouped)")
    }

    @Test func badGroupMetadataAndPaths() throws {
        let d = TempDir()
        _ = try store(d)
        let attrs = String(decoding: readFile(d.file("s.zarr/.zattrs")), as: UTF8.self)
        expectOpenError(d, file: "s.zarr/.zattrs", contents: "{\"multiscales\": [}", contains: "not valid JSON")
        expectOpenError(d, file: "s.zarr/.zattrs", contents: "{\"other\": 1}", contains: "no OME \"multiscales\"")
        expectOpenError(d, file: "s.zarr/.zattrs", contents: attrs.replacingOccurrences(of: "\"path\": \"0\"", with: "\"path\": \"../x\""),
                        contains: "relative folder")
        // Unknown units are read as nm, with a note.
        writeFile(d.file("s.zarr/.zattrs"), Array(attrs.replacingOccurrences(of: "\"nanometer\"", with: "\"furlong\"").utf8))
        let a = try ZarrArray.open(d.file("s.zarr"))
        #expect(a.notes.count == 3 && a.notes[0].contains("furlong") && a.spacing == Self.spacing)
        writeFile(d.file("s.zarr/.zattrs"), Array(attrs.replacingOccurrences(of: "\"nanometer\"", with: "\"micrometer\"").utf8))
        #expect(try ZarrArray.open(d.file("s.zarr")).spacing == Spacing(x: 7500, y: 7500, z: 50_000))
        #expect(ZarrArray.isStore(d.file("s.zarr")) && ZarrArray.isStore(d.file("s.zarr/0")) && !ZarrArray.isStore(d.path))
        // Paths that are not stores.
        #expect(errorText { _ = try ZarrArray.open(d.file("nothing.zarr")) } == "\(d.file("nothing.zarr")): does not exist")
        writeFile(d.file("plain.zarr"), [1, 2, 3])
        #expect(errorText { _ = try ZarrArray.open(d.file("plain.zarr")) }?.contains("\(d.file("plain.zarr")): is a file") == true)
        try FileManager.default.createDirectory(atPath: d.file("empty"), withIntermediateDirectories: true)
        #expect(errorText { _ = try ZarrArray.open(d.file("empty")) }?.contains("is not a Zarr store") == true)
        // A level's folder that is gone.
        try FileManager.default.removeItem(atPath: d.file("s.zarr/0"))
        #expect(errorText { _ = try ZarrArray.open(d.file("s.zarr")) }?.contains(d.file("s.zarr/0")) == true)
    }

    @Test func v3Metadata() throws {
        let base = """
        {"zarr_format": 3, "node_type": "array", "shape": [4, 4], "data_type": "uint8",
         "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 4]}},
         "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
         "fill_value": 7, "codecs": [CODECS]}
        """
        func meta(_ codecs: String) -> [UInt8] { Array(base.replacingOccurrences(of: "CODECS", with: codecs).utf8) }
        let bytes = "{\"name\": \"bytes\", \"configuration\": {\"endian\": \"little\"}}"
        try ZarrArray.checkMetadata(meta(bytes))
        let cases: [(String, String)] = [
            ("{\"name\": \"sharding_indexed\", \"configuration\": {}}", "sharding_indexed"),
            (bytes + ", {\"name\": \"crc32c\"}, {\"name\": \"zstd\"}", "after crc32c"),
            ("{\"name\": \"sharding_indexed\", \"configuration\": {\"chunk_shape\": [3, 4], \"codecs\": [" + bytes + "]}}",
             "does not divide"),
            ("{\"name\": \"sharding_indexed\", \"configuration\": {\"chunk_shape\": [2, 2], \"codecs\": ["
             + "{\"name\": \"sharding_indexed\", \"configuration\": {\"chunk_shape\": [1, 1], \"codecs\": [" + bytes + "]}}]}}",
             "nested sharding"),
            ("{\"name\": \"transpose\", \"configuration\": {\"order\": [1, 0]}}, " + bytes, "transpose"),
            ("{\"name\": \"zstd\"}", "before the \"bytes\""),
        ]
        for (codecs, want) in cases {
            let m = errorText { try ZarrArray.checkMetadata(meta(codecs), name: "a/zarr.json") } ?? ""
            #expect(m.hasPrefix("a/zarr.json: ") && m.contains(want), "\(m)")
        }
        // A v3 bare array with a fill value: missing chunks read as 7; chunk keys "c/0/0".
        let d = TempDir()
        try FileManager.default.createDirectory(atPath: d.file("v3"), withIntermediateDirectories: true)
        writeFile(d.file("v3/zarr.json"), meta(bytes))
        let a = try ZarrArray.open(d.file("v3"))
        #expect(a.shape == Shape(z: 1, y: 4, x: 4) && a.chunkPath(cz: 0, cy: 0, cx: 0) == d.file("v3/c/0/0"))
        #expect(try a.readAll().u8!.array == Array(repeating: 7, count: 16))
    }

    @Test func jsonParserIsStrict() throws {
        func parse(_ s: String) throws -> ZarrJSON { try ZarrJSON.parse(Array(s.utf8)) }
        #expect(try parse(" {\"a\": [1, -2.5e3, true, null, \"x\\u00e9\\n\"]} ") ==
                .object([("a", .array([.int(1), .double(-2500), .bool(true), .null, .string("xé\n")]))]))
        for bad in ["", "{", "[1,]", "{\"a\":1,}", "01", "NaN", "[1] 2", "{\"a\":1, \"a\":2}", "\"\\ud800\"", "'a'", "[-]", "1.", "tru"] {
            #expect(throws: ZarrJSONError.self, "\(bad)") { _ = try parse(bad) }
        }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: ZarrJSONError.self) { _ = try parse(deep) }
        let j = ZarrJSON.object([("s", .array([.int(1), .double(7.5), .double(50)])), ("t", .string("q\"\\"))])
        #expect(try parse(j.text()) == .object([("s", .array([.int(1), .double(7.5), .double(50)])), ("t", .string("q\"\\"))]))
    }

    // MARK: Pyramid

    @Test(arguments: [(VoxelType.u8, VolumeKind.image), (.u16, .image), (.f32, .image), (.u8, .mask), (.u32, .labels)])
    func pyramidLevels(type: VoxelType, kind: VolumeKind) throws {
        let d = TempDir()
        let shape = Shape(z: 3, y: 37, x: 45)
        let v = randomVolume(type, shape: shape, seed: 5)
        if type == .f32 { for i in 0..<v.count { v.f32!.pointer[i] = Float(i % 101) * 0.5 } }
        let p = d.file("p.zarr")
        let a = try ZarrArray.create(p, shape: shape, chunks: Shape(z: 2, y: 8, x: 8), type: type, spacing: Self.spacing, kind: kind)
        try a.write(v, z0: 0, y0: 0, x0: 0)
        try writeZarrPyramid(p, levels: 3)
        let l0 = try ZarrArray.open(p)
        #expect(l0.levelCount == 3 && l0.kind == kind)
        let l1 = try ZarrArray.open(p, level: 1), l2 = try ZarrArray.open(p, level: 2)
        #expect(l1.shape == Shape(z: 3, y: 19, x: 23) && l2.shape == Shape(z: 3, y: 10, x: 12))
        #expect(l1.spacing == Spacing(x: 15, y: 15, z: 50) && l2.spacing == Spacing(x: 30, y: 30, z: 50))
        #expect(l1.kind == kind && l1.type == type)
        let r1 = try l1.readAll()
        for z in 0..<3 { for y in 0..<19 { for x in 0..<23 {
            var want: Double
            if kind != .image {
                want = v.value(z: z, y: 2 * y, x: 2 * x)
            } else {
                var s = 0.0, n = 0.0
                for yy in (2 * y)...min(2 * y + 1, 36) { for xx in (2 * x)...min(2 * x + 1, 44) { s += v.value(z: z, y: yy, x: xx); n += 1 } }
                want = type == .f32 ? Double(Float(s / n)) : (s / n + 0.5).rounded(.down)
            }
            if r1.value(z: z, y: y, x: x) != want { Issue.record("\(type) \(kind) level 1 voxel \(z) \(y) \(x): \(r1.value(z: z, y: y, x: x)) vs \(want)"); return }
        } } }
        // Level 2 is level 1 reduced again.
        let r2 = try l2.readAll()
        let expect2 = Volume(zeros: l2.shape, type: type)
        reduce2x(r1, into: expect2, nearest: kind != .image)
        #expect(bytes(of: r2) == bytes(of: expect2))
        // Fewer levels later: the extra ones go.
        try writeZarrPyramid(p, levels: 2)
        #expect(try ZarrArray.open(p).levelCount == 2 && !FileManager.default.fileExists(atPath: p + "/2"))
    }

    /// Writes a store for scripts/bench.d/zarr_peer.py when EMSH_ZARR_OUT names a folder:
    /// u16 image 2-level pyramid (zstd) and u32 labels (blosc), each with its raw values beside it.
    @Test func writeStoreForPythonPeer() throws {
        guard let out = ProcessInfo.processInfo.environment["EMSH_ZARR_OUT"] else { return }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let shape = Shape(z: 7, y: 45, x: 70)
        for (name, type, kind, codec) in [("image_u16", VoxelType.u16, VolumeKind.image, ZarrCodec.zstd(level: 3)),
                                          ("labels_u32", .u32, .labels, .blosc(cname: "lz4", level: 5, shuffle: 1)),
                                          ("mask_u8", .u8, .mask, .zlib(level: 6)),
                                          ("prob_f32", .f32, .image, .gzip(level: 5))] {
            let v = Volume(zeros: shape, type: type, kind: kind)
            for i in 0..<shape.count {
                switch v.storage {
                case .u8(let b): b.pointer[i] = UInt8((i / 70) % 3 == 0 ? 1 : 0)
                case .u16(let b): b.pointer[i] = UInt16((i * 1237) % 65536)
                case .u32(let b): b.pointer[i] = (i / 500) % 4 == 0 ? 0 : UInt32(i / 500)
                case .f32(let b): b.pointer[i] = Float(i) * 0.001
                }
            }
            let p = out + "/" + name + ".zarr"
            let a = try ZarrArray.create(p, shape: shape, chunks: Shape(z: 2, y: 16, x: 32), type: type, spacing: Self.spacing,
                                         kind: kind, codec: codec, overwrite: true)
            try a.write(v, z0: 0, y0: 0, x0: 0)
            try writeZarrPyramid(p, levels: 2)
            writeFile(out + "/" + name + ".raw", bytes(of: v))
        }
    }
}

/// The box (z, y, x) of `v` as a new volume.
func crop(_ v: Volume, _ z: Range<Int>, _ y: Range<Int>, _ x: Range<Int>) -> Volume {
    let out = Volume(zeros: Shape(z: z.count, y: y.count, x: x.count), type: v.type, spacing: v.spacing, kind: v.kind)
    let es = v.type.byteSize
    for zz in z { for yy in y {
        let s = ((zz * v.shape.y + yy) * v.shape.x + x.lowerBound) * es
        let d = (((zz - z.lowerBound) * y.count) + (yy - y.lowerBound)) * x.count * es
        (out.storage.rawPointer + d).copyMemory(from: v.storage.rawPointer + s, byteCount: x.count * es)
    } }
    return out
}

/// Throughput on a 64×1024×1024 u8 volume when EMSH_ZARR_BENCH names a scratch folder (skipped
/// otherwise): write (64×256×256 chunks), read all, read one chunk-sized box, a 2-level pyramid.
@Test func zarrThroughput() throws {
    guard let dir = ProcessInfo.processInfo.environment["EMSH_ZARR_BENCH"] else { return }
    let shape = Shape(z: 64, y: 1024, x: 1024)
    let v = Volume(zeros: shape, type: .u8)
    // Image-like values: smooth with noise, so codecs have something realistic to do.
    var rng = SplitMix64(seed: 1)
    for i in 0..<shape.count { v.u8!.pointer[i] = UInt8(truncatingIfNeeded: (i % 1024) / 8 + (i / 1024 % 1024) / 8 + Int(rng.next() & 15)) }
    for codec in [ZarrCodec.zstd(level: 3), .blosc(cname: "lz4", level: 5, shuffle: 1), .zlib(level: 6), .raw] {
        let p = dir + "/bench.zarr"
        let a = try ZarrArray.create(p, shape: shape, chunks: Shape(z: 64, y: 256, x: 256), type: .u8, spacing: .unit,
                                     kind: .image, codec: codec, overwrite: true)
        let clock = ContinuousClock()
        let w = try clock.measure { try a.write(v, z0: 0, y0: 0, x0: 0) }
        var back: Volume?
        let r = try clock.measure { back = try a.readAll() }
        let box = try clock.measure { _ = try a.read(z: 0..<64, y: 100..<356, x: 100..<356) }
        let pyr = try clock.measure { try writeZarrPyramid(p, levels: 3) }
        #expect(bytes(of: back!) == bytes(of: v))
        let size = (try FileManager.default.subpathsOfDirectory(atPath: p + "/0")).reduce(0) { s, f in
            s + ((try? FileManager.default.attributesOfItem(atPath: p + "/0/" + f)[.size] as? Int) ?? 0)
        }
        func mbs(_ d: Duration) -> String {
            let s = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            return String(Int(Double(shape.count) / s / 1e6)) + " MB/s"
        }
        print("zarr bench \(codec): write \(w) (\(mbs(w))), read all \(r) (\(mbs(r))), one 64×256×256 box \(box), "
              + "pyramid 2 levels \(pyr), level 0 on disk \(size / 1_000_000) MB")
    }
}
