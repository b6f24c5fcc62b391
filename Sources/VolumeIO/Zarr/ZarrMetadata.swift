import _Platform
import Kernels

/// The compressor of a Zarr array's chunks.
///
/// `blosc` is c-blosc 1.x (numcodecs' Blosc): `cname` is lz4, lz4hc, zstd, zlib or blosclz,
/// `shuffle` 0 none, 1 byte shuffle, 2 bit shuffle (numcodecs' -1 "auto" only occurs in files
/// and decodes like any other).
public enum ZarrCodec: Sendable, Equatable {
    case raw
    case zlib(level: Int)
    case gzip(level: Int)
    case zstd(level: Int)
    case blosc(cname: String, level: Int, shuffle: Int)
}

/// How one stored element is laid out, and the emsh type it is read into.
///
/// Conversions on read (write supports only the four native types, little-endian):
/// - `|u1` → u8; `|b1` (bool) → u8; `|i1` → u8 and `<i2` → u16 when every value is ≥ 0;
/// - `<u2` → u16; `<u4` → u32; `<f4` → f32;
/// - `<i4`, `<u8`, `<i8` (label maps from Python are often int64/uint64) → u32 when every value
///   fits in 0...4294967295, otherwise an error naming the chunk;
/// - `<f8` → f32 (rounded to the nearest float);
/// - big-endian (`>`) variants of all of these are byte-swapped.
struct ZarrDType: Sendable, Equatable {
    enum Base: Sendable { case uint, int, float, bool }
    var base: Base
    var size: Int
    var bigEndian: Bool
    /// As written in the metadata ("<u2", "uint16"), for messages.
    var name: String

    var memoryType: VoxelType {
        switch (base, size) {
        case (.float, _): .f32
        case (_, 1): .u8
        case (_, 2): .u16
        default: .u32
        }
    }

    /// Stored bytes are exactly the in-memory bytes (no conversion on read, writable).
    var isNative: Bool {
        (size == 1 || !bigEndian) && memoryType.byteSize == size && (base == .uint || base == .float)
    }

    /// The v2 spelling of a writable type.
    static func native(_ t: VoxelType) -> ZarrDType {
        switch t {
        case .u8: ZarrDType(base: .uint, size: 1, bigEndian: false, name: "|u1")
        case .u16: ZarrDType(base: .uint, size: 2, bigEndian: false, name: "<u2")
        case .u32: ZarrDType(base: .uint, size: 4, bigEndian: false, name: "<u4")
        case .f32: ZarrDType(base: .float, size: 4, bigEndian: false, name: "<f4")
        }
    }

    /// A v2 dtype string: byte order (`<`, `>`, `|`), kind (u, i, f, b), size in bytes.
    static func parseV2(_ s: String) -> ZarrDType? {
        let c = Array(s.utf8)
        guard c.count >= 3, let size = Int(String(decoding: c[2...], as: UTF8.self)) else { return nil }
        let order = c[0]
        guard order == UInt8(ascii: "<") || order == UInt8(ascii: ">") || order == UInt8(ascii: "|") else { return nil }
        let base: Base
        switch c[1] {
        case UInt8(ascii: "u"): base = .uint
        case UInt8(ascii: "i"): base = .int
        case UInt8(ascii: "f"): base = .float
        case UInt8(ascii: "b"): base = .bool
        default: return nil
        }
        return make(base, size, bigEndian: order == UInt8(ascii: ">"), name: s)
    }

    /// A v3 data_type name; the byte order comes from the "bytes" codec.
    static func parseV3(_ s: String, bigEndian: Bool) -> ZarrDType? {
        let table: [String: (Base, Int)] = [
            "bool": (.bool, 1), "uint8": (.uint, 1), "int8": (.int, 1), "uint16": (.uint, 2), "int16": (.int, 2),
            "uint32": (.uint, 4), "int32": (.int, 4), "uint64": (.uint, 8), "int64": (.int, 8),
            "float32": (.float, 4), "float64": (.float, 8),
        ]
        guard let (b, n) = table[s] else { return nil }
        return make(b, n, bigEndian: bigEndian, name: s)
    }

