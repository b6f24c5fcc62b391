#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
@preconcurrency import CTIFF
import Kernels

// Reading: scanning the IFDs, validating pages, decoding them in parallel into one volume.
extension TIFF {
    /// Reads the pages `z` (all by default) of one or more TIFF files as one volume.
    ///
    /// Pages must be single-channel u8, u16, u32 or f32 (SampleFormat), of one size and type.
    /// Uncompressed, LZW, deflate and PackBits, strips and tiles are read; only the pages in
    /// `z` are decoded, in parallel. Spacing comes from ImageJ's tags of the first file
    /// (XResolution/YResolution in pixels per unit, `unit=` and `spacing=` in the description),
    /// converted to nm; without an ImageJ description the spacing stays 1×1×1.
    /// u32 volumes get kind `.labels`. Sizes are checked before anything large is allocated.
    public static func read(paths: [String], z: IndexRange? = nil, warn: ((String) -> Void)? = nil) throws -> Volume {
        guard let firstPath = paths.first else { throw IOError("", "no TIFF files to load") }
        var pages: [TIFFPage] = []
        var spacing = Spacing.unit
        var storedKind: VolumeKind?
        for (f, path) in paths.enumerated() {
            let (p, s) = try scan(path: path, file: f, wantSpacing: f == 0)
            if f == 0, let s {
                spacing = s.spacing
                storedKind = s.kind
                if let note = s.note { warn?("\(path): \(note)") }
            }
            pages.append(contentsOf: p)
        }
        let range = try resolveZ(z, count: pages.count, path: firstPath)
        let chosen = Array(pages[range])
        let first = chosen[0]
        for p in chosen where p.width != first.width || p.height != first.height || p.type != first.type {
            throw IOError(paths[p.file], "page \(p.index) is \(p.width)×\(p.height) \(p.type.rawValue), "
                + "the first page is \(first.width)×\(first.height) \(first.type.rawValue)")
        }
        if chosen.contains(where: \.minIsWhite), let warn {
            warn("TIFF pages use MinIsWhite photometry; values are read as stored (not inverted)")
        }
        let n = chosen.count
        try checkMemory(MemoryBudget.bytes([n, first.height, first.width], elementSize: first.type.byteSize),
                        what: "\(n) pages of \(first.width)×\(first.height) \(first.type.rawValue)", path: paths[first.file])
        let shape = Shape(z: n, y: first.height, x: first.width)
        let storage: VoxelStorage
        switch first.type {
        case .u8: storage = .u8(VoxelBuffer(uninitialized: shape.count))
        case .u16: storage = .u16(VoxelBuffer(uninitialized: shape.count))
        case .u32: storage = .u32(VoxelBuffer(uninitialized: shape.count))
        case .f32: storage = .f32(VoxelBuffer(uninitialized: shape.count))
        }
        let base = storage.rawPointer
        let sliceBytes = first.width * first.height * first.type.byteSize

        let failures = UnsafeMutableBufferPointer<(any Error)?>.allocate(capacity: n)
        failures.initialize(repeating: nil)
        defer {
            failures.deinitialize()
            failures.deallocate()
        }
        let progress = Progress(label: "load", total: n)
        defer { progress.finish() }
        parallelChunks(n) { _, chunk in
            var handle: TIFFHandle?
            var file: (index: Int, fd: Int32)?
            defer {
                handle?.close()
                if let file { close(file.fd) }
            }
            for i in chunk {
                if Cancellation.isCancelled { failures[i] = CancelledError(); return }
                let page = chosen[i]
                do {
                    if let offset = page.contiguousOffset {
                        // A contiguous raw page: one pread, no libtiff (and no second parse of the IFD).
                        if file?.index != page.file {
                            if let file { close(file.fd) }
                            file = nil
                            let fd = open(paths[page.file], O_RDONLY | O_CLOEXEC)
                            if fd < 0 { throw IOError(paths[page.file], "cannot open: \(errnoMessage())") }
                            file = (page.file, fd)
                        }
                        try readFully(file!.fd, into: base + i * sliceBytes, count: sliceBytes, at: offset,
                                      path: paths[page.file], what: "page \(page.index)")
                        progress.advance()
                        continue
                    }
                    if handle == nil || handle?.path != paths[page.file] {
                        handle?.close()
                        handle = nil
                        handle = try TIFFHandle(path: paths[page.file], mode: "rmc")
                    }
                    guard let h = handle else { continue }
                    if TIFFSetSubDirectory(h.tif, page.ifdOffset) != 1 {
                        throw h.fail("cannot read page \(page.index)")
                    }
                    try decodePage(h, page: page, into: base + i * sliceBytes)
                } catch {
                    failures[i] = error
                    return
                }
                progress.advance()
            }
        }
        for i in 0..<n { if let e = failures[i] { throw e } }
        // A mask emsh wrote stays a mask (when the data is 0/1); u32 is labels; the rest images.
        var kind: VolumeKind = first.type == .u32 ? .labels : .image
        if storedKind == .mask && first.type == .u8 { kind = .mask }
        if kind == .mask, let b = storage.u8Buffer {
            for i in 0..<b.count where b.pointer[i] > 1 { kind = .image; break }
        }
        return Volume(shape: shape, spacing: spacing, kind: kind, storage: storage)
    }

