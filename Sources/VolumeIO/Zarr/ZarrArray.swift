import _Platform
import Kernels
import Synchronization

/// One level of an OME-Zarr image (or a bare Zarr array), read and written chunk by chunk.
///
/// Opening reads only metadata; `read` decodes the chunks a box touches, so arrays far larger
/// than memory are fine as long as each box read fits the memory ceiling (checked, like every
/// chunk, before allocating). All methods are thread-safe: chunks may be written from several
/// threads at once (each to its own chunk).
public struct ZarrArray: Sendable {
    /// The store (group) path as given.
    public let path: String
    /// Folder of the array (e.g. "x.zarr/0").
    public let arrayPath: String
    /// z, y, x (a 2-D array has z = 1).
    public let shape: Shape
    public let chunks: Shape
    /// The in-memory type (see ZarrDType for the conversions on read).
    public let type: VoxelType
    /// Nanometres, from the NGFF scale transform of this level (1 nm per voxel when there is none).
    public let spacing: Spacing
    /// From .zattrs "emsh": {"kind": ...} when present (mask only for u8, labels only for u32), else
    /// .image (u32 → .labels).
    public let kind: VolumeKind
    public let level: Int
    public let levelCount: Int
    /// How the chunks are compressed.
    public let codec: ZarrCodec
    /// The dtype as the metadata spells it ("<u2", "int64").
    public var storedType: String { meta.dtype.name }
    /// Non-fatal remarks made while opening (an unknown unit read as nanometres).
    public let notes: [String]
    /// The array's metadata file (.zarray or zarr.json), named in errors about it.
    public let metadataFile: String
    /// A v3 sharded array: `chunks` are then the inner chunks (each decoded on its own) and
    /// `chunkPath` names the shard file that holds them. emsh reads shards but does not write them.
    public var isSharded: Bool { meta.sharding != nil }

    let meta: ZarrArrayMeta
    /// For each stored dimension: 0 z, 1 y, 2 x, or -1 for a dropped axis of size 1.
    let axisMap: [Int]
    let fillBits: UInt32

    /// Number of chunks per axis.
    public var chunkGrid: Shape {
        Shape(z: (shape.z + chunks.z - 1) / chunks.z, y: (shape.y + chunks.y - 1) / chunks.y, x: (shape.x + chunks.x - 1) / chunks.x)
    }

    // MARK: Opening

    /// Whether `path` is a folder that looks like a Zarr store or array (.zgroup, .zattrs, .zarray
    /// or zarr.json in it): for `load` to tell a store from a file pattern.
    public static func isStore(_ path: String) -> Bool {
        pathKind(path) == .folder && ZarrFiles.isZarrFolder(path)
    }

    /// Opens an OME-Zarr group (multiscales, picks dataset `level`) or a bare Zarr array folder.
    /// v2 (.zgroup/.zattrs/.zarray) and v3 (zarr.json).
    public static func open(_ path: String, level: Int = 0) throws -> ZarrArray {
        switch pathKind(path) {
        case .missing: throw IOError(path, "does not exist")
        case .file, .other: throw IOError(path, "is a file, not a Zarr store (a folder with .zgroup/.zarray or zarr.json)")
        case .folder: break
        }
        let v3 = joinPath(path, "zarr.json")
        if pathKind(v3) == .file {
            let j = try ZarrFiles.readJSON(v3)
            switch j["node_type"]?.string {
            case "array":
                let meta = try ZarrArrayMeta.parseV3(j, file: v3)
                return try make(path: path, arrayPath: path, metaFile: v3, meta: meta, attributes: meta.attributes,
                                attributesFile: v3, multiscales: nil, level: level)
            case "group":
                guard let ms = try ZarrMultiscales.find(in: j["attributes"], file: v3) else {
                    throw IOError(v3, "is a Zarr group without OME multiscales metadata (no image to open)")
                }
                return try openLevel(path: path, multiscales: ms, attributes: j["attributes"], attributesFile: v3, level: level)
            default:
                throw IOError(v3, "node_type \(j["node_type"]?.text() ?? "missing") must be \"array\" or \"group\"")
            }
        }
        let zarray = joinPath(path, ".zarray")
        let zattrs = joinPath(path, ".zattrs")
        let attrs = pathKind(zattrs) == .file ? try ZarrFiles.readJSON(zattrs) : nil
        if pathKind(zarray) == .file {
            let meta = try ZarrArrayMeta.parseV2(try ZarrFiles.readJSON(zarray), file: zarray)
            return try make(path: path, arrayPath: path, metaFile: zarray, meta: meta, attributes: attrs,
                            attributesFile: zattrs, multiscales: nil, level: level)
        }
        guard let attrs else {
            if pathKind(joinPath(path, ".zgroup")) == .file {
                throw IOError(zattrs, "does not exist: a Zarr group without OME multiscales metadata (no image to open)")
            }
            throw IOError(path, "is not a Zarr store (no .zgroup, .zattrs, .zarray or zarr.json in it)")
        }
        guard let ms = try ZarrMultiscales.find(in: attrs, file: zattrs) else {
            throw IOError(zattrs, "has no OME \"multiscales\" metadata (no image to open)")
        }
        return try openLevel(path: path, multiscales: ms, attributes: attrs, attributesFile: zattrs, level: level)
    }