    private static func make(_ base: Base, _ size: Int, bigEndian: Bool, name: String) -> ZarrDType? {
        switch (base, size) {
        case (.bool, 1), (.uint, 1), (.int, 1), (.uint, 2), (.int, 2), (.uint, 4), (.int, 4), (.uint, 8), (.int, 8),
             (.float, 4), (.float, 8):
            return ZarrDType(base: base, size: size, bigEndian: size > 1 && bigEndian, name: name)
        default:
            return nil
        }
    }
}

/// The parsed metadata of one Zarr array (v2 `.zarray` or v3 `zarr.json`), before the axes are
/// matched to z, y, x.
struct ZarrArrayMeta: Sendable {
    var format: Int
    var shape: [Int]
    var chunks: [Int]
    var dtype: ZarrDType
    var codec: ZarrCodec
    /// The fill value as a number (NaN allowed for floats).
    var fill: Double
    /// Separator of the chunk key's indices.
    var separator: String
    /// v3's default key encoding: "c/0/0/0" rather than "0/0/0".
    var keyPrefixC: Bool
    /// v3 dimension_names, when given.
    var dimensionNames: [String?]?
    /// The array's own attributes (.zattrs of a v2 array, "attributes" of a v3 one).
    var attributes: ZarrJSON?
    /// v3: every chunk ends in a CRC-32C of the bytes before it (checked, then dropped).
    var crc32c = false
    /// v3 sharding: `chunks` are then the inner chunks and `codec` is the inner codec; `shardShape`
    /// is the grid's chunk shape (one file per shard).
    var sharding: ZarrSharding?
    var shardShape: [Int]?

    /// Most voxels an array may have (2^48, about 2.8 × 10^14: a 1 TB cell at u8 is 10^12) and
    /// most bytes a chunk may have (c-blosc's limit; and a chunk is one allocation).
    static let maxVoxels = 1 << 48
    static let maxChunkBytes = Int(Int32.max) - 16
    static let maxDims = 5

    var storedChunkCount: Int { chunks.reduce(1, *) }

    /// Parses a v2 `.zarray`. `file` is named in every error.
    static func parseV2(_ j: ZarrJSON, file: String) throws -> ZarrArrayMeta {
        guard case .object = j else { throw IOError(file, "is \(j.kindName), expected a JSON object") }
        if let f = j["zarr_format"], f.int != 2 { throw IOError(file, "zarr_format is \(f.text()), expected 2") }
        guard let dtext = j["dtype"] else { throw IOError(file, "has no \"dtype\"") }
        guard let ds = dtext.string else {
            throw IOError(file, "dtype \(dtext.text()) is not supported (structured dtypes cannot be read as a volume)")
        }
        guard let dtype = ZarrDType.parseV2(ds) else {
            throw IOError(file, "dtype \"\(ds)\" is not supported (expected u1, u2, u4, u8, i1, i2, i4, i8, f4, f8 or b1, e.g. \"<u2\")")
        }
        let (shape, chunks) = try shapeAndChunks(j["shape"], j["chunks"], file: file, dtype: dtype)
        if let order = j["order"], order.string != "C" {
            throw IOError(file, "order \(order.text()) is not supported (only \"C\", row-major chunks)")
        }
        if let filters = j["filters"], !filters.isNull {
            guard let list = filters.array else { throw IOError(file, "filters must be null or a list, got \(filters.kindName)") }
            if let first = list.first {
                let id = first["id"]?.string ?? first.text()
                throw IOError(file, "filter \"\(id)\" is not supported (emsh reads arrays without filters)")
            }
        }
        let codec = try parseV2Compressor(j["compressor"] ?? .null, file: file)
        var sep = "."
        if let s = j["dimension_separator"], !s.isNull {
            guard let t = s.string, t == "." || t == "/" else { throw IOError(file, "dimension_separator \(s.text()) must be \".\" or \"/\"") }
            sep = t
        }
        let fill = try parseFill(j["fill_value"] ?? .null, dtype: dtype, file: file)
        return ZarrArrayMeta(format: 2, shape: shape, chunks: chunks, dtype: dtype, codec: codec, fill: fill,
                             separator: sep, keyPrefixC: false, dimensionNames: nil, attributes: nil)
    }

