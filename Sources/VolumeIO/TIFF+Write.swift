import _Platform
@preconcurrency import CTIFF
import Kernels

// Writing: the ImageJ stack layout when uncompressed, libtiff otherwise; always atomic.
extension TIFF {
    /// Writes `volume` as a multipage TIFF, one page per slice, atomically.
    ///
    /// Uncompressed strips (the default) are written as an ImageJ-style stack: all pixel data
    /// contiguous after the first IFD, so Fiji opens it as a stack and tifffile as one series.
    /// Compressed or tiled files go through libtiff (BigTIFF above 4 GiB). Every file carries
    /// ImageJ's description (`images=`, `slices=`, `unit=nm`, `spacing=`) and XResolution /
    /// YResolution in pixels per nm, so Fiji and tifffile see the same spacing.
    public static func write(_ volume: Volume, to path: String, options: TIFFWriteOptions = TIFFWriteOptions()) throws {
        if volume.count == 0 { throw IOError(path, "cannot write an empty volume") }
        if volume.shape.x > Int(UInt32.max) || volume.shape.y > Int(UInt32.max) {
            throw IOError(path, "slices too large for TIFF")
        }
        let contiguousLimit = Int(UInt32.max) - (1 << 20) - volume.shape.z * 256
        if options.compression == .none && options.layout == .strips && volume.byteCount < contiguousLimit {
            try AtomicFile.write(to: path) { tmp in try writeImageJ(volume, tmp: tmp, path: path) }
        } else {
            try AtomicFile.write(to: path) { tmp in try writeLibTIFF(volume, tmp: tmp, path: path, options: options) }
        }
    }

    static func writeLibTIFF(_ v: Volume, tmp: String, path: String, options: TIFFWriteOptions) throws {
        let big = v.byteCount > Int(UInt32.max) - (64 << 20)
        let h = try TIFFHandle(path: tmp, mode: big ? "w8" : "w", reportAs: path)
        var closed = false
        defer { if !closed { h.close() } }
        let t = h.tif
        let bpp = v.type.byteSize
        let w = v.shape.x, ht = v.shape.y
        let sliceBytes = w * ht * bpp
        let base = v.storage.rawPointer
        let desc = imageJDescription(v, images: false)
        var tileBuf: UnsafeMutableRawPointer?
        defer { tileBuf?.deallocate() }
        // Deflate strips of integer data: compressed by emsh in parallel (a batch of pages at a
        // time, libdeflate), written raw; libtiff only writes the directories.
        let rowsPerStrip = max(1, min(ht, (256 << 10) / max(1, w * bpp)))
        var deflated: DeflatedStrips?
        let parallelDeflate = options.compression == .deflate && options.layout == .strips && v.type != .f32
        for z in 0..<v.shape.z {
            try Cancellation.check()
            var ok = true
            ok = ok && emsh_tiff_set_u32(t, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(w)) == 1
            ok = ok && emsh_tiff_set_u32(t, UInt32(TIFFTAG_IMAGELENGTH), UInt32(ht)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_BITSPERSAMPLE), UInt16(bpp * 8)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_SAMPLESPERPIXEL), 1) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_SAMPLEFORMAT),
                                         UInt16(v.type == .f32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_PHOTOMETRIC), UInt16(PHOTOMETRIC_MINISBLACK)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_PLANARCONFIG), UInt16(PLANARCONFIG_CONTIG)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_COMPRESSION), options.compression.tag) == 1
            if options.compression == .lzw || options.compression == .deflate {
                let predictor = v.type == .f32 ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL
                ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_PREDICTOR), UInt16(predictor)) == 1
            }
            let (xn, xd) = resolutionRational(v.spacing.x)
            let (yn, yd) = resolutionRational(v.spacing.y)
            ok = ok && emsh_tiff_set_double(t, UInt32(TIFFTAG_XRESOLUTION), Double(xn) / Double(xd)) == 1
            ok = ok && emsh_tiff_set_double(t, UInt32(TIFFTAG_YRESOLUTION), Double(yn) / Double(yd)) == 1
            ok = ok && emsh_tiff_set_u16(t, UInt32(TIFFTAG_RESOLUTIONUNIT), UInt16(RESUNIT_NONE)) == 1
            if z == 0 { ok = ok && emsh_tiff_set_string(t, UInt32(TIFFTAG_IMAGEDESCRIPTION), desc) == 1 }
            let slice = base + z * sliceBytes
            switch options.layout {
            case .strips:
                // About 256 KiB per strip.
                let rps = rowsPerStrip
                ok = ok && emsh_tiff_set_u32(t, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(rps)) == 1
                if !ok { throw h.fail("cannot set TIFF fields") }
                if parallelDeflate {
                    if deflated == nil || !(deflated?.pages.contains(z) ?? false) {
                        let batch = z..<min(v.shape.z, z + 4 * max(1, Threads.count))
                        deflated = try DeflatedStrips(v, pages: batch, rowsPerStrip: rps, path: path)
                    }
                    guard let d = deflated else { throw IOError(path, "cannot compress page \(z)") }
                    for s in 0..<d.stripsPerPage {
                        let (p, n) = d.strip(page: z, s)
                        if TIFFWriteRawStrip(t, UInt32(s), UnsafeMutableRawPointer(mutating: p), tmsize_t(n)) < 0 {
                            throw h.fail("cannot write page \(z)")
                        }
                    }
                    break
                }
                var y = 0, s: UInt32 = 0
                while y < ht {
                    let r = min(rps, ht - y)
                    if TIFFWriteEncodedStrip(t, s, slice + y * w * bpp, tmsize_t(r * w * bpp)) < 0 {
                        throw h.fail("cannot write page \(z)")
                    }
                    y += r
                    s += 1
                }
            case .tiles(let side):
                let tsz = max(16, (side + 15) / 16 * 16)
                ok = ok && emsh_tiff_set_u32(t, UInt32(TIFFTAG_TILEWIDTH), UInt32(tsz)) == 1
                ok = ok && emsh_tiff_set_u32(t, UInt32(TIFFTAG_TILELENGTH), UInt32(tsz)) == 1
                if !ok { throw h.fail("cannot set TIFF fields") }
                let tileBytes = tsz * tsz * bpp
                if tileBuf == nil { tileBuf = .allocate(byteCount: tileBytes, alignment: 16) }
                guard let buf = tileBuf else { continue }
                var ty = 0
                while ty < ht {
                    var tx = 0
                    while tx < w {
                        buf.initializeMemory(as: UInt8.self, repeating: 0, count: tileBytes)
                        let cw = min(tsz, w - tx) * bpp
                        for r in 0..<min(tsz, ht - ty) {
                            (buf + r * tsz * bpp).copyMemory(from: slice + ((ty + r) * w + tx) * bpp, byteCount: cw)
                        }
                        let tile = TIFFComputeTile(t, UInt32(tx), UInt32(ty), 0, 0)
                        if TIFFWriteEncodedTile(t, tile, buf, tmsize_t(tileBytes)) < 0 { throw h.fail("cannot write page \(z)") }
                        tx += tsz
                    }
                    ty += tsz
                }
            }
            if TIFFWriteDirectory(t) != 1 { throw h.fail("cannot write page \(z)") }
        }
        let before = h.errorCount
        h.close()
        closed = true
        if h.errorCount > before { throw h.fail("cannot finish the TIFF file") }
    }
}