    private static func openLevel(path: String, multiscales ms: ZarrMultiscales, attributes: ZarrJSON?, attributesFile: String,
                                  level: Int) throws -> ZarrArray {
        if level < 0 || level >= ms.datasets.count {
            throw IOError(path, "has \(ms.datasets.count) level\(ms.datasets.count == 1 ? "" : "s") (0 to \(ms.datasets.count - 1)); there is no level \(level)")
        }
        let arrayPath = joinPath(path, ms.datasets[level].path)
        if pathKind(arrayPath) != .folder { throw IOError(arrayPath, "does not exist (level \(level) of \(attributesFile))") }
        let v3 = joinPath(arrayPath, "zarr.json")
        let v2 = joinPath(arrayPath, ".zarray")
        let meta: ZarrArrayMeta
        let metaFile: String
        if pathKind(v3) == .file {
            meta = try ZarrArrayMeta.parseV3(try ZarrFiles.readJSON(v3), file: v3)
            metaFile = v3
        } else if pathKind(v2) == .file {
            meta = try ZarrArrayMeta.parseV2(try ZarrFiles.readJSON(v2), file: v2)
            metaFile = v2
        } else {
            throw IOError(v2, "does not exist (level \(level) of \(attributesFile) has no array metadata)")
        }
        return try make(path: path, arrayPath: arrayPath, metaFile: metaFile, meta: meta, attributes: attributes,
                        attributesFile: attributesFile, multiscales: ms, level: level)
    }