    static func parseV2Compressor(_ c: ZarrJSON, file: String) throws -> ZarrCodec {
        if c.isNull { return .raw }
        guard case .object = c, let id = c["id"]?.string else { throw IOError(file, "compressor \(c.text()) has no \"id\"") }
        func int(_ key: String, _ def: Int) throws -> Int {
            guard let v = c[key] else { return def }
            guard let i = v.int else { throw IOError(file, "compressor \(id): \(key) \(v.text()) is not an integer") }
            return i
        }
        switch id {
        case "zlib": return .zlib(level: try int("level", 1))
        case "gzip": return .gzip(level: try int("level", 1))
        case "zstd": return .zstd(level: try int("level", 1))
        case "blosc":
            let cname = c["cname"]?.string ?? "lz4"
            try checkBloscName(cname, file: file)
            return .blosc(cname: cname, level: try int("clevel", 5), shuffle: try int("shuffle", 1))
        default:
            throw IOError(file, "compressor \"\(id)\" is not supported (supported: zlib, gzip, zstd, blosc, or null)")
        }
    }

    static func checkBloscName(_ cname: String, file: String) throws {
        if !["lz4", "lz4hc", "zstd", "zlib", "blosclz", "snappy"].contains(cname) {
            throw IOError(file, "blosc compressor \"\(cname)\" is not supported (lz4, lz4hc, zstd, zlib, blosclz)")
        }
    }