    /// Number of pages and the spacing of one TIFF file, without decoding pixels.
    public static func pageCount(path: String) throws -> Int {
        try scan(path: path, file: 0, wantSpacing: false).pages.count
    }

    /// Walks every IFD of `path`, validating each page before anything is allocated.
    static func scan(path: String, file: Int, wantSpacing: Bool)
        throws -> (pages: [TIFFPage], meta: TIFFSpacing?) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw IOError(path, "cannot open: \(errnoMessage())") }
        let fileSize = UInt64(st.st_size)
        let h = try TIFFHandle(path: path, mode: "rc")
        defer { h.close() }
        var pages: [TIFFPage] = []
        var spacing: TIFFSpacing?
        var index = 0
        while true {
            pages.append(try pageInfo(h, index: index, file: file, fileSize: fileSize))
            if index == 0 && wantSpacing { spacing = readSpacing(h) }
            let before = h.errorCount
            if TIFFReadDirectory(h.tif) != 1 {
                if h.errorCount > before { throw h.fail("page \(index + 1) is corrupt") }
                break
            }
            index += 1
        }
        return (pages, spacing)
    }

    static func pageInfo(_ h: TIFFHandle, index: Int, file: Int, fileSize: UInt64) throws -> TIFFPage {
        let t = h.tif
        let path = h.path
        var w: UInt32 = 0, ht: UInt32 = 0
        guard emsh_tiff_get_u32(t, UInt32(TIFFTAG_IMAGEWIDTH), &w) == 1,
              emsh_tiff_get_u32(t, UInt32(TIFFTAG_IMAGELENGTH), &ht) == 1 else {
            throw IOError(path, "page \(index) has no image size")
        }
        if w == 0 || ht == 0 { throw IOError(path, "page \(index) has a zero size (\(w)×\(ht))") }
        var spp: UInt16 = 1, bps: UInt16 = 1, fmt: UInt16 = 1, compression: UInt16 = 1, photometric: UInt16 = 1
        _ = emsh_tiff_get_u16_default(t, UInt32(TIFFTAG_SAMPLESPERPIXEL), &spp)
        _ = emsh_tiff_get_u16_default(t, UInt32(TIFFTAG_BITSPERSAMPLE), &bps)
        _ = emsh_tiff_get_u16_default(t, UInt32(TIFFTAG_SAMPLEFORMAT), &fmt)
        _ = emsh_tiff_get_u16_default(t, UInt32(TIFFTAG_COMPRESSION), &compression)
        if emsh_tiff_get_u16(t, UInt32(TIFFTAG_PHOTOMETRIC), &photometric) != 1 { photometric = 1 }
        if spp != 1 {
            throw IOError(path, "page \(index) has \(spp) samples per pixel; only single-channel (gray) TIFF is supported")
        }
        let type: VoxelType
        switch (fmt, bps) {
        case (UInt16(SAMPLEFORMAT_UINT), 8): type = .u8
        case (UInt16(SAMPLEFORMAT_UINT), 16): type = .u16
        case (UInt16(SAMPLEFORMAT_UINT), 32): type = .u32
        case (UInt16(SAMPLEFORMAT_IEEEFP), 32): type = .f32
        default:
            let kind = fmt == UInt16(SAMPLEFORMAT_INT) ? "signed integer" : fmt == UInt16(SAMPLEFORMAT_IEEEFP) ? "float" : "unsigned integer"
            throw IOError(path, "page \(index) is \(bps)-bit \(kind); supported are 8/16/32-bit unsigned and 32-bit float")
        }
        if TIFFIsCODECConfigured(compression) != 1 {
            throw IOError(path, "page \(index) uses compression \(compression), which this libtiff cannot decode")
        }
        let tiled = TIFFIsTiled(t) != 0
        // Every strip or tile must lie inside the file: a lying header is refused before allocating.
        let strileCount = tiled ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t)
        if strileCount == 0 { throw IOError(path, "page \(index) has no image data") }
        let uncompressed = compression == UInt16(COMPRESSION_NONE)
        var stored: UInt64 = 0
        // Whether the strips hold the rows back to back: each strip exactly its rows' bytes (no padding)
        // and starting where the previous one ended.
        var firstOffset: UInt64 = 0, contiguousEnd: UInt64? = nil
        var rps: UInt32 = 0
        _ = emsh_tiff_get_u32_default(t, UInt32(TIFFTAG_ROWSPERSTRIP), &rps)
        let stripRows = UInt64(max(1, min(rps, ht))), rowBytes = UInt64(w) * UInt64(type.byteSize)
        for s in 0..<strileCount {
            var err: Int32 = 0
            let off = TIFFGetStrileOffsetWithErr(t, s, &err)
            let count = err == 0 ? TIFFGetStrileByteCountWithErr(t, s, &err) : 0
            if err != 0 { throw h.fail("page \(index): cannot read the strip/tile table") }
            if count == 0 && uncompressed { throw IOError(path, "page \(index): \(tiled ? "tile" : "strip") \(s) is empty") }
            if off > fileSize || count > fileSize - off {
                throw IOError(path, "page \(index): \(tiled ? "tile" : "strip") \(s) lies past the end of the file (truncated?)")
            }
            stored &+= count
            let rowsHere = min(stripRows, UInt64(ht) - min(UInt64(ht), UInt64(s) * stripRows))
            if s == 0 { firstOffset = off; contiguousEnd = off + count }
            else if let end = contiguousEnd { contiguousEnd = off == end ? end + count : nil }
            let (expected, overflow) = rowsHere.multipliedReportingOverflow(by: rowBytes)
            if (overflow || count != expected) && s + 1 < strileCount { contiguousEnd = nil }
        }
        // The stored bytes must be able to hold the pixels the header claims: all of them when
        // uncompressed, at least 1/4096 of them when compressed (deflate tops out near 1/1032).
        let (pixels, o1) = UInt64(w).multipliedReportingOverflow(by: UInt64(ht))
        let (claimed, o2) = pixels.multipliedReportingOverflow(by: UInt64(type.byteSize))
        if o1 || o2 { throw IOError(path, "page \(index) claims an impossible size \(w)×\(ht)") }
        if stored < (uncompressed ? claimed : claimed / 4096) {
            throw IOError(path, "page \(index) claims \(w)×\(ht) pixels but stores only \(stored) bytes (corrupt or truncated)")
        }
        var fillOrder: UInt16 = 1
        _ = emsh_tiff_get_u16_default(t, UInt32(TIFFTAG_FILLORDER), &fillOrder)
        let raw = uncompressed && !tiled && TIFFIsByteSwapped(t) == 0 && fillOrder == UInt16(FILLORDER_MSB2LSB)
        var page = TIFFPage(file: file, index: index, ifdOffset: TIFFCurrentDirOffset(t), width: Int(w), height: Int(ht),
                            type: type, tiled: tiled, minIsWhite: photometric == UInt16(PHOTOMETRIC_MINISWHITE), raw: raw)
        if raw, let end = contiguousEnd, end - firstOffset >= claimed { page.contiguousOffset = firstOffset }
        if compression == UInt16(COMPRESSION_ADOBE_DEFLATE) || compression == UInt16(COMPRESSION_DEFLATE),
           !tiled, TIFFIsByteSwapped(t) == 0, fillOrder == UInt16(FILLORDER_MSB2LSB) {
            var predictor: UInt16 = 1
            if emsh_tiff_get_u16(t, UInt32(TIFFTAG_PREDICTOR), &predictor) != 1 { predictor = 1 }
            if predictor == UInt16(PREDICTOR_NONE) || predictor == UInt16(PREDICTOR_HORIZONTAL) {
                page.deflate = true
                page.predictor = Int(predictor)
            }
        }
        return page
    }

    /// Decodes the current directory of `h` into `dest` (width*height*byteSize bytes).
    static func decodePage(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws {
        let t = h.tif
        let bpp = page.type.byteSize
        let rowBytes = page.width * bpp
        if page.raw {
            try readRawStrips(h, page: page, into: dest)
            return
        }
        if page.deflate, try readDeflateStrips(h, page: page, into: dest) { return }
        if !page.tiled {
            try forEachStrip(h, page: page) { s, y, r in
                let want = r * rowBytes
                let got = TIFFReadEncodedStrip(t, UInt32(s), dest + y * rowBytes, tmsize_t(want))
                if got != tmsize_t(want) { throw h.fail("page \(page.index): strip \(s) is corrupt or truncated") }
            }
            return
        }
        var tw: UInt32 = 0, th: UInt32 = 0
        guard emsh_tiff_get_u32(t, UInt32(TIFFTAG_TILEWIDTH), &tw) == 1,
              emsh_tiff_get_u32(t, UInt32(TIFFTAG_TILELENGTH), &th) == 1, tw > 0, th > 0 else {
            throw IOError(h.path, "page \(page.index): bad tile size")
        }
        // A tile may overhang a small page (256² tiles on a 5×4 image are normal) but not by more than that:
        // a hostile header claiming a 10⁹-pixel-wide tile would otherwise allocate gigabytes for one read.
        guard Int(tw) <= max(page.width, 8192), Int(th) <= max(page.height, 8192) else {
            throw IOError(h.path, "page \(page.index): tile \(tw)×\(th) is larger than the \(page.width)×\(page.height) page")
        }
        let tileBytes = Int(TIFFTileSize(t))
        let (tilePixels, overflow) = Int(tw).multipliedReportingOverflow(by: Int(th))
        guard !overflow, tileBytes > 0, tileBytes / bpp == tilePixels else {
            throw IOError(h.path, "page \(page.index): unexpected tile layout \(tw)×\(th)")
        }
        try checkMemory(tileBytes, what: "a \(tw)×\(th) tile", path: h.path)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: tileBytes, alignment: 16)
        defer { buf.deallocate() }
        let tileW = Int(tw), tileH = Int(th)
        var ty = 0
        while ty < page.height {
            var tx = 0
            while tx < page.width {
                let tile = TIFFComputeTile(t, UInt32(tx), UInt32(ty), 0, 0)
                let got = TIFFReadEncodedTile(t, tile, buf, tmsize_t(tileBytes))
                if got != tmsize_t(tileBytes) { throw h.fail("page \(page.index): tile \(tile) is corrupt or truncated") }
                let cw = min(tileW, page.width - tx) * bpp
                for r in 0..<min(tileH, page.height - ty) {
                    (dest + ((ty + r) * page.width + tx) * bpp).copyMemory(from: buf + r * tileW * bpp, byteCount: cw)
                }
                tx += tileW
            }
            ty += tileH
        }
    }

    /// Uncompressed strips in native order: one pread per strip straight into the volume
    /// (libtiff would copy through its own buffer).
    static func readRawStrips(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws {
        let t = h.tif
        let rowBytes = page.width * page.type.byteSize
        let fd = TIFFFileno(t)
        try forEachStrip(h, page: page) { s, y, r in
            let want = r * rowBytes
            var err: Int32 = 0
            let off = TIFFGetStrileOffsetWithErr(t, UInt32(s), &err)
            let count = err == 0 ? TIFFGetStrileByteCountWithErr(t, UInt32(s), &err) : 0
            if err != 0 || count < UInt64(want) {
                throw IOError(h.path, "page \(page.index): strip \(s) holds \(count) bytes, \(want) expected (corrupt or truncated)")
            }
            try readFully(fd, into: dest + y * rowBytes, count: want, at: off, path: h.path, what: "page \(page.index): strip \(s)")
        }
    }

    /// Calls `body(strip, firstRow, rowCount)` for the strips of the current page in order; a page
    /// with fewer strips than its rows need is an error.
    static func forEachStrip(_ h: TIFFHandle, page: TIFFPage, _ body: (Int, Int, Int) throws -> Void) throws {
        var rps: UInt32 = 0
        _ = emsh_tiff_get_u32_default(h.tif, UInt32(TIFFTAG_ROWSPERSTRIP), &rps)
        let rows = max(1, min(Int(rps), page.height))
        let strips = Int(TIFFNumberOfStrips(h.tif))
        var y = 0, s = 0
        while y < page.height {
            if s >= strips { throw IOError(h.path, "page \(page.index): too few strips for \(page.height) rows") }
            let r = min(rows, page.height - y)
            try body(s, y, r)
            y += r
            s += 1
        }
    }

    /// Reads `count` bytes at `offset` of `fd` into `dest`; a short file is an error naming `what`.
    static func readFully(_ fd: Int32, into dest: UnsafeMutableRawPointer, count: Int, at offset: UInt64,
                          path: String, what: String) throws {
        let got = _Platform.readFully(fd, into: dest, count: count, at: Int(offset))
        if got != count { throw IOError(path, "\(what) is truncated" + (got < 0 ? " (\(errnoMessage()))" : "")) }
    }
}