    private static func make(path: String, arrayPath: String, metaFile: String, meta: ZarrArrayMeta, attributes: ZarrJSON?,
                             attributesFile: String, multiscales: ZarrMultiscales?, level: Int) throws -> ZarrArray {
        // A bare array may carry its own multiscales (rare) — then its scale applies.
        let ms = try multiscales ?? ZarrMultiscales.find(in: attributes, file: attributesFile)
        if multiscales == nil && level != 0 { throw IOError(path, "is a single Zarr array; there is no level \(level)") }
        let axes = ms?.axes
        let axisMap = try mapAxes(meta: meta, axes: axes, names: meta.dimensionNames,
                                  file: axes != nil ? attributesFile : metaFile)
        func spatial(_ values: [Int], default d: Int) -> Shape {
            var s = [d, d, d]
            for (k, a) in axisMap.enumerated() where a >= 0 { s[a] = values[k] }
            return Shape(z: s[0], y: s[1], x: s[2])
        }
        let shape = spatial(meta.shape, default: 1)
        let chunks = spatial(meta.chunks, default: 1)

        // Spacing: the level's scale times the multiscales-wide one, in each axis's unit.
        var notes: [String] = []
        var nm = [1.0, 1.0, 1.0]
        if let ms {
            let ds = multiscales == nil ? nil : ms.datasets[level]
            for (what, s) in [("dataset \(ds?.path ?? "") scale", ds?.scale), ("multiscales scale", ms.globalScale)] {
                guard let s else { continue }
                if s.count != axisMap.count {
                    throw IOError(attributesFile, "\(what) has \(s.count) values for \(axisMap.count) axes")
                }
                for (k, a) in axisMap.enumerated() where a >= 0 { nm[a] *= s[k] }
            }
            if let axes {
                for (k, a) in axisMap.enumerated() where a >= 0 {
                    guard let unit = axes[k].unit else { continue }
                    if let f = nanometresPerUnit(unit) {
                        nm[a] *= f
                    } else {
                        notes.append("\(attributesFile): unknown unit '\(unit)' on axis \(axes[k].name); read as nanometres")
                    }
                }
            }
        }
        // As for TIFF: labels are u32 and masks u8 (commands rely on it); other integer images still
        // serve as labels where a command asks for them.
        let type = meta.dtype.memoryType
        var kind: VolumeKind = type == .u32 ? .labels : .image
        if let k = attributes?["emsh"]?["kind"]?.string, let vk = VolumeKind(rawValue: k) {
            switch vk {
            case .mask where type == .u8: kind = .mask
            case .labels where type == .u32: kind = .labels
            case .image: kind = .image
            default: notes.append("\(attributesFile): kind \(k) does not suit \(meta.dtype.name); read as \(kind.rawValue)")
            }
        }
        let fillBits = try ZarrConvert.fillBits(meta.fill, type: type, file: metaFile)
        return ZarrArray(path: path, arrayPath: arrayPath, shape: shape, chunks: chunks, type: type,
                         spacing: Spacing(x: nm[2], y: nm[1], z: nm[0]), kind: kind, level: level,
                         levelCount: multiscales?.datasets.count ?? 1, codec: meta.codec, notes: notes,
                         metadataFile: metaFile, meta: meta, axisMap: axisMap, fillBits: fillBits)
    }

    /// Matches the stored dimensions to z, y, x. Non-spatial axes (t, c) must have size 1 and
    /// come first (OME order t, c, z, y, x); they are dropped. Spatial axes must be 2 (y, x) or
    /// 3 (z, y, x), in that order when they are named x, y, z.
    static func mapAxes(meta: ZarrArrayMeta, axes: [ZarrAxis]?, names: [String?]?, file: String) throws -> [Int] {
        let n = meta.shape.count
        let xyz: Set<String> = ["x", "y", "z"]
        var spaceFlags: [Bool]
        var axisNames: [String?]
        if let axes {
            if axes.count != n { throw IOError(file, "multiscales has \(axes.count) axes, but the array has \(n) dimensions \(meta.shape)") }
            spaceFlags = axes.map { $0.type == "space" || ($0.type == nil && xyz.contains($0.name)) }
            axisNames = axes.map { $0.name }
        } else if let names {
            axisNames = names
            spaceFlags = names.map { $0.map { xyz.contains($0) } ?? true }
            if !spaceFlags.contains(true) || names.allSatisfy({ $0 == nil }) { spaceFlags = (0..<n).map { $0 >= n - 3 } }
        } else {
            axisNames = Array(repeating: nil, count: n)
            spaceFlags = (0..<n).map { $0 >= n - 3 }
        }
        func label(_ k: Int) -> String { axisNames[k].map { "'\($0)'" } ?? "\(k)" }
        var map: [Int] = []
        var spatial: [Int] = []
        for k in 0..<n {
            if spaceFlags[k] {
                spatial.append(k)
            } else {
                if meta.shape[k] != 1 {
                    throw IOError(file, "axis \(label(k)) has \(meta.shape[k]) entries in shape \(meta.shape); emsh reads volumes with one channel and one time point (\(n)-D arrays only with size-1 extra axes)")
                }
                if !spatial.isEmpty { throw IOError(file, "axis \(label(k)) (size 1) comes after a spatial axis; expected the order t, c, z, y, x") }
            }
            map.append(-1)
        }
        if spatial.count < 2 || spatial.count > 3 {
            throw IOError(file, "has \(spatial.count) spatial axes in shape \(meta.shape); emsh reads 2-D (y, x) and 3-D (z, y, x) volumes")
        }
        let spatialNames = spatial.compactMap { axisNames[$0] }
        if spatialNames.count == spatial.count, spatialNames.allSatisfy({ xyz.contains($0) }) {
            let want = spatial.count == 3 ? ["z", "y", "x"] : ["y", "x"]
            if spatialNames != want {
                throw IOError(file, "spatial axes \(spatialNames.joined(separator: ", ")) are in an order emsh does not read (expected \(want.joined(separator: ", ")))")
            }
        }
        for (i, k) in spatial.enumerated() { map[k] = spatial.count == 3 ? i : i + 1 }
        return map
    }