    /// Parses a v3 array `zarr.json` (node_type "array").
    static func parseV3(_ j: ZarrJSON, file: String) throws -> ZarrArrayMeta {
        guard case .object = j else { throw IOError(file, "is \(j.kindName), expected a JSON object") }
        if j["zarr_format"]?.int != 3 { throw IOError(file, "zarr_format is \(j["zarr_format"]?.text() ?? "missing"), expected 3") }
        if j["node_type"]?.string != "array" { throw IOError(file, "node_type is \(j["node_type"]?.text() ?? "missing"), expected \"array\"") }
        // Codecs first: the byte order of the data type is the "bytes" codec's.
        guard let codecs = j["codecs"]?.array, !codecs.isEmpty else { throw IOError(file, "has no \"codecs\" list") }
        let chain = try parseV3Chain(codecs, file: file, inShard: false)
        let bigEndian = chain.sharding?.innerBigEndian ?? chain.bigEndian
        guard let dts = j["data_type"]?.string else { throw IOError(file, "data_type \(j["data_type"]?.text() ?? "missing") is not a string") }
        guard let dtype = ZarrDType.parseV3(dts, bigEndian: bigEndian) else {
            throw IOError(file, "data_type \"\(dts)\" is not supported (expected uint8/16/32/64, int8/16/32/64, float32/64 or bool)")
        }
        guard let grid = j["chunk_grid"], grid["name"]?.string == "regular" else {
            throw IOError(file, "chunk_grid \(j["chunk_grid"]?.text() ?? "missing") is not supported (only \"regular\")")
        }
        let gridChunks = grid["configuration"]?["chunk_shape"]
        var shardShape: [Int]?
        let shape: [Int], chunks: [Int]
        if let sh = chain.sharding {
            // emsh's chunks are the inner chunks (the unit of decoding); the grid's are the shards (files).
            (shape, chunks) = try shapeAndChunks(j["shape"], .array(sh.innerChunks.map { .int($0) }), file: file, dtype: dtype)
            guard let list = gridChunks?.array, list.count == chunks.count else {
                throw IOError(file, "chunk_grid chunk_shape \(gridChunks?.text() ?? "missing") does not match sharding chunk_shape \(sh.innerChunks)")
            }
            let outer = try list.map { v -> Int in
                guard let i = v.int, i > 0 else { throw IOError(file, "chunk_grid chunk_shape holds \(v.text()); every size must be at least 1") }
                return i
            }
            // Inner chunks tile the shard exactly (the spec requires it); the index has one entry per inner chunk.
            var perShard = 1
            for (o, i) in zip(outer, chunks) {
                if o % i != 0 { throw IOError(file, "sharding chunk_shape \(chunks) does not divide the shard shape \(outer)") }
                let (r, ov) = perShard.multipliedReportingOverflow(by: o / i)
                if ov || r > 1 << 32 { throw IOError(file, "shards of \(outer) hold more than 2^32 chunks of \(chunks)") }
                perShard = r
            }
            shardShape = outer
        } else {
            (shape, chunks) = try shapeAndChunks(j["shape"], gridChunks, file: file, dtype: dtype)
        }
        var sep = "/"
        var prefixC = true
        if let enc = j["chunk_key_encoding"] {
            switch enc["name"]?.string {
            case "default": prefixC = true; sep = "/"
            case "v2": prefixC = false; sep = "."
            default: throw IOError(file, "chunk_key_encoding \(enc.text()) is not supported (default or v2)")
            }
            if let s = enc["configuration"]?["separator"] {
                guard let t = s.string, t == "." || t == "/" else { throw IOError(file, "chunk key separator \(s.text()) must be \".\" or \"/\"") }
                sep = t
            }
        }
        let fill = try parseFill(j["fill_value"] ?? .null, dtype: dtype, file: file)
        var names: [String?]?
        if let dn = j["dimension_names"]?.array {
            if dn.count != shape.count { throw IOError(file, "dimension_names has \(dn.count) names for \(shape.count) dimensions") }
            names = dn.map { $0.string }
        }
        return ZarrArrayMeta(format: 3, shape: shape, chunks: chunks, dtype: dtype, codec: chain.sharding?.innerCodec ?? chain.codec,
                             fill: fill, separator: sep, keyPrefixC: prefixC, dimensionNames: names, attributes: j["attributes"],
                             crc32c: chain.crc32c, sharding: chain.sharding, shardShape: shardShape)
    }

    /// A v3 codec list, reduced to what emsh reads: byte order, one compressor, an optional
    /// trailing crc32c, or sharding (which holds its own inner list).
    struct V3Chain: Sendable {
        var bigEndian = false
        var codec = ZarrCodec.raw
        var crc32c = false
        var sharding: ZarrSharding?
    }

