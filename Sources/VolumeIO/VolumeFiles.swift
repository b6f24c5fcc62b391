import _Platform
import Kernels

/// The top-level entries for volumes on disk: format by extension.
public enum VolumeIO {
    /// Loads the files `pattern` names (see `expandPattern`) as one volume.
    ///
    /// - `.png` files: a PNG sequence in natural name order (8/16-bit gray, palette indices, …).
    /// - `.tif`/`.tiff` files: the pages of every file in name order (multipage TIFF).
    /// - `z`: only these slices (pages) are decoded.
    /// - `mask`: non-zero voxels become 1, kind `.mask` (u8).
    /// Mixing PNG and TIFF files in one pattern is an error. `warn` receives non-fatal notes
    /// (colour converted to gray, alpha dropped).
    public static func loadVolume(pattern: String, cwd: String, z: IndexRange? = nil, mask: Bool = false,
                                  warn: ((String) -> Void)? = nil) throws -> Volume {
        let paths = try expandPattern(pattern, relativeTo: cwd)
        return try loadVolume(paths: paths, pattern: pattern, z: z, mask: mask, warn: warn)
    }

    /// Loads an explicit list of files (all PNG or all TIFF).
    public static func loadVolume(paths: [String], pattern: String, z: IndexRange? = nil, mask: Bool = false,
                                  warn: ((String) -> Void)? = nil) throws -> Volume {
        var kinds = Set<String>()
        for p in paths {
            let e = fileExtension(p)
            switch e {
            case "png": kinds.insert("png")
            case "tif", "tiff": kinds.insert("tif")
            default: throw IOError(p, "unknown image format \".\(e)\" (expected .png, .tif or .tiff)")
            }
        }
        if kinds.count > 1 { throw IOError(pattern, "matches both PNG and TIFF files; load them separately") }
        var v = kinds.contains("png") ? try loadPNGStack(paths: paths, z: z, warn: warn)
                                      : try TIFF.read(paths: paths, z: z, warn: warn)
        if mask {
            v = try binarize(v)
        } else if kinds.contains("png"), v.kind == .image, let b = v.storage.u8Buffer, !(0..<b.count).contains(where: { b.pointer[$0] > 1 }) {
            // A PNG holds no kind: 0/1 slices (a saved mask, a two-class palette) load as the mask they are.
            v.kind = .mask
        }
        return v
    }

    /// Saves a volume by the extension of `path`.
    ///
    /// - `.tif`/`.tiff`: one multipage TIFF (u8, u16, u32, f32) with ImageJ spacing; `tiff`
    ///   chooses compression and strips/tiles.
    /// - `.png`: 8-bit (u8, masks) or 16-bit (u16; u32 labels when every value fits in 16 bits)
    ///   gray PNG per slice. The path may hold one printf-style slice number (`%d`, `%03d`);
    ///   without one, a single slice goes to `path` itself and several slices go to
    ///   `NAME_000.png`, `NAME_001.png`, … beside it (at least 3 digits). f32 volumes cannot be
    ///   saved as PNG (use `.tif`).
    /// All files are written atomically: either every slice file is in place or none changed.
    /// Returns the paths written.
    @discardableResult
    public static func saveVolume(_ v: Volume, path: String, tiff: TIFFWriteOptions = TIFFWriteOptions()) throws -> [String] {
        let ext = fileExtension(path)
        switch ext {
        case "tif", "tiff":
            try TIFF.write(v, to: path, options: tiff)
            return [path]
        case "png":
            return try savePNGSequence(v, path: path)
        default:
            throw IOError(path, "cannot save a volume as \".\(ext)\" (use .tif or .png)")
        }
    }

    /// The file names a PNG save of `count` slices writes for `path`.
    public static func pngSlicePaths(_ path: String, count: Int) throws -> [String] {
        if let pattern = try SlicePattern(path) {
            return (0..<count).map { pattern.format($0) }
        }
        if count == 1 { return [path] }
        let stem = String(path.dropLast(4))
        let digits = max(3, String(count - 1).count)
        let pattern = SlicePattern(prefix: stem + "_", width: digits, zeroPad: true, suffix: String(path.suffix(4)))
        return (0..<count).map { pattern.format($0) }
    }