    // MARK: Chunks

    /// Path of the chunk file (for error messages and markers).
    /// For a sharded array, the shard file that holds the chunk.
    public func chunkPath(cz: Int, cy: Int, cx: Int) -> String {
        var key = meta.keyPrefixC ? "c" + meta.separator : ""
        for (k, i) in storedIndex(cz, cy, cx).enumerated() {
            if k > 0 { key += meta.separator }
            key += String(meta.shardShape.map { i / ($0[k] / meta.chunks[k]) } ?? i)
        }
        return joinPath(arrayPath, key)
    }

    /// Whether the chunk is stored (for a sharded array: its shard exists and lists it).
    public func chunkExists(cz: Int, cy: Int, cx: Int) -> Bool {
        guard inGrid(cz, cy, cx) else { return false }
        let file = chunkPath(cz: cz, cy: cy, cx: cx)
        if let sh = meta.sharding, let outer = meta.shardShape {
            return (try? ZarrShard.readInner(file: file, index: storedIndex(cz, cy, cx), inner: meta.chunks, outer: outer, sharding: sh)) != nil
        }
        return pathKind(file) == .file
    }

    /// The chunk's index along every stored dimension (0 for dropped size-1 axes).
    func storedIndex(_ cz: Int, _ cy: Int, _ cx: Int) -> [Int] {
        axisMap.map { $0 == 0 ? cz : $0 == 1 ? cy : $0 == 2 ? cx : 0 }
    }

    func inGrid(_ cz: Int, _ cy: Int, _ cx: Int) -> Bool {
        let g = chunkGrid
        return cz >= 0 && cz < g.z && cy >= 0 && cy < g.y && cx >= 0 && cx < g.x
    }

    /// The part of the array chunk (cz, cy, cx) covers (clipped at the array's edge).
    public func chunkBox(cz: Int, cy: Int, cx: Int) -> (z: Range<Int>, y: Range<Int>, x: Range<Int>) {
        (cz * chunks.z..<min(shape.z, (cz + 1) * chunks.z),
         cy * chunks.y..<min(shape.y, (cy + 1) * chunks.y),
         cx * chunks.x..<min(shape.x, (cx + 1) * chunks.x))
    }

    /// Elements in one stored chunk (all stored dimensions, including dropped size-1 axes).
    var storedChunkCount: Int { meta.storedChunkCount }
    /// Elements of the spatial chunk; the first ones of the stored chunk (dropped axes lead).
    var spatialChunkCount: Int { chunks.count }

    /// Decodes chunk (cz, cy, cx) into memory of `type` and hands `body` its full (unclipped)
    /// chunks.z × chunks.y × chunks.x elements; nil when the chunk file does not exist.
    func withChunk<R>(cz: Int, cy: Int, cx: Int, _ body: (UnsafeRawPointer?) throws -> R) throws -> R {
        var file = chunkPath(cz: cz, cy: cy, cx: cx)
        let bytes: [UInt8]?
        if let sh = meta.sharding, let outer = meta.shardShape {
            let found = try ZarrShard.readInner(file: file, index: storedIndex(cz, cy, cx), inner: meta.chunks, outer: outer, sharding: sh)
            bytes = found?.bytes
            if let found { file = found.label }
        } else {
            bytes = try ZarrFiles.readIfPresent(file)
        }
        guard let bytes else { return try body(nil) }
        let storedBytes = storedChunkCount * meta.dtype.size
        try checkMemory(storedBytes, what: "decoding a chunk of \(meta.chunks) \(meta.dtype.name)", path: file)
        let decoded = UnsafeMutableRawPointer.allocate(byteCount: max(storedBytes, 1), alignment: 64)
        defer { decoded.deallocate() }
        try bytes.withUnsafeBytes { raw in
            let data = meta.crc32c || meta.sharding?.innerCRC32C == true ? try ZarrShard.checkCRC(raw, file: file) : raw
            try ZarrCodecs.decode(meta.codec, data, into: decoded, count: storedBytes, file: file)
        }
        if meta.dtype.isNative { return try body(UnsafeRawPointer(decoded)) }
        let memBytes = spatialChunkCount * type.byteSize
        try checkMemory(memBytes, what: "converting a chunk of \(meta.chunks) \(meta.dtype.name)", path: file)
        let converted = UnsafeMutableRawPointer.allocate(byteCount: max(memBytes, 1), alignment: 64)
        defer { converted.deallocate() }
        try ZarrConvert.convert(UnsafeRawPointer(decoded), count: spatialChunkCount, dtype: meta.dtype, into: converted, file: file)
        return try body(UnsafeRawPointer(converted))
    }

