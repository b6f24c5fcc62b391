#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
@preconcurrency import CTIFF
import Kernels
import Synchronization

/// What the first page's ImageJ description says about the spacing, and a note for the user when
/// its unit could not be converted.
struct TIFFSpacing {
    var spacing: Spacing
    var kind: VolumeKind?
    var note: String?
}

/// One TIFF page as found by the scan: enough to allocate and to decode it.
struct TIFFPage: Sendable {
    var file: Int
    var index: Int
    var ifdOffset: UInt64
    var width: Int
    var height: Int
    var type: VoxelType
    var tiled: Bool
    var minIsWhite: Bool
    /// Uncompressed, native byte and bit order: strips can be read straight into the volume.
    var raw: Bool
    /// Deflate-compressed strips in native byte and bit order, predictor `predictor` (1 or 2):
    /// emsh inflates them itself (`readDeflateStrips`), libtiff's path stays the fallback.
    var deflate: Bool = false
    var predictor: Int = 1
    /// A raw page whose strips lie back to back in order: the file offset of its pixels, which one
    /// pread brings in without libtiff (the usual layout of ImageJ, tifffile and emsh stacks).
    var contiguousOffset: UInt64?
}

/// An open libtiff handle whose error messages land in `errors` (never on stderr).
final class TIFFHandle {
    let tif: OpaquePointer
    let errors: UnsafeMutablePointer<emsh_tiff_errors>
    let path: String

    init(path: String, mode: String, reportAs: String? = nil) throws {
        _ = silenceGlobalTIFFHandlers
        self.path = reportAs ?? path
        errors = .allocate(capacity: 1)
        errors.initialize(to: emsh_tiff_errors())
        let limit = MemoryBudget.limit
        guard let t = emsh_tiff_open(path, mode, errors, limit) else {
            let msg = TIFFHandle.text(errors)
            errors.deallocate()
            var st = stat()
            if mode.hasPrefix("r") && stat(path, &st) != 0 { throw IOError(reportAs ?? path, "cannot open: \(errnoMessage())") }
            throw IOError(reportAs ?? path, msg.isEmpty ? "cannot open as TIFF" : "cannot open as TIFF: \(msg)")
        }
        tif = t
    }

    /// Closes the handle (flushing a file being written); returns libtiff's first error, if any.
    func close() {
        TIFFClose(tif)
    }

    deinit { errors.deallocate() }

    var errorCount: Int { Int(errors.pointee.count) }
    var lastMessage: String { TIFFHandle.text(errors) }

    func fail(_ what: String) -> IOError {
        let m = lastMessage
        return IOError(path, m.isEmpty ? what : "\(what): \(m)")
    }

