import CTIFF
import Foundation
import Kernels
import Testing
@testable import VolumeIO

/// emsh deflates TIFF strips itself (in parallel, libdeflate, horizontal predictor) and writes them
/// raw: libtiff's own decoder (inflate + predictor) must read back exactly the volume written.
@Suite struct TIFFDeflateTests {
    /// Every page through libtiff's TIFFReadEncodedStrip, concatenated.
    func libtiffPixels(_ path: String, bytesPerPage: Int) -> [UInt8]? {
        guard let t = TIFFOpen(path, "r") else { return nil }
        defer { TIFFClose(t) }
        var out: [UInt8] = []
        repeat {
            var page = [UInt8](repeating: 0, count: bytesPerPage)
            var done = 0
            for s in 0..<TIFFNumberOfStrips(t) {
                let n = page.withUnsafeMutableBytes { b in
                    TIFFReadEncodedStrip(t, s, b.baseAddress! + done, tmsize_t(bytesPerPage - done))
                }
                if n < 0 { return nil }
                done += Int(n)
            }
            if done != bytesPerPage { return nil }
            out += page
        } while TIFFReadDirectory(t) == 1
        return out
    }

    func roundTrip(_ v: Volume) throws {
        let dir = FileManager.default.temporaryDirectory.path + "/emsh-deflate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/v.tif"
        try TIFF.write(v, to: path, options: TIFFWriteOptions(compression: .deflate))
        let bytesPerPage = v.shape.sliceCount * v.type.byteSize
        let want = Array(UnsafeRawBufferPointer(start: v.storage.rawPointer, count: v.byteCount))
        #expect(libtiffPixels(path, bytesPerPage: bytesPerPage) == want)
        let back = try TIFF.read(paths: [path])
        #expect(back.shape == v.shape && back.type == v.type)
        #expect(Array(UnsafeRawBufferPointer(start: back.storage.rawPointer, count: back.byteCount)) == want)
    }

    @Test func u8ManyPagesAndStrips() throws {
        // 9 pages (more than one compression batch on 2 threads), 1500×300: several strips, the last short.
        let shape = Shape(z: 9, y: 300, x: 1500)
        let b = VoxelBuffer<UInt8>(uninitialized: shape.count)
        var s: UInt64 = 7
        for i in 0..<shape.count {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            b.pointer[i] = i % 7 == 0 ? UInt8(truncatingIfNeeded: s >> 59) : UInt8(truncatingIfNeeded: i / 1500)
        }
        try roundTrip(Volume(shape: shape, storage: .u8(b)))
    }

    @Test func u16AndU32() throws {
        let shape = Shape(z: 3, y: 97, x: 61)
        let a = VoxelBuffer<UInt16>(uninitialized: shape.count)
        let c = VoxelBuffer<UInt32>(uninitialized: shape.count)
        for i in 0..<shape.count {
            a.pointer[i] = UInt16(truncatingIfNeeded: i &* 1237)
            c.pointer[i] = UInt32(truncatingIfNeeded: i &* 100003)
        }
        try roundTrip(Volume(shape: shape, storage: .u16(a)))
        try roundTrip(Volume(shape: shape, kind: .labels, storage: .u32(c)))
    }
}