    // MARK: Reading

    /// Reads any box (it must lie inside the shape) into a new Volume with this array's spacing
    /// and kind; chunks that do not exist are the fill value. Chunks are decoded in parallel.
    public func read(z: Range<Int>, y: Range<Int>, x: Range<Int>) throws -> Volume {
        for (name, r, n) in [("z", z, shape.z), ("y", y, shape.y), ("x", x, shape.x)] where r.lowerBound < 0 || r.upperBound > n {
            throw IOError(path, "\(name) range \(r.lowerBound)..<\(r.upperBound) is outside the array's 0..<\(n) (shape \(shape))")
        }
        let box = Shape(z: z.count, y: y.count, x: x.count)
        let es = type.byteSize
        try checkMemory(MemoryBudget.bytes([box.z, box.y, box.x], elementSize: es),
                        what: "reading a \(box) \(type.rawValue) box", path: path)
        let out = Volume(zeros: box, type: type, spacing: spacing, kind: kind)
        if box.count == 0 { return out }
        let dst = out.storage.rawPointer
        if fillBits != 0 { ZarrConvert.fill(dst, count: box.count, type: type, bits: fillBits) }

        let cz0 = z.lowerBound / chunks.z, cz1 = (z.upperBound - 1) / chunks.z
        let cy0 = y.lowerBound / chunks.y, cy1 = (y.upperBound - 1) / chunks.y
        let cx0 = x.lowerBound / chunks.x, cx1 = (x.upperBound - 1) / chunks.x
        let ny = cy1 - cy0 + 1, nx = cx1 - cx0 + 1
        let total = (cz1 - cz0 + 1) * ny * nx
        let firstError = Mutex<IOError?>(nil)
        let c = chunks
        parallelFor(total) { i in
            if firstError.withLock({ $0 != nil }) { return }
            let cz = cz0 + i / (ny * nx), cy = cy0 + (i / nx) % ny, cx = cx0 + i % nx
            do {
                try withChunk(cz: cz, cy: cy, cx: cx) { src in
                    guard let src else { return }
                    let zs = max(z.lowerBound, cz * c.z)..<min(z.upperBound, (cz + 1) * c.z)
                    let ys = max(y.lowerBound, cy * c.y)..<min(y.upperBound, (cy + 1) * c.y)
                    let xs = max(x.lowerBound, cx * c.x)..<min(x.upperBound, (cx + 1) * c.x)
                    let rowBytes = xs.count * es
                    for zz in zs {
                        for yy in ys {
                            let s = (((zz - cz * c.z) * c.y + (yy - cy * c.y)) * c.x + (xs.lowerBound - cx * c.x)) * es
                            let d = (((zz - z.lowerBound) * box.y + (yy - y.lowerBound)) * box.x + (xs.lowerBound - x.lowerBound)) * es
                            (dst + d).copyMemory(from: src + s, byteCount: rowBytes)
                        }
                    }
                }
            } catch {
                let e = error as? IOError ?? IOError(chunkPath(cz: cz, cy: cy, cx: cx), "\(error)")
                firstError.withLock { if $0 == nil { $0 = e } }
            }
        }
        if let e = firstError.withLock({ $0 }) { throw e }
        return out
    }

