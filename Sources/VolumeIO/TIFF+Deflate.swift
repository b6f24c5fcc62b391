import _Platform
@preconcurrency import CTIFF
import Kernels
import Synchronization

// Deflate strips without libtiff's copies: inflating straight into the volume, the horizontal predictor.
extension TIFF {
    /// Deflate strips (predictor none or horizontal, native order): each strip is read with one
    /// pread, inflated by libdeflate straight into the volume and the predictor undone in place
    /// (libtiff's own path spends about as long on the predictor as on inflating).
    /// Returns false, having decoded nothing for sure, when anything is unexpected: the caller then
    /// decodes the page through libtiff, whose checks and messages apply (truncated, corrupt data).
    static func readDeflateStrips(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws -> Bool {
        let t = h.tif
        let bpp = page.type.byteSize
        let rowBytes = page.width * bpp
        var rps: UInt32 = 0
        _ = emsh_tiff_get_u32_default(t, UInt32(TIFFTAG_ROWSPERSTRIP), &rps)
        let rows = max(1, min(Int(rps), page.height))
        let strips = Int(TIFFNumberOfStrips(t))
        guard strips >= (page.height + rows - 1) / rows else { return false }
        var largest: UInt64 = 0
        for s in 0..<strips {
            var err: Int32 = 0
            let count = TIFFGetStrileByteCountWithErr(t, UInt32(s), &err)
            if err != 0 { return false }
            largest = max(largest, count)
        }
        guard largest > 0, largest <= UInt64(Int.max / 2) else { return false }
        try checkMemory(Int(largest), what: "a compressed strip of \(largest) bytes", path: h.path)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(largest), alignment: 16)
        defer { scratch.deallocate() }
        guard let inflater = libdeflate_alloc_decompressor() else { return false }
        defer { libdeflate_free_decompressor(inflater) }
        let fd = TIFFFileno(t)
        var y = 0, s = 0
        while y < page.height {
            let r = min(rows, page.height - y)
            let want = r * rowBytes
            var err: Int32 = 0
            let off = TIFFGetStrileOffsetWithErr(t, UInt32(s), &err)
            let count = err == 0 ? Int(TIFFGetStrileByteCountWithErr(t, UInt32(s), &err)) : 0
            if err != 0 || count == 0 { return false }
            if _Platform.readFully(fd, into: scratch, count: count, at: Int(off)) != count { return false }
            let out = dest + y * rowBytes
            var produced = 0
            let status = libdeflate_zlib_decompress(inflater, scratch, count, out, want, &produced)
            if status != LIBDEFLATE_SUCCESS || produced != want { return false }
            if page.predictor == 2 { undoHorizontalPredictor(out, rows: r, width: page.width, bytesPerSample: bpp) }
            y += r
            s += 1
        }
        return true
    }

    /// Undoes TIFF's horizontal differencing (predictor 2) in place: a running sum along each row.
    static func undoHorizontalPredictor(_ p: UnsafeMutableRawPointer, rows: Int, width: Int, bytesPerSample: Int) {
        func run<T: FixedWidthInteger>(_ q: UnsafeMutablePointer<T>) {
            for r in 0..<rows {
                let row = q + r * width
                var acc = row[0]
                for i in 1..<max(width, 1) { acc &+= row[i]; row[i] = acc }
            }
        }
        switch bytesPerSample {
        case 1: run(p.assumingMemoryBound(to: UInt8.self))
        case 2: run(p.assumingMemoryBound(to: UInt16.self))
        default: run(p.assumingMemoryBound(to: UInt32.self))
        }
    }

    /// Applies TIFF's horizontal differencing (predictor 2) from `src` into `dst`, rows of `width` samples.
    static func applyHorizontalPredictor(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, rows: Int, width: Int,
                                         bytesPerSample: Int) {
        func run<T: FixedWidthInteger>(_ a: UnsafePointer<T>, _ b: UnsafeMutablePointer<T>) {
            for r in 0..<rows {
                let s = a + r * width, d = b + r * width
                d[0] = s[0]
                for i in 1..<max(width, 1) { d[i] = s[i] &- s[i - 1] }
            }
        }
        switch bytesPerSample {
        case 1: run(src.assumingMemoryBound(to: UInt8.self), dst.assumingMemoryBound(to: UInt8.self))
        case 2: run(src.assumingMemoryBound(to: UInt16.self), dst.assumingMemoryBound(to: UInt16.self))
        default: run(src.assumingMemoryBound(to: UInt32.self), dst.assumingMemoryBound(to: UInt32.self))
        }
    }
}

/// The deflated strips (zlib streams, horizontal predictor) of a run of pages of an integer volume,
/// compressed in parallel with libdeflate at level 6; written raw by `TIFF.writeLibTIFF`.
final class DeflatedStrips {
    let pages: Range<Int>
    let stripsPerPage: Int
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer
    private var sizes: [Int]

    init(_ v: Volume, pages: Range<Int>, rowsPerStrip rps: Int, path: String) throws {
        let w = v.shape.x, ht = v.shape.y, bpp = v.type.byteSize
        self.pages = pages
        stripsPerPage = (ht + rps - 1) / rps
        let stripBytes = rps * w * bpp
        capacity = libdeflate_zlib_compress_bound(nil, stripBytes)
        let strips = pages.count * stripsPerPage
        guard let total = MemoryBudget.bytes([strips, capacity], elementSize: 1) else {
            throw IOError(path, "the compressed pages are too large")
        }
        try MemoryBudget.check(total, what: "compressing \(pages.count) pages")
        buffer = .allocate(byteCount: max(total, 1), alignment: 16)
        sizes = [Int](repeating: 0, count: strips)
        let base = UnsafeRawPointer(v.storage.rawPointer)
        let sliceBytes = w * ht * bpp
        let out = buffer, cap = capacity, spp = stripsPerPage, first = pages.lowerBound
        let failed = Atomic<Bool>(false)
        sizes.withUnsafeMutableBufferPointer { sz in
            let sizesOut = sz
            parallelChunks(strips) { _, range in
                guard let c = libdeflate_alloc_compressor(6) else { failed.store(true, ordering: .relaxed); return }
                defer { libdeflate_free_compressor(c) }
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(stripBytes, 1), alignment: 16)
                defer { scratch.deallocate() }
                for k in range {
                    if Cancellation.isCancelled { return }
                    let z = first + k / spp, s = k % spp
                    let y = s * rps, r = min(rps, ht - y)
                    let n = r * w * bpp
                    TIFF.applyHorizontalPredictor(base + z * sliceBytes + y * w * bpp, scratch, rows: r, width: w, bytesPerSample: bpp)
                    let got = libdeflate_zlib_compress(c, scratch, n, out + k * cap, cap)
                    if got == 0 { failed.store(true, ordering: .relaxed) }
                    sizesOut[k] = got
                }
            }
        }
        try Cancellation.check()
        if failed.load(ordering: .relaxed) {
            throw IOError(path, "cannot compress the pixel data (out of memory?)")
        }
    }

    deinit { buffer.deallocate() }

    func strip(page z: Int, _ s: Int) -> (UnsafeRawPointer, Int) {
        let k = (z - pages.lowerBound) * stripsPerPage + s
        return (UnsafeRawPointer(buffer + k * capacity), sizes[k])
    }
}
