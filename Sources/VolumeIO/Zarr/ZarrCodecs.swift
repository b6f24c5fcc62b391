import _Platform
@preconcurrency import CBlosc
@preconcurrency import CTIFF
@preconcurrency import CZstd

/// Chunk compression and decompression. Every function is thread-safe (no shared state: each
/// call makes its own libdeflate/zstd context, blosc runs through its *_ctx API with one internal
/// thread), so callers may (de)compress chunks in parallel.
enum ZarrCodecs {
    /// Decompresses `src` into exactly `count` bytes at `dst`. Anything else — fewer or more
    /// bytes, corrupt data — is an error naming `file` (the chunk).
    static func decode(_ codec: ZarrCodec, _ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer, count: Int,
                       file: String) throws {
        func wrongSize(_ got: String) -> IOError {
            IOError(file, "truncated or corrupt chunk: expected \(count) bytes, got \(got)")
        }
        guard let base = src.baseAddress, src.count > 0 else { throw wrongSize("0 (an empty file)") }
        switch codec {
        case .raw:
            if src.count != count { throw wrongSize("\(src.count)") }
            dst.copyMemory(from: base, byteCount: count)
        case .zlib, .gzip:
            guard let d = libdeflate_alloc_decompressor() else { throw IOError(file, "out of memory for the inflater") }
            defer { libdeflate_free_decompressor(d) }
            var produced = 0
            let r: libdeflate_result
            if case .zlib = codec {
                r = libdeflate_zlib_decompress(d, base, src.count, dst, count, &produced)
            } else {
                r = libdeflate_gzip_decompress(d, base, src.count, dst, count, &produced)
            }
            let name = if case .zlib = codec { "zlib" } else { "gzip" }
            switch r {
            case LIBDEFLATE_SUCCESS: if produced != count { throw wrongSize("\(produced)") }
            case LIBDEFLATE_INSUFFICIENT_SPACE: throw wrongSize("more")
            default: throw IOError(file, "truncated or corrupt chunk: not valid \(name) data")
            }
        case .zstd:
            let size = ZSTD_getFrameContentSize(base, src.count)
            if size == emsh_zstd_contentsize_error() { throw IOError(file, "truncated or corrupt chunk: not a zstd frame") }
            if size != emsh_zstd_contentsize_unknown() && size != UInt64(count) { throw wrongSize("\(size) (the frame's size)") }
            let r = ZSTD_decompress(dst, count, base, src.count)
            if ZSTD_isError(r) != 0 {
                let why = String(cString: ZSTD_getErrorName(r))
                throw IOError(file, "truncated or corrupt chunk: zstd: \(why) (expected \(count) bytes)")
            }
            if r != count { throw wrongSize("\(r)") }
        case .blosc:
            // The header says how large the data and the compressed buffer are: check both before
            // blosc reads past the file or writes past `dst`.
            if src.count < Int(emsh_blosc_min_header_length()) { throw wrongSize("a \(src.count)-byte file (shorter than a blosc header)") }
            var nbytes = 0
            if blosc_cbuffer_validate(base, src.count, &nbytes) < 0 {
                throw IOError(file, "truncated or corrupt chunk: blosc header does not match the \(src.count)-byte file")
            }
            if nbytes != count { throw wrongSize("\(nbytes) (the blosc header's size)") }
            var nb = 0, cb = 0, bs = 0
            blosc_cbuffer_sizes(base, &nb, &cb, &bs)
            if cb > src.count { throw wrongSize("a blosc buffer of \(cb) bytes in a \(src.count)-byte file") }
            let r = blosc_decompress_ctx(base, dst, count, 1)
            if r < 0 { throw IOError(file, "truncated or corrupt chunk: blosc error \(r)") }
            if Int(r) != count { throw wrongSize("\(r)") }
        }
    }