    /// The whole array (checked against the memory ceiling).
    public func readAll() throws -> Volume {
        try read(z: 0..<shape.z, y: 0..<shape.y, x: 0..<shape.x)
    }

    // MARK: Writing

    /// Writes one chunk (indices in the chunk grid); `v` has the chunk's extent clipped to the
    /// array's edge. Written to a temporary name then renamed (atomic per chunk). A chunk that is
    /// entirely the fill value is not stored (and an old file of it is deleted).
    public func writeChunk(_ v: Volume, cz: Int, cy: Int, cx: Int) throws {
        let file = chunkPath(cz: cz, cy: cy, cx: cx)
        if !inGrid(cz, cy, cx) { throw IOError(file, "chunk (\(cz), \(cy), \(cx)) is outside the \(chunkGrid) chunk grid") }
        let b = chunkBox(cz: cz, cy: cy, cx: cx)
        let want = Shape(z: b.z.count, y: b.y.count, x: b.x.count)
        if v.shape != want { throw IOError(file, "chunk (\(cz), \(cy), \(cx)) is \(want), got a \(v.shape) volume") }
        try storeChunk(cz: cz, cy: cy, cx: cx, from: v, origin: (0, 0, 0))
    }

    /// Writes a box whose origin is chunk-aligned and whose extent covers whole chunks (or
    /// reaches the array's edge): splits it into chunks, compressed in parallel.
    public func write(_ v: Volume, z0: Int, y0: Int, x0: Int) throws {
        let o = [z0, y0, x0], e = [v.shape.z, v.shape.y, v.shape.x]
        let c = [chunks.z, chunks.y, chunks.x], s = [shape.z, shape.y, shape.x]
        for (k, name) in ["z", "y", "x"].enumerated() {
            if o[k] < 0 || o[k] + e[k] > s[k] {
                throw IOError(path, "box at \(name) \(o[k]) of \(e[k]) voxels is outside the array's 0..<\(s[k])")
            }
            if o[k] % c[k] != 0 { throw IOError(path, "box origin \(name) \(o[k]) is not a multiple of the chunk size \(c[k])") }
            if e[k] % c[k] != 0 && o[k] + e[k] != s[k] {
                throw IOError(path, "box extent \(name) \(e[k]) is not whole chunks of \(c[k]) and does not reach the edge \(s[k])")
            }
        }
        if v.type != type { throw IOError(path, "cannot write a \(v.type.rawValue) volume into a \(type.rawValue) array") }
        let n = [(e[0] + c[0] - 1) / c[0], (e[1] + c[1] - 1) / c[1], (e[2] + c[2] - 1) / c[2]]
        let firstError = Mutex<IOError?>(nil)
        parallelFor(n[0] * n[1] * n[2]) { i in
            if firstError.withLock({ $0 != nil }) { return }
            let iz = i / (n[1] * n[2]), iy = (i / n[2]) % n[1], ix = i % n[2]
            let cz = z0 / c[0] + iz, cy = y0 / c[1] + iy, cx = x0 / c[2] + ix
            do {
                try storeChunk(cz: cz, cy: cy, cx: cx, from: v, origin: (iz * c[0], iy * c[1], ix * c[2]))
            } catch {
                let err = error as? IOError ?? IOError(chunkPath(cz: cz, cy: cy, cx: cx), "\(error)")
                firstError.withLock { if $0 == nil { $0 = err } }
            }
        }
        if let err = firstError.withLock({ $0 }) { throw err }
    }

