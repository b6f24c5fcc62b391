#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
@preconcurrency import CTIFF
import Kernels

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

/// Multipage TIFF reading and writing through libtiff: reading in TIFF+Read, writing in TIFF+Write,
/// ImageJ's metadata in TIFF+ImageJ, the fast deflate paths in TIFF+Deflate.
public enum TIFF {}

extension VoxelStorage {
    var u8Buffer: VoxelBuffer<UInt8>? { if case .u8(let b) = self { b } else { nil } }
}