    private static func savePNGSequence(_ v: Volume, path: String) throws -> [String] {
        let paths = try pngSlicePaths(path, count: v.shape.z)
        let w = v.shape.x, h = v.shape.y, plane = v.shape.sliceCount
        if Set(paths).count != paths.count { throw IOError(path, "the slice pattern gives the same name twice") }
        switch v.storage {
        case .f32: throw IOError(path, "f32 volumes cannot be saved as PNG; save as .tif")
        case .u32(let b):
            var mx: UInt32 = 0
            for i in 0..<b.count where b.pointer[i] > mx { mx = b.pointer[i] }
            if mx > UInt32(UInt16.max) {
                throw IOError(path, "labels up to \(mx) do not fit a 16-bit PNG; save as .tif")
            }
        default: break
        }
        let depth = v.type == .u8 ? 8 : 16
        let n = v.shape.z
        try AtomicFile.writeAll(to: paths) { tmps in
            let progress = Progress(label: "save", total: n)
            defer { progress.finish() }
            let failures = UnsafeMutableBufferPointer<(any Error)?>.allocate(capacity: n)
            failures.initialize(repeating: nil)
            defer {
                failures.deinitialize()
                failures.deallocate()
            }
            // Slices are compressed in parallel, each into its own temporary file.
            parallelChunks(n) { _, chunk in
                var scratch: [UInt16] = []
                for z in chunk {
                    if Cancellation.isCancelled { failures[z] = CancelledError(); return }
                    do {
                        switch v.storage {
                        case .u8(let b):
                            try PNG.encode(file: tmps[z], reportAs: paths[z], width: w, height: h, depth: depth, colorType: 0,
                                           pixels: UnsafeRawBufferPointer(start: b.pointer + z * plane, count: plane),
                                           palette: [])
                        case .u16(let b):
                            try PNG.encode(file: tmps[z], reportAs: paths[z], width: w, height: h, depth: depth, colorType: 0,
                                           pixels: UnsafeRawBufferPointer(start: b.pointer + z * plane, count: plane * 2),
                                           palette: [])
                        case .u32(let b):
                            if scratch.isEmpty { scratch = [UInt16](repeating: 0, count: plane) }
                            for i in 0..<plane { scratch[i] = UInt16(truncatingIfNeeded: b.pointer[z * plane + i]) }
                            try scratch.withUnsafeBytes {
                                try PNG.encode(file: tmps[z], reportAs: paths[z], width: w, height: h, depth: 16,
                                               colorType: 0, pixels: $0, palette: [])
                            }
                        case .f32: break
                        }
                    } catch {
                        failures[z] = error
                        return
                    }
                    progress.advance()
                }
            }
            for z in 0..<n { if let e = failures[z] { throw e } }
        }
        return paths
    }

    /// Non-zero → 1, as a u8 volume of kind `.mask` (same shape and spacing).
    public static func binarize(_ v: Volume) throws -> Volume { try Kernels.binarize(v) }
}


/// One printf-style integer conversion in a file name: `%d`, `%3d`, `%03d`.
struct SlicePattern {
    var prefix: String
    var width: Int
    var zeroPad: Bool
    var suffix: String

    init(prefix: String, width: Int, zeroPad: Bool, suffix: String) {
        self.prefix = prefix
        self.width = width
        self.zeroPad = zeroPad
        self.suffix = suffix
    }

    /// nil when `path` has no `%`; throws on a malformed or repeated conversion.
    init?(_ path: String) throws {
        let chars = Array(path)
        guard let p = chars.firstIndex(of: "%") else { return nil }
        var i = p + 1
        var zero = false
        if i < chars.count && chars[i] == "0" { zero = true; i += 1 }
        var digits = ""
        while i < chars.count, let d = chars[i].wholeNumberValue, chars[i].isASCII { digits.append(String(d)); i += 1 }
        guard i < chars.count, chars[i] == "d" else {
            throw IOError(path, "the slice pattern must be a %d conversion such as %03d")
        }
        let rest = String(chars[(i + 1)...])
        if rest.contains("%") { throw IOError(path, "only one %d slice number is allowed in the file name") }
        prefix = String(chars[..<p])
        width = min(Int(digits) ?? 0, 12)
        zeroPad = zero
        suffix = rest
    }

    func format(_ n: Int) -> String {
        var s = String(n)
        if s.count < width { s = String(repeating: zeroPad ? "0" : " ", count: width - s.count) + s }
        return prefix + s + suffix
    }
}
