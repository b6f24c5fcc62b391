/// Reading Zarr v3 shards (codec `sharding_indexed`) and the `crc32c` codec.
///
/// A shard is read whole: every inner chunk is decoded into its place in one buffer of the shard's
/// size (checked against the memory ceiling by the caller), so the rest of ZarrArray treats a
/// shard as one big chunk. emsh does not write shards.
enum ZarrShard {
    /// Decodes the shard file `bytes` into `dst` (the shard's elements in the stored dtype, C order).
    static func decode(_ bytes: UnsafeRawBufferPointer, meta: ZarrArrayMeta, sharding sh: ZarrSharding,
                       into dst: UnsafeMutableRawPointer, file: String) throws {
        let es = meta.dtype.size
        let shard = meta.chunks, inner = sh.innerChunks
        let n = shard.count
        let per = (0..<n).map { shard[$0] / inner[$0] }
        let count = per.reduce(1, *)
        let innerCount = inner.reduce(1, *)
        let indexBytes = 16 * count + (sh.indexCRC ? 4 : 0)
        if bytes.count < indexBytes {
            throw IOError(file, "truncated or corrupt shard: \(bytes.count) bytes cannot hold its index of \(indexBytes) bytes")
        }
        guard let base = bytes.baseAddress else { return }
        let indexStart = sh.indexAtEnd ? bytes.count - indexBytes : 0
        if sh.indexCRC {
            let stored = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: indexStart + 16 * count, as: UInt32.self))
            if crc32c(base + indexStart, count: 16 * count) != stored { throw IOError(file, "corrupt shard: the index's crc32c does not match") }
        }
        let fill = ZarrConvert.storedFill(meta.fill, dtype: meta.dtype)
        let innerBytes = innerCount * es
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(innerBytes, 1), alignment: 64)
        defer { scratch.deallocate() }
        for k in 0..<count {
            let offset = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: indexStart + 16 * k, as: UInt64.self))
            let length = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: indexStart + 16 * k + 8, as: UInt64.self))
            if offset == UInt64.max && length == UInt64.max {
                ZarrConvert.fillStored(scratch, count: innerCount, pattern: fill)
            } else {
                if offset > UInt64(bytes.count) || length > UInt64(bytes.count) - offset {
                    throw IOError(file, "truncated or corrupt shard: inner chunk \(k) at \(offset) of \(length) bytes lies past the \(bytes.count)-byte file")
                }
                var part = UnsafeRawBufferPointer(start: base + Int(offset), count: Int(length))
                if sh.innerCRC32C { part = try checkCRC(part, file: "\(file) (inner chunk \(k))") }
                try ZarrCodecs.decode(meta.codec, part, into: scratch, count: innerBytes, file: "\(file) (inner chunk \(k))")
            }
            // Inner chunk k's grid position in the shard, then its rows copied into place.
            var pos = [Int](repeating: 0, count: n)
            var r = k
            for d in stride(from: n - 1, through: 0, by: -1) { pos[d] = (r % per[d]) * inner[d]; r /= per[d] }
            copyBlock(scratch, inner: inner, into: dst, outer: shard, at: pos, elementSize: es)
        }
    }

    /// Copies a C-order block of shape `inner` into the C-order array `outer` at `at`.
    static func copyBlock(_ src: UnsafeRawPointer, inner: [Int], into dst: UnsafeMutableRawPointer, outer: [Int], at: [Int],
                          elementSize es: Int) {
        let n = inner.count
        let rowBytes = inner[n - 1] * es
        var idx = [Int](repeating: 0, count: max(n - 1, 0))
        let rows = inner.dropLast().reduce(1, *)
        for row in 0..<rows {
            var o = 0
            for d in 0..<(n - 1) { o = o * outer[d] + at[d] + idx[d] }
            o = o * outer[n - 1] + at[n - 1]
            (dst + o * es).copyMemory(from: src + row * rowBytes, byteCount: rowBytes)
            var d = n - 2
            while d >= 0 { idx[d] += 1; if idx[d] < inner[d] { break }; idx[d] = 0; d -= 1 }
        }
    }

    /// Checks and drops the 4-byte little-endian CRC-32C at the end of `part`.
    static func checkCRC(_ part: UnsafeRawBufferPointer, file: String) throws -> UnsafeRawBufferPointer {
        guard part.count >= 4, let b = part.baseAddress else { throw IOError(file, "truncated or corrupt chunk: no room for its crc32c") }
        let stored = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: part.count - 4, as: UInt32.self))
        if crc32c(b, count: part.count - 4) != stored { throw IOError(file, "corrupt chunk: its crc32c does not match") }
        return UnsafeRawBufferPointer(start: b, count: part.count - 4)
    }

    /// CRC-32C (Castagnoli), as the Zarr v3 crc32c codec computes it.
    static func crc32c(_ p: UnsafeRawPointer, count: Int) -> UInt32 {
        let t = crcTable
        var c: UInt32 = 0xFFFF_FFFF
        let b = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<count { c = t[Int((c ^ UInt32(b[i])) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }
}
