import _Platform
import Kernels
import PNGCodec

/// What one PNG file holds, as it will be decoded (always one channel).
public struct PNGInfo: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Bits per decoded sample: 8 or 16.
    public var depth: Int
    /// The pixels are palette indices (labels), not intensities.
    public var isPalette: Bool
    /// The file was colour and was converted to gray by luminance.
    public var convertedRGB: Bool
    /// The file had an alpha channel, which was dropped.
    public var droppedAlpha: Bool

    init(_ c: emsh_png_info) {
        width = Int(c.width)
        height = Int(c.height)
        depth = Int(c.outDepth)
        isPalette = c.isPalette != 0
        convertedRGB = c.convertedRGB != 0
        droppedAlpha = c.droppedAlpha != 0
    }

    public var voxelType: VoxelType { depth == 16 ? .u16 : .u8 }
    public var sliceBytes: Int { width * height * (depth / 8) }
}

/// PNG reading and writing through libpng (low-level API in the PNGCodec C target).
public enum PNG {
    /// Reads the header of `path`.
    public static func info(path: String) throws -> PNGInfo {
        var cinfo = emsh_png_info()
        let reader = try open(path, &cinfo)
        emsh_png_close(reader)
        return PNGInfo(cinfo)
    }

    /// Reads one PNG as a one-slice volume: 8/16-bit gray, gray+alpha (alpha dropped),
    /// RGB/RGBA (converted to gray; `info.convertedRGB` says so), palette PNGs as their indices.
    public static func read(path: String) throws -> (volume: Volume, info: PNGInfo) {
        var cinfo = emsh_png_info()
        let reader = try open(path, &cinfo)
        defer { emsh_png_close(reader) }
        let info = PNGInfo(cinfo)
        try checkMemory(MemoryBudget.bytes([info.width, info.height], elementSize: info.depth / 8),
                        what: "a \(info.width)×\(info.height) PNG", path: path)
        let shape = Shape(z: 1, y: info.height, x: info.width)
        let storage: VoxelStorage = info.depth == 16
            ? .u16(VoxelBuffer(uninitialized: shape.count)) : .u8(VoxelBuffer(uninitialized: shape.count))
        try decode(reader, into: storage.rawPointer, bytes: info.sliceBytes, path: path)
        return (Volume(shape: shape, storage: storage), info)
    }

    /// Decodes `path` into `dest` (`expected.sliceBytes` bytes) after checking that its size
    /// and sample type match `expected`. Used by the stack loader from worker threads.
    static func decode(path: String, into dest: UnsafeMutableRawPointer, expected: PNGInfo) throws -> PNGInfo {
        var cinfo = emsh_png_info()
        let reader = try open(path, &cinfo)
        defer { emsh_png_close(reader) }
        let info = PNGInfo(cinfo)
        if info.width != expected.width || info.height != expected.height {
            throw IOError(path, "slice is \(info.width)×\(info.height), the first slice is \(expected.width)×\(expected.height)")
        }
        if info.depth != expected.depth {
            throw IOError(path, "slice is \(info.depth)-bit, the first slice is \(expected.depth)-bit")
        }
        if info.isPalette != expected.isPalette {
            throw IOError(path, info.isPalette ? "slice is a palette PNG, the first slice is not"
                                               : "slice is not a palette PNG, the first slice is")
        }
        try decode(reader, into: dest, bytes: info.sliceBytes, path: path)
        return info
    }

    private static func open(_ path: String, _ cinfo: inout emsh_png_info) throws -> OpaquePointer {
        var err = [CChar](repeating: 0, count: Int(EMSH_PNG_ERRLEN))
        guard let r = emsh_png_open(path, &cinfo, &err, err.count) else {
            throw IOError(path, "cannot read PNG: \(message(err))")
        }
        return r
    }

    private static func decode(_ reader: OpaquePointer, into dest: UnsafeMutableRawPointer, bytes: Int, path: String) throws {
        var err = [CChar](repeating: 0, count: Int(EMSH_PNG_ERRLEN))
        if emsh_png_decode(reader, dest, bytes, &err, err.count) != 0 {
            throw IOError(path, "corrupt or truncated PNG: \(message(err))")
        }
    }

    // MARK: writing

    /// Writes an 8-bit gray PNG (`pixels`: height rows of width bytes).
    public static func writeGray8(path: String, width: Int, height: Int, pixels: UnsafeBufferPointer<UInt8>) throws {
        try write(path: path, width: width, height: height, depth: 8, colorType: 0, channels: 1,
                  pixels: UnsafeRawBufferPointer(pixels), palette: [])
    }