    /// Encodes the part of `v` starting at `origin` that chunk (cz, cy, cx) covers.
    func storeChunk(cz: Int, cy: Int, cx: Int, from v: Volume, origin: (Int, Int, Int)) throws {
        let file = chunkPath(cz: cz, cy: cy, cx: cx)
        if !meta.dtype.isNative {
            throw IOError(metadataFile, "emsh writes only |u1, <u2, <u4 and <f4 arrays; this one is \(meta.dtype.name)")
        }
        if meta.sharding != nil || meta.crc32c {
            throw IOError(metadataFile, "emsh does not write sharded or crc32c-checked arrays (it reads them)")
        }
        if v.type != type { throw IOError(file, "cannot write a \(v.type.rawValue) volume into a \(type.rawValue) array") }
        let es = type.byteSize
        let storedBytes = storedChunkCount * es
        try checkMemory(storedBytes, what: "encoding a chunk of \(meta.chunks) \(meta.dtype.name)", path: file)
        let buf = UnsafeMutableRawPointer.allocate(byteCount: max(storedBytes, 1), alignment: 64)
        defer { buf.deallocate() }
        ZarrConvert.fill(buf, count: storedChunkCount, type: type, bits: fillBits)
        let b = chunkBox(cz: cz, cy: cy, cx: cx)
        let src = v.storage.rawPointer
        let rowBytes = b.x.count * es
        for zz in 0..<b.z.count {
            for yy in 0..<b.y.count {
                let s = (((origin.0 + zz) * v.shape.y + origin.1 + yy) * v.shape.x + origin.2) * es
                let d = (zz * chunks.y + yy) * chunks.x * es
                (buf + d).copyMemory(from: src + s, byteCount: rowBytes)
            }
        }
        // Zarr allows leaving out chunks that are all fill value: empty mask and label chunks cost nothing.
        if ZarrConvert.isAllFill(buf, count: storedChunkCount, type: type, bits: fillBits) {
            try ZarrFiles.removeChunk(file)
            return
        }
        let encoded = try ZarrCodecs.encode(meta.codec, buf, count: storedBytes, typeSize: es, file: file)
        try ZarrFiles.writeChunk(encoded, to: file)
    }

    // MARK: Creating

    /// Creates a new OME-Zarr v0.4 / Zarr v2 store at `path` with one level "0". Replaces
    /// nothing: if `path` exists and is not empty, throws unless `overwrite` (and then only a
    /// folder that is a Zarr store is deleted). A chunk larger than the array along an axis is cut
    /// to the array's size (Zarr would store the padding). `name` is the multiscales name (default:
    /// the folder's name; a store written under a temporary name gives its final one).
    public static func create(_ path: String, shape: Shape, chunks: Shape, type: VoxelType, spacing: Spacing, kind: VolumeKind,
                              codec: ZarrCodec = .zstd(level: 3), overwrite: Bool = false, name: String? = nil) throws -> ZarrArray {
        let dtype = ZarrDType.native(type)
        let shapeList = [shape.z, shape.y, shape.x]
        let chunkList = zip([chunks.z, chunks.y, chunks.x], shapeList).map { c, s in s > 0 ? min(c, s) : c }
        _ = try ZarrArrayMeta.shapeAndChunks(.array(shapeList.map { .int($0) }), .array(chunkList.map { .int($0) }),
                                             file: path, dtype: dtype)
        for (name, s) in [("x", spacing.x), ("y", spacing.y), ("z", spacing.z)] where !(s.isFinite && s > 0) {
            throw IOError(path, "spacing \(name) \(s) must be a positive number of nanometres")
        }
        try ZarrCodecs.validate(codec, path: path)
        if (kind == .mask && type != .u8) || (kind == .labels && type != .u32) {
            throw IOError(path, "a \(kind.rawValue) store holds \(kind == .mask ? "u8" : "u32") voxels, not \(type.rawValue)")
        }
        switch pathKind(path) {
        case .file: throw IOError(path, "exists and is a file")
        case .folder where !ZarrFiles.isEmptyFolder(path):
            if !overwrite { throw IOError(path, "exists and is not empty (overwrite it explicitly)") }
            if !ZarrFiles.isZarrFolder(path) { throw IOError(path, "exists and is not a Zarr store; not deleting it to overwrite") }
            try ZarrFiles.removeTree(path)
        default: break
        }
        let parent = splitPath(withoutTrailingSlashes(path)).dir
        if !parent.isEmpty && pathKind(parent) != .folder { throw IOError(path, "folder \(parent) does not exist") }
        try makeFolders(joinPath(path, "0"))
        try writeArrayMetadata(joinPath(path, "0"), shape: shapeList, chunks: chunkList, dtype: dtype, codec: codec)
        try ZarrFiles.writeMetadata(.object([("zarr_format", .int(2))]), to: joinPath(path, ".zgroup"))
        let scale = [spacing.z, spacing.y, spacing.x]
        try ZarrFiles.writeMetadata(groupAttributes(name: name ?? storeName(path), scales: [scale], kind: kind, extra: nil),
                                    to: joinPath(path, ".zattrs"))
        return try open(path)
    }