    static func parseV3Chain(_ codecs: [ZarrJSON], file: String, inShard: Bool) throws -> V3Chain {
        var chain = V3Chain()
        var sawBytes = false
        var sawCompressor = false
        for c in codecs {
            guard let name = c["name"]?.string else { throw IOError(file, "codec \(c.text()) has no \"name\"") }
            let conf = c["configuration"] ?? .object([])
            func int(_ key: String, _ def: Int) throws -> Int {
                guard let v = conf[key] else { return def }
                guard let i = v.int else { throw IOError(file, "codec \(name): \(key) \(v.text()) is not an integer") }
                return i
            }
            if chain.crc32c { throw IOError(file, "codec \(name) after crc32c is not supported") }
            switch name {
            case "transpose":
                let order = conf["order"]?.array?.compactMap { $0.int } ?? []
                if sawBytes || order != Array(0..<order.count) {
                    throw IOError(file, "codec transpose with order \(conf["order"]?.text() ?? "?") is not supported (only C order)")
                }
            case "bytes":
                if sawBytes { throw IOError(file, "two array-to-bytes codecs") }
                sawBytes = true
                if let e = conf["endian"] {
                    guard let s = e.string, s == "little" || s == "big" else { throw IOError(file, "codec bytes: endian \(e.text()) must be \"little\" or \"big\"") }
                    chain.bigEndian = s == "big"
                }
            case "sharding_indexed":
                if sawBytes { throw IOError(file, "two array-to-bytes codecs") }
                if inShard { throw IOError(file, "nested sharding is not supported") }
                sawBytes = true
                chain.sharding = try ZarrSharding.parse(conf, file: file)
            case "crc32c":
                if !sawBytes { throw IOError(file, "codec crc32c comes before the \"bytes\" codec") }
                chain.crc32c = true
            case "zstd", "gzip", "blosc":
                if !sawBytes { throw IOError(file, "codec \(name) comes before the \"bytes\" codec") }
                if chain.sharding != nil { throw IOError(file, "compressing whole shards (codec \(name) after sharding_indexed) is not supported") }
                if sawCompressor { throw IOError(file, "more than one compression codec is not supported") }
                sawCompressor = true
                switch name {
                case "zstd": chain.codec = .zstd(level: try int("level", 0))
                case "gzip": chain.codec = .gzip(level: try int("level", 1))
                default:
                    let cname = conf["cname"]?.string ?? "lz4"
                    try checkBloscName(cname, file: file)
                    var shuffle = 1
                    if let s = conf["shuffle"] {
                        switch s.string {
                        case "noshuffle": shuffle = 0
                        case "shuffle": shuffle = 1
                        case "bitshuffle": shuffle = 2
                        default: throw IOError(file, "codec blosc: shuffle \(s.text()) is not noshuffle, shuffle or bitshuffle")
                        }
                    }
                    chain.codec = .blosc(cname: cname, level: try int("clevel", 5), shuffle: shuffle)
                }
            default:
                throw IOError(file, "codec \"\(name)\" is not supported (supported: bytes, zstd, gzip, blosc, crc32c, sharding_indexed, transpose in C order)")
            }
        }
        if !sawBytes { throw IOError(file, "has no \"bytes\" codec") }
        if chain.sharding != nil && chain.crc32c { throw IOError(file, "a crc32c over whole shards is not supported") }
        return chain
    }

    /// Checks shape and chunks: lists of positive integers of one length (1 to 5), the array at
    /// most `maxVoxels`, one chunk at most `maxChunkBytes`.
    static func shapeAndChunks(_ s: ZarrJSON?, _ c: ZarrJSON?, file: String, dtype: ZarrDType) throws -> ([Int], [Int]) {
        func ints(_ v: ZarrJSON?, _ what: String) throws -> [Int] {
            guard let v else { throw IOError(file, "has no \"\(what)\"") }
            guard let list = v.array else { throw IOError(file, "\(what) \(v.text()) is not a list") }
            if list.isEmpty || list.count > maxDims {
                throw IOError(file, "\(what) has \(list.count) dimensions (emsh reads 2-D and 3-D arrays, with up to 2 more axes of size 1)")
            }
            return try list.map { e in
                guard let i = e.int else { throw IOError(file, "\(what) \(v.text()) holds \(e.text()), not an integer") }
                if i <= 0 { throw IOError(file, "\(what) \(v.text()) holds \(i); every size must be at least 1") }
                return i
            }
        }
        let shape = try ints(s, "shape")
        let chunks = try ints(c, "chunks")
        if shape.count != chunks.count { throw IOError(file, "shape \(shape) and chunks \(chunks) have different lengths") }
        var voxels = 1
        for n in shape {
            let (r, o) = voxels.multipliedReportingOverflow(by: n)
            if o || r > maxVoxels { throw IOError(file, "shape \(shape) has more than 2^48 voxels") }
            voxels = r
        }
        var chunkBytes = dtype.size
        for n in chunks {
            let (r, o) = chunkBytes.multipliedReportingOverflow(by: n)
            if o || r > maxChunkBytes { throw IOError(file, "chunks \(chunks) of \(dtype.name) are more than 2 GiB per chunk") }
            chunkBytes = r
        }
        return (shape, chunks)
    }

