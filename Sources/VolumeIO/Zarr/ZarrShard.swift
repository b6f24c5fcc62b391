#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform

/// Reading Zarr v3 shards (codec `sharding_indexed`) and the `crc32c` codec.
///
/// A shard file holds inner chunks, each encoded on its own, and an index of (offset, length)
/// pairs, little-endian UInt64, one per inner chunk in C order (2^64−1 twice: not stored, the
/// fill value). emsh reads one inner chunk at a time — the index, then that chunk, by pread — so
/// memory follows the inner chunk, however large the shard. emsh does not write shards.
enum ZarrShard {
    /// The encoded bytes of the inner chunk at stored chunk index `index`, and a label naming it
    /// for errors ("SHARD (inner chunk k)"); nil when the shard file or the chunk is not stored.
    static func readInner(file: String, index: [Int], inner: [Int], outer: [Int], sharding sh: ZarrSharding) throws
        -> (bytes: [UInt8], label: String)? {
        let fd = open(file, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw IOError(file, "cannot open: \(errnoMessage())")
        }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) != 0 { throw IOError(file, "cannot read: \(errnoMessage())") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw IOError(file, "is a folder, not a shard file") }
        let size = Int(st.st_size)
        var count = 1, k = 0
        for d in 0..<inner.count {
            let per = outer[d] / inner[d]
            count *= per
            k = k * per + index[d] % per
        }
        let label = "\(file) (inner chunk \(k))"
        let indexBytes = 16 * count + (sh.indexCRC ? 4 : 0)
        if size < indexBytes {
            throw IOError(file, "truncated or corrupt shard: \(size) bytes cannot hold its index of \(indexBytes) bytes")
        }
        let indexStart = sh.indexAtEnd ? size - indexBytes : 0
        var entry = [UInt8](repeating: 0, count: 16)
        if sh.indexCRC {
            // The checksum covers the whole index: read it all (16 bytes per inner chunk).
            try checkMemory(indexBytes, what: "reading a shard index of \(count) chunks", path: file)
            var index = [UInt8](repeating: 0, count: indexBytes)
            try readFully(fd, &index, at: indexStart, file: file)
            let ok = index.withUnsafeBytes { b in
                crc32c(b.baseAddress!, count: 16 * count) == UInt32(littleEndian: b.loadUnaligned(fromByteOffset: 16 * count, as: UInt32.self))
            }
            if !ok { throw IOError(file, "corrupt shard: the index's crc32c does not match") }
            entry = Array(index[(16 * k)..<(16 * k + 16)])
        } else {
            try readFully(fd, &entry, at: indexStart + 16 * k, file: file)
        }
        let (offset, length) = entry.withUnsafeBytes { b in
            (UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
             UInt64(littleEndian: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        if offset == UInt64.max && length == UInt64.max { return nil }
        if offset > UInt64(size) || length > UInt64(size) - offset {
            throw IOError(label, "truncated or corrupt shard: the chunk at \(offset) of \(length) bytes lies past the \(size)-byte file")
        }
        try checkMemory(Int(length), what: "reading a \(length)-byte chunk", path: label)
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try readFully(fd, &bytes, at: Int(offset), file: label)
        return (bytes, label)
    }

    /// Exactly `buf.count` bytes at `offset`.
    static func readFully(_ fd: Int32, _ buf: inout [UInt8], at offset: Int, file: String) throws {
        let n = buf.count
        if n == 0 { return }
        let got = buf.withUnsafeMutableBytes { b in _Platform.readFully(fd, into: b.baseAddress!, count: n, at: offset) }
        if got < 0 { throw IOError(file, "cannot read: \(errnoMessage())") }
        if got < n { throw IOError(file, "truncated shard: the file ended while reading") }
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