    /// Compresses `count` bytes of `src` (elements of `typeSize` bytes, for blosc's shuffle).
    static func encode(_ codec: ZarrCodec, _ src: UnsafeRawPointer, count: Int, typeSize: Int, file: String) throws -> [UInt8] {
        // Every compressor's worst case is the input plus a little (a bound of the same order).
        try checkMemory(count + count / 16 + 1024, what: "compressing a \(count)-byte chunk", path: file)
        switch codec {
        case .raw:
            return Array(UnsafeRawBufferPointer(start: src, count: count))
        case .zlib(let level), .gzip(let level):
            guard let c = libdeflate_alloc_compressor(Int32(min(max(level, 0), 12))) else {
                throw IOError(file, "cannot make a deflate compressor at level \(level)")
            }
            defer { libdeflate_free_compressor(c) }
            let isZlib = if case .zlib = codec { true } else { false }
            let cap = isZlib ? libdeflate_zlib_compress_bound(c, count) : libdeflate_gzip_compress_bound(c, count)
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBytes { o in
                isZlib ? libdeflate_zlib_compress(c, src, count, o.baseAddress, cap)
                       : libdeflate_gzip_compress(c, src, count, o.baseAddress, cap)
            }
            if n == 0 { throw IOError(file, "deflate compression failed") }
            out.removeLast(cap - n)
            return out
        case .zstd(let level):
            let cap = ZSTD_compressBound(count)
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBytes { o in ZSTD_compress(o.baseAddress, cap, src, count, Int32(clamping: level)) }
            if ZSTD_isError(n) != 0 { throw IOError(file, "zstd compression failed: \(String(cString: ZSTD_getErrorName(n)))") }
            out.removeLast(cap - n)
            return out
        case .blosc(let cname, let level, let shuffle):
            let cap = count + Int(emsh_blosc_max_overhead())
            var out = [UInt8](repeating: 0, count: cap)
            let n = out.withUnsafeMutableBytes { o in
                blosc_compress_ctx(Int32(min(max(level, 0), 9)), Int32(min(max(shuffle, 0), 2)), typeSize, count, src,
                                   o.baseAddress, cap, cname, 0, 1)
            }
            if n <= 0 { throw IOError(file, "blosc compression (\(cname)) failed with code \(n)") }
            out.removeLast(cap - Int(n))
            return out
        }
    }

    /// The v2 `.zarray` "compressor" entry.
    static func v2JSON(_ codec: ZarrCodec) -> ZarrJSON {
        switch codec {
        case .raw: return .null
        case .zlib(let l): return .object([("id", .string("zlib")), ("level", .int(l))])
        case .gzip(let l): return .object([("id", .string("gzip")), ("level", .int(l))])
        case .zstd(let l): return .object([("id", .string("zstd")), ("level", .int(l))])
        case .blosc(let cname, let l, let s):
            return .object([("id", .string("blosc")), ("cname", .string(cname)), ("clevel", .int(l)),
                            ("shuffle", .int(s)), ("blocksize", .int(0))])
        }
    }

    /// Refuses codec settings the libraries would reject, before a store is created.
    static func validate(_ codec: ZarrCodec, path: String) throws {
        switch codec {
        case .raw: break
        case .zlib(let l), .gzip(let l):
            if l < 0 || l > 9 { throw IOError(path, "zlib/gzip level \(l) must be 0 to 9") }
        case .zstd(let l):
            if l < -7 || l > 22 { throw IOError(path, "zstd level \(l) must be -7 to 22") }
        case .blosc(let cname, let l, let s):
            try ZarrArrayMeta.checkBloscName(cname, file: path)
            if cname == "snappy" { throw IOError(path, "blosc compressor snappy is not built into Debian's c-blosc") }
            if l < 0 || l > 9 { throw IOError(path, "blosc clevel \(l) must be 0 to 9") }
            if s < 0 || s > 2 { throw IOError(path, "blosc shuffle \(s) must be 0 (none), 1 (byte) or 2 (bit)") }
        }
    }
}