    static func parseFill(_ v: ZarrJSON, dtype: ZarrDType, file: String) throws -> Double {
        switch v {
        case .null: return 0
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s):
            switch s {
            case "NaN": return .nan
            case "Infinity": return .infinity
            case "-Infinity": return -.infinity
            default:
                // v3 writes float fill values that are not numbers as a hex bit pattern.
                if s.hasPrefix("0x"), dtype.base == .float, let bits = UInt64(s.dropFirst(2), radix: 16) {
                    return dtype.size == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
                }
                throw IOError(file, "fill_value \"\(s)\" is not a number")
            }
        default:
            throw IOError(file, "fill_value \(v.text()) is not a number")
        }
    }
}

/// The configuration of a v3 `sharding_indexed` codec: a shard file holds its inner chunks, each
/// encoded by the inner codecs, and an index of (offset, length) pairs, 2^64−1 twice for a chunk
/// that is not stored (the fill value).
struct ZarrSharding: Sendable {
    var innerChunks: [Int]
    // The inner codec list, flattened (a chain holding a sharding holding a chain would be a recursive value).
    var innerBigEndian: Bool
    var innerCodec: ZarrCodec
    var innerCRC32C: Bool
    var indexCRC: Bool
    var indexAtEnd: Bool

    static func parse(_ conf: ZarrJSON, file: String) throws -> ZarrSharding {
        guard let cs = conf["chunk_shape"]?.array else { throw IOError(file, "sharding_indexed has no chunk_shape") }
        let inner = try cs.map { v -> Int in
            guard let i = v.int, i > 0 else { throw IOError(file, "sharding chunk_shape holds \(v.text()); every size must be at least 1") }
            return i
        }
        guard let codecs = conf["codecs"]?.array else { throw IOError(file, "sharding_indexed has no codecs") }
        let chain = try ZarrArrayMeta.parseV3Chain(codecs, file: file, inShard: true)
        var indexCRC = false
        if let ic = conf["index_codecs"]?.array {
            let idx = try ZarrArrayMeta.parseV3Chain(ic, file: file, inShard: true)
            if idx.bigEndian || idx.codec != .raw || idx.sharding != nil {
                throw IOError(file, "sharding index_codecs \(conf["index_codecs"]?.text() ?? "") are not supported (bytes little-endian, optionally crc32c)")
            }
            indexCRC = idx.crc32c
        }
        var atEnd = true
        if let loc = conf["index_location"] {
            guard let s = loc.string, s == "start" || s == "end" else { throw IOError(file, "sharding index_location \(loc.text()) must be \"start\" or \"end\"") }
            atEnd = s == "end"
        }
        return ZarrSharding(innerChunks: inner, innerBigEndian: chain.bigEndian, innerCodec: chain.codec, innerCRC32C: chain.crc32c,
                            indexCRC: indexCRC, indexAtEnd: atEnd)
    }
}

/// One axis of an OME-NGFF multiscales entry.
struct ZarrAxis: Sendable {
    var name: String
    var type: String?
    var unit: String?
}

/// The first entry of an OME-NGFF "multiscales" list (v0.4 in .zattrs, v0.5 under "ome").
struct ZarrMultiscales: Sendable {
    struct Dataset: Sendable {
        var path: String
        var scale: [Double]?
    }
    var name: String?
    var version: String?
    var axes: [ZarrAxis]?
    var datasets: [Dataset]
    /// A scale for every dataset (multiscales-level coordinateTransformations).
    var globalScale: [Double]?

