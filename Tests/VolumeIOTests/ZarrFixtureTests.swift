import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

/// OME-Zarr stores written by Python's zarr / ome-zarr (Tests/Fixtures/zarr/make.py): every voxel
/// is a formula of its flat index, the scale is z 50, y 7.5, x 7.5 nm.
@Suite struct ZarrFixtureTests {
    static let dir = packageRoot + "/Tests/Fixtures/zarr/"
    static let shape = Shape(z: 5, y: 20, x: 30)
    static let spacing = Spacing(x: 7.5, y: 7.5, z: 50)
    static var indices: Range<Int> { 0..<shape.count }

    func open(_ name: String, level: Int = 0) throws -> ZarrArray {
        let a = try ZarrArray.open(Self.dir + name, level: level)
        if level == 0 {
            #expect(a.shape == Self.shape)
            #expect(a.chunks == Shape(z: 2, y: 8, x: 16))
            #expect(a.chunkGrid == Shape(z: 3, y: 3, x: 2))
        }
        return a
    }

    func expectSpacing(_ s: Spacing, _ want: Spacing = spacing) {
        #expect(abs(s.x - want.x) < 1e-9 && abs(s.y - want.y) < 1e-9 && abs(s.z - want.z) < 1e-9, "\(s)")
    }

    @Test func zstdU8() throws {
        let a = try open("zstd_u8.zarr")
        #expect(a.type == .u8 && a.kind == .image && a.codec == .zstd(level: 3) && a.levelCount == 1)
        expectSpacing(a.spacing)
        let v = try a.readAll()
        #expect(v.spacing == a.spacing)
        #expect(v.u8?.array == Self.indices.map { UInt8(($0 * 37) % 256) })
    }

    @Test func bloscLZ4U16InMicrometres() throws {
        let a = try open("blosc_lz4_u16.zarr")
        #expect(a.codec == .blosc(cname: "lz4", level: 5, shuffle: 1))
        expectSpacing(a.spacing)
        #expect(a.chunkPath(cz: 1, cy: 2, cx: 0).hasSuffix("blosc_lz4_u16.zarr/0/1/2/0"))
        #expect(try a.readAll().u16?.array == Self.indices.map { UInt16(($0 * 1237) % 65536) })
    }

    @Test func zlibF32() throws {
        let a = try open("zlib_f32.zarr")
        #expect(a.type == .f32 && a.codec == .zlib(level: 6))
        #expect(try a.readAll().f32?.array == Self.indices.map { Float($0) * 0.25 - 100 })
    }

    @Test func gzipU8() throws {
        let a = try open("gzip_u8.zarr")
        #expect(a.codec == .gzip(level: 5))
        #expect(try a.readAll().u8?.array == Self.indices.map { UInt8(($0 * 37) % 256) })
    }

    @Test func rawU16() throws {
        let a = try open("raw_u16.zarr")
        #expect(a.codec == .raw)
        #expect(try a.readAll().u16?.array == Self.indices.map { UInt16(($0 * 1237) % 65536) })
    }

    @Test func bigEndianU16IsSwapped() throws {
        let a = try open("bigendian_u16.zarr")
        #expect(a.type == .u16 && a.storedType == ">u2")
        #expect(try a.readAll().u16?.array == Self.indices.map { UInt16(($0 * 1237) % 65536) })
    }

    @Test func uint64LabelsBecomeU32() throws {
        let a = try open("labels_u64.zarr")
        #expect(a.type == .u32 && a.kind == .labels && a.storedType == "<u8")
        #expect(try a.readAll().u32?.array == Self.indices.map { UInt32(($0 % 7) * 1_000_000 + $0) })
    }

    @Test func negativeInt64IsRefusedNamingTheChunk() throws {
        let a = try open("labels_negative_i8.zarr")
        // The chunk holding (4, 19, 29) is (2, 2, 1); the others read fine.
        let msg = errorText { _ = try a.readAll() } ?? ""
        #expect(msg.contains("labels_negative_i8.zarr/0/2.2.1") && msg.contains("-5"), "\(msg)")
        #expect(try a.read(z: 0..<4, y: 0..<20, x: 0..<30).count == 4 * 600)
    }

    @Test func missingChunkIsTheFillValue() throws {
        let a = try open("missing_chunk_u8.zarr")
        #expect(!a.chunkExists(cz: 1, cy: 1, cx: 1) && a.chunkExists(cz: 0, cy: 0, cx: 0))
        let v = try a.readAll()
        for z in 0..<5 { for y in 0..<20 { for x in 0..<30 {
            let inMissing = (2..<4).contains(z) && (8..<16).contains(y) && (16..<30).contains(x)
            let i = (z * 20 + y) * 30 + x
            if v.value(z: z, y: y, x: x) != (inMissing ? 0 : Double((i * 37) % 256)) { Issue.record("voxel \(z) \(y) \(x)"); return }
        } } }
    }