    static func text(_ e: UnsafeMutablePointer<emsh_tiff_errors>) -> String {
        withUnsafeBytes(of: e.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}

private let silenceGlobalTIFFHandlers: Void = { emsh_tiff_silence_global_handlers() }()

/// TIFF compression schemes emsh writes.
public enum TIFFCompression: String, Sendable, CaseIterable {
    case none, lzw, deflate, packbits

    var tag: UInt16 {
        switch self {
        case .none: UInt16(COMPRESSION_NONE)
        case .lzw: UInt16(COMPRESSION_LZW)
        case .deflate: UInt16(COMPRESSION_ADOBE_DEFLATE)
        case .packbits: UInt16(COMPRESSION_PACKBITS)
        }
    }
}

/// How pixel data is laid out in a written TIFF.
public enum TIFFLayout: Sendable, Equatable {
    case strips
    /// Square tiles of this side (rounded up to a multiple of 16).
    case tiles(Int)
}

public struct TIFFWriteOptions: Sendable, Equatable {
    public var compression: TIFFCompression
    public var layout: TIFFLayout
    public init(compression: TIFFCompression = .none, layout: TIFFLayout = .strips) {
        self.compression = compression
        self.layout = layout
    }
}

/// Multipage TIFF reading and writing through libtiff.
public enum TIFF {
    // MARK: reading

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

    private static func pageInfo(_ h: TIFFHandle, index: Int, file: Int, fileSize: UInt64) throws -> TIFFPage {
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
    private static func decodePage(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws {
        let t = h.tif
        let bpp = page.type.byteSize
        let rowBytes = page.width * bpp
        if page.raw {
            try readRawStrips(h, page: page, into: dest)
            return
        }
        if page.deflate, try readDeflateStrips(h, page: page, into: dest) { return }
        if !page.tiled {
            var rps: UInt32 = 0
            _ = emsh_tiff_get_u32_default(t, UInt32(TIFFTAG_ROWSPERSTRIP), &rps)
            let rows = max(1, min(Int(rps), page.height))
            let strips = Int(TIFFNumberOfStrips(t))
            var y = 0
            var s = 0
            while y < page.height {
                if s >= strips { throw IOError(h.path, "page \(page.index): too few strips for \(page.height) rows") }
                let r = min(rows, page.height - y)
                let want = r * rowBytes
                let got = TIFFReadEncodedStrip(t, UInt32(s), dest + y * rowBytes, tmsize_t(want))
                if got != tmsize_t(want) { throw h.fail("page \(page.index): strip \(s) is corrupt or truncated") }
                y += r
                s += 1
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

    /// Deflate strips (predictor none or horizontal, native order): each strip is read with one
    /// pread, inflated by libdeflate straight into the volume and the predictor undone in place
    /// (libtiff's own path spends about as long on the predictor as on inflating).
    /// Returns false, having decoded nothing for sure, when anything is unexpected: the caller then
    /// decodes the page through libtiff, whose checks and messages apply (truncated, corrupt data).
    private static func readDeflateStrips(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws -> Bool {
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
            var done = 0
            while done < count {
                let got = pread(fd, scratch + done, count - done, off_t(off) + off_t(done))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { return false }
                done += got
            }
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

    /// Uncompressed strips in native order: one pread per strip straight into the volume
    /// (libtiff would copy through its own buffer).
    private static func readRawStrips(_ h: TIFFHandle, page: TIFFPage, into dest: UnsafeMutableRawPointer) throws {
        let t = h.tif
        let rowBytes = page.width * page.type.byteSize
        var rps: UInt32 = 0
        _ = emsh_tiff_get_u32_default(t, UInt32(TIFFTAG_ROWSPERSTRIP), &rps)
        let rows = max(1, min(Int(rps), page.height))
        let strips = Int(TIFFNumberOfStrips(t))
        let fd = TIFFFileno(t)
        var y = 0
        var s = 0
        while y < page.height {
            if s >= strips { throw IOError(h.path, "page \(page.index): too few strips for \(page.height) rows") }
            let r = min(rows, page.height - y)
            let want = r * rowBytes
            var err: Int32 = 0
            let off = TIFFGetStrileOffsetWithErr(t, UInt32(s), &err)
            let count = err == 0 ? TIFFGetStrileByteCountWithErr(t, UInt32(s), &err) : 0
            if err != 0 || count < UInt64(want) {
                throw IOError(h.path, "page \(page.index): strip \(s) holds \(count) bytes, \(want) expected (corrupt or truncated)")
            }
            try readFully(fd, into: dest + y * rowBytes, count: want, at: off, path: h.path, what: "page \(page.index): strip \(s)")
            y += r
            s += 1
        }
    }

    /// Reads `count` bytes at `offset` of `fd` into `dest` (pread, retried until complete); a short
    /// file is an error naming `what`.
    static func readFully(_ fd: Int32, into dest: UnsafeMutableRawPointer, count: Int, at offset: UInt64,
                          path: String, what: String) throws {
        var done = 0
        while done < count {
            let got = pread(fd, dest + done, count - done, off_t(offset) + off_t(done))
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { throw IOError(path, "\(what) is truncated" + (got < 0 ? " (\(errnoMessage()))" : "")) }
            done += got
        }
    }

    /// ImageJ spacing of the current directory, in nm; nil without an ImageJ description.
    private static func readSpacing(_ h: TIFFHandle) -> TIFFSpacing? {
        var cstr: UnsafePointer<CChar>?
        guard emsh_tiff_get_string(h.tif, UInt32(TIFFTAG_IMAGEDESCRIPTION), &cstr) == 1, let cstr else { return nil }
        let desc = String(cString: cstr)
        guard desc.hasPrefix("ImageJ=") else { return nil }
        var fields: [String: String] = [:]
        for line in desc.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let eq = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<eq]).trimmed] = String(line[line.index(after: eq)...]).trimmed
        }
        let unit = decodeUnicodeEscapes(fields["unit"] ?? "")
        let known = unitScale(unit)
        let scale = known ?? 1
        var xres = 0.0, yres = 0.0
        let sx = emsh_tiff_get_f32_or_double(h.tif, UInt32(TIFFTAG_XRESOLUTION), &xres) == 1 && xres > 0 ? 1 / xres : 1
        let sy = emsh_tiff_get_f32_or_double(h.tif, UInt32(TIFFTAG_YRESOLUTION), &yres) == 1 && yres > 0 ? 1 / yres : sx
        let sz = fields["spacing"].flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } ?? 1
        func nm(_ v: Double) -> Double {
            let r = roundSignificant(v * scale)
            return r > 0 && r.isFinite ? r : 1
        }
        let spacing = Spacing(x: nm(sx), y: nm(sy), z: nm(sz))
        // Numbers in a unit emsh does not know would be off by factors of 1000 without a word.
        var note: String?
        if known == nil {
            let calibrated = spacing != Spacing.unit
            let pixels = unit.isEmpty || ["pixel", "pixels", "px"].contains(unit.lowercased())
            if !pixels {
                note = "unknown unit '\(unit)' in the ImageJ description: the spacing is read as nm (give --spacing)"
            } else if calibrated {
                note = "the ImageJ description gives the spacing in pixels, not a length: it is read as nm (give --spacing)"
            }
        }
        return TIFFSpacing(spacing: spacing, kind: fields["emsh_kind"].flatMap(VolumeKind.init(rawValue:)), note: note)
    }

    /// `\uXXXX` escapes (as Fiji writes `unit=\u00B5m`) turned into their characters.
    static func decodeUnicodeEscapes(_ s: String) -> String {
        guard s.contains("\\u") else { return s }
        var out = "", chars = Array(s), i = 0
        while i < chars.count {
            if chars[i] == "\\", i + 6 <= chars.count, chars[i + 1] == "u",
               let code = UInt32(String(chars[(i + 2)..<(i + 6)]), radix: 16), let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
                i += 6
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// Nanometres per unit for ImageJ's unit names; nil for an unknown unit and for pixels.
    static func unitScale(_ unit: String) -> Double? {
        switch unit.lowercased() {
        case "nm", "nanometer", "nanometre", "nanometers", "nanometres": 1
        case "micron", "microns", "um", "\u{00B5}m", "\u{03BC}m", "micrometer", "micrometre", "micrometers", "micrometres": 1000
        case "mm", "millimeter", "millimetre": 1_000_000
        case "cm", "centimeter", "centimetre": 10_000_000
        case "m", "meter", "metre": 1_000_000_000
        case "inch", "in": 25_400_000
        case "pm", "picometer": 0.001
        case "a", "å", "angstrom", "\u{00C5}": 0.1
        default: nil
        }
    }

    /// Rounds to 7 significant digits (libtiff holds resolutions as 32-bit floats).
    static func roundSignificant(_ v: Double) -> Double {
        guard v.isFinite, v != 0 else { return v }
        let digits = 7 - Int((log10(abs(v))).rounded(.up))
        let f = pow(10.0, Double(digits))
        return (v * f).rounded() / f
    }

    // MARK: writing

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

    static func imageJDescription(_ v: Volume, images: Bool) -> String {
        var d = "ImageJ=1.11a\n"
        if images && v.shape.z > 1 { d += "images=\(v.shape.z)\nslices=\(v.shape.z)\n" }
        d += "unit=nm\nspacing=\(exactNumber(v.spacing.z))\nloop=false\n"
        if v.kind != .image { d += "emsh_kind=\(v.kind.rawValue)\n" }
        return d
    }

    /// A rational close to `1 / spacing` (pixels per nm) with a power-of-ten numerator.
    static func resolutionRational(_ spacing: Double) -> (UInt32, UInt32) {
        let s = spacing > 0 && spacing.isFinite ? spacing : 1
        var k = 1_000_000.0
        while k > 1 && (s * k).rounded() > Double(UInt32.max) { k /= 10 }
        let den = max(1, min(Double(UInt32.max), (s * k).rounded()))
        return (UInt32(k), UInt32(den))
    }

    private static func writeLibTIFF(_ v: Volume, tmp: String, path: String, options: TIFFWriteOptions) throws {
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

    /// Uncompressed little-endian classic TIFF in ImageJ's layout:
    /// header, IFD 0 (+ description, resolutions), all pixel data, then IFDs 1..n-1.
    private static func writeImageJ(_ v: Volume, tmp: String, path: String) throws {
        let n = v.shape.z, w = v.shape.x, h = v.shape.y, bpp = v.type.byteSize
        let sliceBytes = w * h * bpp
        let desc = Array(imageJDescription(v, images: true).utf8) + [0]
        let (xn, xd) = resolutionRational(v.spacing.x)
        let (yn, yd) = resolutionRational(v.spacing.y)

        let entries0 = 15, entries = 14
        let ifd0Size = 2 + entries0 * 12 + 4
        let ifdSize = 2 + entries * 12 + 4
        let resOffset0 = 8 + ifd0Size
        let descOffset = resOffset0 + 16
        var dataOffset = descOffset + desc.count
        dataOffset = (dataOffset + 15) / 16 * 16
        let dataEnd = dataOffset + n * sliceBytes
        // Later IFDs each followed by their own 16 bytes of resolution rationals.
        func ifdOffset(_ z: Int) -> Int { z == 0 ? 8 : dataEnd + (z - 1) * (ifdSize + 16) }

        func ifd(_ z: Int) -> [UInt8] {
            var b: [UInt8] = []
            let count = z == 0 ? entries0 : entries
            b.reserveCapacity(2 + count * 12 + 4 + 16)
            func u16(_ x: Int) { b.append(UInt8(x & 0xff)); b.append(UInt8((x >> 8) & 0xff)) }
            func u32(_ x: Int) { for k in 0..<4 { b.append(UInt8((x >> (8 * k)) & 0xff)) } }
            func entry(_ tag: Int, _ type: Int, _ cnt: Int, _ value: Int) {
                u16(tag); u16(type); u32(cnt)
                if type == 3 && cnt == 1 { u16(value); u16(0) } else { u32(value) }
            }
            let resOffset = z == 0 ? resOffset0 : ifdOffset(z) + ifdSize
            u16(count)
            entry(254, 4, 1, 0)                                     // NewSubfileType
            entry(256, 4, 1, w)                                     // ImageWidth
            entry(257, 4, 1, h)                                     // ImageLength
            entry(258, 3, 1, bpp * 8)                               // BitsPerSample
            entry(259, 3, 1, 1)                                     // Compression: none
            entry(262, 3, 1, 1)                                     // Photometric: MinIsBlack
            if z == 0 { entry(270, 2, desc.count, descOffset) }     // ImageDescription
            entry(273, 4, 1, dataOffset + z * sliceBytes)          // StripOffsets
            entry(277, 3, 1, 1)                                     // SamplesPerPixel
            entry(278, 4, 1, h)                                     // RowsPerStrip
            entry(279, 4, 1, sliceBytes)                            // StripByteCounts
            entry(282, 5, 1, resOffset)                             // XResolution
            entry(283, 5, 1, resOffset + 8)                         // YResolution
            entry(296, 3, 1, 1)                                     // ResolutionUnit: none
            entry(339, 3, 1, v.type == .f32 ? 3 : 1)                // SampleFormat
            u32(z + 1 < n ? ifdOffset(z + 1) : 0)
            u32(Int(xn)); u32(Int(xd)); u32(Int(yn)); u32(Int(yd))
            return b
        }

        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw IOError(path, "cannot create file: \(errnoMessage())") }
        defer { close(fd) }
        func put(_ p: UnsafeRawPointer, _ count: Int) throws {
            var done = 0
            while done < count {
                let r = Glibc.write(fd, p + done, min(count - done, 1 << 30))
                if r < 0 {
                    if errno == EINTR { continue }
                    throw IOError(path, "cannot write: \(errnoMessage())")
                }
                done += r
            }
        }
        var head: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        head += ifd(0)
        head += desc
        head += [UInt8](repeating: 0, count: dataOffset - head.count)
        try head.withUnsafeBytes { if let p = $0.baseAddress { try put(p, $0.count) } }
        let base = UnsafeRawPointer(v.storage.rawPointer)
        for z in 0..<n {
            try Cancellation.check()
            try put(base + z * sliceBytes, sliceBytes)
            AtomicFile.startWriteback(fd, offset: dataOffset + z * sliceBytes, length: sliceBytes)
        }
        if n > 1 {
            var tail: [UInt8] = []
            tail.reserveCapacity((n - 1) * (ifdSize + 16))
            for z in 1..<n { tail += ifd(z) }
            try tail.withUnsafeBytes { if let p = $0.baseAddress { try put(p, $0.count) } }
        }
    }
}

extension VoxelStorage {
    var u8Buffer: VoxelBuffer<UInt8>? { if case .u8(let b) = self { b } else { nil } }
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