    /// Writes a v2 `.zarray` (C order, fill 0, "/" keys, no filters).
    static func writeArrayMetadata(_ folder: String, shape: [Int], chunks: [Int], dtype: ZarrDType, codec: ZarrCodec) throws {
        let j = ZarrJSON.object([
            ("zarr_format", .int(2)),
            ("shape", .array(shape.map { .int($0) })),
            ("chunks", .array(chunks.map { .int($0) })),
            ("dtype", .string(dtype.name)),
            ("compressor", ZarrCodecs.v2JSON(codec)),
            ("fill_value", .int(0)),
            ("order", .string("C")),
            ("filters", .null),
            ("dimension_separator", .string("/")),
        ])
        try ZarrFiles.writeMetadata(j, to: joinPath(folder, ".zarray"))
    }

    /// The multiscales name of a store at `path`: its folder's name ("x.zarr/" gives x.zarr).
    public static func storeName(_ path: String) -> String {
        let base = splitPath(withoutTrailingSlashes(path)).base
        return base.isEmpty ? "image" : base
    }

    /// The group `.zattrs`: NGFF v0.4 multiscales with one dataset per scale (z, y, x in nm),
    /// plus emsh's kind. Other top-level attributes of `extra` are kept.
    static func groupAttributes(name: String, scales: [[Double]], kind: VolumeKind, extra: ZarrJSON?) -> ZarrJSON {
        let axes = ZarrJSON.array(["z", "y", "x"].map {
            .object([("name", .string($0)), ("type", .string("space")), ("unit", .string("nanometer"))])
        })
        let datasets = ZarrJSON.array(scales.enumerated().map { (i, s) in
            .object([("path", .string(String(i))),
                     ("coordinateTransformations", .array([.object([("type", .string("scale")),
                                                                     ("scale", .array(s.map { .double($0) }))])]))])
        })
        let ms = ZarrJSON.object([("version", .string("0.4")), ("name", .string(name)), ("axes", axes), ("datasets", datasets)])
        var members: [(String, ZarrJSON)] = [("multiscales", .array([ms])), ("emsh", .object([("kind", .string(kind.rawValue))]))]
        if case .object(let old)? = extra {
            for (k, v) in old where k != "multiscales" && k != "emsh" { members.append((k, v)) }
        }
        return .object(members)
    }

    // MARK: Fuzzing

    /// Parses metadata text the way `open` does — as a v2 `.zarray`, a v3 `zarr.json` or group
    /// attributes with multiscales, whichever it looks like — without touching files. For the
    /// fuzzer and for tests; throws what `open` would.
    public static func checkMetadata(_ bytes: [UInt8], name: String = "metadata") throws {
        let j: ZarrJSON
        do { j = try ZarrJSON.parse(bytes) } catch { throw IOError(name, error.message) }
        _ = j.text()
        if j["node_type"]?.string == "array" {
            let m = try ZarrArrayMeta.parseV3(j, file: name)
            _ = try mapAxes(meta: m, axes: nil, names: m.dimensionNames, file: name)
        } else if j["dtype"] != nil {
            let m = try ZarrArrayMeta.parseV2(j, file: name)
            _ = try mapAxes(meta: m, axes: nil, names: nil, file: name)
            _ = try ZarrConvert.fillBits(m.fill, type: m.dtype.memoryType, file: name)
        } else {
            let attrs = j["node_type"] != nil ? j["attributes"] : j
            guard let ms = try ZarrMultiscales.find(in: attrs, file: name) else { throw IOError(name, "no multiscales") }
            if let axes = ms.axes {
                for a in axes { _ = a.unit.map(nanometresPerUnit) }
            }
        }
    }
}