    @Test func v3ZstdU16() throws {
        let a = try open("v3_zstd_u16.zarr")
        #expect(a.codec == .zstd(level: 3) && a.metadataFile.hasSuffix("0/zarr.json"))
        expectSpacing(a.spacing)
        #expect(a.chunkPath(cz: 2, cy: 0, cx: 1).hasSuffix("v3_zstd_u16.zarr/0/c/2/0/1"))
        #expect(try a.readAll().u16?.array == Self.indices.map { UInt16(($0 * 1237) % 65536) })
    }

    @Test func v3GzipBigEndianF32() throws {
        let a = try open("v3_gzip_f32_be.zarr")
        #expect(a.type == .f32 && a.codec == .gzip(level: 5))
        #expect(try a.readAll().f32?.array == Self.indices.map { Float($0) * 0.25 - 100 })
    }

    /// Shards of 4×16×32 holding 2×8×16 chunks, index (with crc32c) at the end; an inner chunk left
    /// out of its shard and a missing shard are the fill value.
    @Test func v3Sharded() throws {
        let a = try open("v3_sharded_u16.zarr")
        #expect(a.isSharded && a.chunkPath(cz: 1, cy: 1, cx: 1).hasSuffix("v3_sharded_u16.zarr/0/c/0/0/0"))
        #expect(a.chunkPath(cz: 2, cy: 2, cx: 1).hasSuffix("v3_sharded_u16.zarr/0/c/1/1/0"))
        // Inner chunk (0, 0, 0) is left out of its shard; shard (1, 1, 0) is missing.
        #expect(!a.chunkExists(cz: 0, cy: 0, cx: 0) && a.chunkExists(cz: 1, cy: 1, cx: 1) && !a.chunkExists(cz: 2, cy: 2, cx: 0))
        let v = try a.readAll()
        for z in 0..<5 { for y in 0..<20 { for x in 0..<30 {
            let zeroed = (z < 2 && y < 8 && x < 16) || (z == 4 && y >= 16)
            let i = (z * 20 + y) * 30 + x
            if v.value(z: z, y: y, x: x) != (zeroed ? 0 : Double((i * 1237) % 65536)) { Issue.record("voxel \(z) \(y) \(x)"); return }
        } } }
        #expect(errorText { try a.writeChunk(Volume(zeros: Shape(z: 2, y: 8, x: 16), type: .u16), cz: 0, cy: 0, cx: 0) }?
            .contains("sharded") == true)
        // A damaged copy: a flipped index byte fails the crc32c; a cut file cannot hold its index.
        let d = TempDir()
        try FileManager.default.copyItem(atPath: Self.dir + "v3_sharded_u16.zarr", toPath: d.file("s.zarr"))
        let shard = d.file("s.zarr/0/c/0/1/0")
        var bytes = readFile(shard)
        bytes[bytes.count - 10] ^= 1
        writeFile(shard, bytes)
        let b = try ZarrArray.open(d.file("s.zarr"))
        #expect(errorText { _ = try b.readAll() }?.contains("\(shard): corrupt shard") == true)
        writeFile(shard, Array(bytes.prefix(20)))
        #expect(errorText { _ = try b.readAll() }?.contains("\(shard): truncated or corrupt shard") == true)
    }

    /// ome-zarr's writer: t and c axes of size 1 are dropped; level 1 halves y and x.
    @Test func omeZarrWriterTCZYX() throws {
        let a = try open("omezarr_tczyx_u8.zarr")
        #expect(a.levelCount == 2 && a.arrayPath.hasSuffix("/s0"))
        expectSpacing(a.spacing)
        #expect(a.chunkPath(cz: 1, cy: 2, cx: 0).hasSuffix("s0/0/0/1/2/0"))
        #expect(try a.readAll().u8?.array == Self.indices.map { UInt8(($0 * 37) % 256) })
        let l1 = try open("omezarr_tczyx_u8.zarr", level: 1)
        #expect(l1.shape == Shape(z: 5, y: 10, x: 15) && l1.level == 1)
        expectSpacing(l1.spacing, Spacing(x: 15, y: 15, z: 50))
        _ = try l1.readAll()
        #expect(errorText { _ = try ZarrArray.open(Self.dir + "omezarr_tczyx_u8.zarr", level: 2) }?.contains("no level 2") == true)
    }

    /// A box across several chunks, partial at both ends, equals the same box of the whole.
    @Test func boxAcrossChunks() throws {
        let a = try open("blosc_lz4_u16.zarr")
        let all = try a.readAll()
        let b = try a.read(z: 1..<4, y: 5..<19, x: 3..<29)
        #expect(b.shape == Shape(z: 3, y: 14, x: 26))
        for z in 0..<3 { for y in 0..<14 { for x in 0..<26 where b.value(z: z, y: y, x: x) != all.value(z: z + 1, y: y + 5, x: x + 3) {
            Issue.record("voxel \(z) \(y) \(x)"); return
        } } }
    }
}