    /// The multiscales inside group attributes, or nil when there is none.
    static func find(in attributes: ZarrJSON?, file: String) throws -> ZarrMultiscales? {
        guard let attributes else { return nil }
        let ms = attributes["ome"]?["multiscales"] ?? attributes["multiscales"]
        guard let ms else { return nil }
        guard let list = ms.array else { throw IOError(file, "multiscales is \(ms.kindName), expected a list") }
        guard let first = list.first else { throw IOError(file, "multiscales is an empty list") }
        return try parse(first, file: file, version: attributes["ome"]?["version"]?.string)
    }

    static func parse(_ m: ZarrJSON, file: String, version: String?) throws -> ZarrMultiscales {
        guard case .object = m else { throw IOError(file, "multiscales[0] is \(m.kindName), expected an object") }
        var axes: [ZarrAxis]?
        if let a = m["axes"] {
            guard let list = a.array else { throw IOError(file, "multiscales axes is \(a.kindName), expected a list") }
            axes = try list.map { e in
                // v0.3 gave axes as plain names.
                if let n = e.string { return ZarrAxis(name: n, type: ["x", "y", "z"].contains(n) ? "space" : nil, unit: nil) }
                guard let n = e["name"]?.string else { throw IOError(file, "axis \(e.text()) has no name") }
                if let u = e["unit"], !u.isNull, u.string == nil { throw IOError(file, "axis \(n): unit \(u.text()) is not a string") }
                return ZarrAxis(name: n, type: e["type"]?.string, unit: e["unit"]?.string)
            }
        }
        guard let ds = m["datasets"]?.array, !ds.isEmpty else { throw IOError(file, "multiscales has no datasets") }
        let datasets = try ds.map { d -> Dataset in
            guard let p = d["path"]?.string else { throw IOError(file, "dataset \(d.text()) has no path") }
            // A dataset path is a folder inside the store: refuse anything that leaves it.
            if p.isEmpty || p.hasPrefix("/") || p.split(separator: "/").contains("..") {
                throw IOError(file, "dataset path \"\(p)\" must be a relative folder inside the store")
            }
            return Dataset(path: p, scale: try scale(of: d["coordinateTransformations"], file: file))
        }
        return ZarrMultiscales(name: m["name"]?.string, version: m["version"]?.string ?? version, axes: axes,
                               datasets: datasets, globalScale: try scale(of: m["coordinateTransformations"], file: file))
    }

    /// The "scale" entry of a coordinateTransformations list (translations are ignored).
    static func scale(of t: ZarrJSON?, file: String) throws -> [Double]? {
        guard let t, !t.isNull else { return nil }
        guard let list = t.array else { throw IOError(file, "coordinateTransformations is \(t.kindName), expected a list") }
        for e in list where e["type"]?.string == "scale" {
            guard let s = e["scale"]?.array else {
                if e["path"] != nil { throw IOError(file, "scale transforms stored in a file (\"path\") are not supported") }
                throw IOError(file, "scale transform \(e.text()) has no scale list")
            }
            return try s.map { v in
                guard let d = v.double, d.isFinite, d > 0 else { throw IOError(file, "scale \(e["scale"]?.text() ?? "") holds \(v.text()); every scale must be a positive number") }
                return d
            }
        }
        return nil
    }
}

/// Nanometres per unit for the OME-NGFF (UDUNITS) length units; nil for unknown ones.
func nanometresPerUnit(_ unit: String) -> Double? {
    switch unit {
    case "nanometer", "nanometre", "nm": 1
    case "micrometer", "micrometre", "micron", "um", "µm", "μm": 1_000
    case "millimeter", "millimetre", "mm": 1_000_000
    case "centimeter", "centimetre", "cm": 10_000_000
    case "decimeter": 100_000_000
    case "meter", "metre", "m": 1_000_000_000
    case "angstrom", "Å": 0.1
    case "picometer", "pm": 0.001
    case "femtometer": 0.000_001
    case "kilometer": 1e12
    default: nil
    }
}