    public static func writeGray8(path: String, width: Int, height: Int, pixels: [UInt8]) throws {
        try pixels.withUnsafeBufferPointer { try writeGray8(path: path, width: width, height: height, pixels: $0) }
    }

    /// Writes a 16-bit gray PNG.
    public static func writeGray16(path: String, width: Int, height: Int, pixels: UnsafeBufferPointer<UInt16>) throws {
        try write(path: path, width: width, height: height, depth: 16, colorType: 0, channels: 1,
                  pixels: UnsafeRawBufferPointer(pixels), palette: [])
    }

    public static func writeGray16(path: String, width: Int, height: Int, pixels: [UInt16]) throws {
        try pixels.withUnsafeBufferPointer { try writeGray16(path: path, width: width, height: height, pixels: $0) }
    }

    /// Writes an 8-bit RGB PNG (`pixels`: r, g, b per pixel, rows contiguous) — for overlays.
    public static func writeRGB8(path: String, width: Int, height: Int, pixels: [UInt8]) throws {
        try pixels.withUnsafeBytes {
            try write(path: path, width: width, height: height, depth: 8, colorType: 2, channels: 3, pixels: $0, palette: [])
        }
    }

    /// Writes a palette PNG: `indices` one byte per pixel, `palette` as r, g, b triples
    /// (at most 256). `depth` 1, 2, 4 or 8 bits per index.
    public static func writePalette(path: String, width: Int, height: Int, indices: [UInt8],
                                    palette: [UInt8], depth: Int = 8) throws {
        if palette.count % 3 != 0 || palette.isEmpty { throw IOError(path, "palette must hold r, g, b triples") }
        try indices.withUnsafeBytes {
            try write(path: path, width: width, height: height, depth: depth, colorType: 3, channels: 1,
                      pixels: $0, palette: palette)
        }
    }

    /// Writes an 8-bit PNG with `channels` interleaved samples per pixel: 2 gray+alpha, 4 RGBA.
    public static func writeWithAlpha(path: String, width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard channels == 2 || channels == 4 else { throw IOError(path, "alpha PNGs have 2 or 4 channels") }
        try pixels.withUnsafeBytes {
            try write(path: path, width: width, height: height, depth: 8, colorType: channels == 2 ? 4 : 6,
                      channels: channels, pixels: $0, palette: [])
        }
    }

    /// Writes a gray PNG of any libpng depth (1, 2, 4: one sample per byte in `pixels`).
    public static func writeGray(path: String, width: Int, height: Int, depth: Int, pixels: [UInt8]) throws {
        try pixels.withUnsafeBytes {
            try write(path: path, width: width, height: height, depth: depth, colorType: 0, channels: 1, pixels: $0, palette: [])
        }
    }

    private static func write(path: String, width: Int, height: Int, depth: Int, colorType: Int32, channels: Int,
                              pixels: UnsafeRawBufferPointer, palette: [UInt8]) throws {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw IOError(path, "cannot write a \(width)×\(height) PNG")
        }
        let bytesPerSample = depth == 16 ? 2 : 1
        guard let need = MemoryBudget.bytes([width, height, channels], elementSize: bytesPerSample), pixels.count >= need else {
            throw IOError(path, "pixel buffer holds \(pixels.count) bytes, a \(width)×\(height) image needs more")
        }
        try AtomicFile.write(to: path) { tmp in
            try encode(file: tmp, reportAs: path, width: width, height: height, depth: depth, colorType: colorType,
                       pixels: pixels, palette: palette)
        }
    }

    /// Writes a PNG straight to `file` (not atomic: callers write to a temporary name).
    static func encode(file: String, reportAs path: String, width: Int, height: Int, depth: Int, colorType: Int32,
                       pixels: UnsafeRawBufferPointer, palette: [UInt8]) throws {
        var err = [CChar](repeating: 0, count: Int(EMSH_PNG_ERRLEN))
        let rc = palette.withUnsafeBufferPointer { pal in
            emsh_png_write(file, UInt32(width), UInt32(height), Int32(depth), colorType, pixels.baseAddress,
                           pal.baseAddress, Int32(palette.count / 3), -1, &err, err.count)
        }
        if rc != 0 { throw IOError(path, "cannot write PNG: \(message(err))") }
    }
}

func message(_ buf: [CChar]) -> String {
    let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let s = String(decoding: bytes, as: UTF8.self)
    return s.isEmpty ? "unknown error" : s
}
