#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform

/// The file-system side of a Zarr store: a store is a folder tree of small files.
enum ZarrFiles {
    /// The bytes of `path`, or nil when it does not exist (a missing chunk is the fill value).
    /// The size is checked against the memory ceiling before reading.
    static func readIfPresent(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw IOError(path, "cannot open: \(errnoMessage())")
        }
        close(fd)
        return try readBudgetedFile(path)
    }


    /// Whether the folder holds anything (besides . and ..).
    static func isEmptyFolder(_ path: String) -> Bool {
        folderEntries(path)?.isEmpty ?? false
    }

    /// Deletes the folder `path` and everything in it (rm -r; symbolic links are removed, never
    /// followed). Callers check first that it is a Zarr store.
    static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 { return }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            if unlink(path) != 0 { throw IOError(path, "cannot delete: \(errnoMessage())") }
            return
        }
        guard let names = folderEntries(path) else { throw IOError(path, "cannot list: \(errnoMessage())") }
        for n in names { try removeTree(path + "/" + n) }
        if rmdir(path) != 0 { throw IOError(path, "cannot delete folder: \(errnoMessage())") }
    }

    /// Whether the folder looks like a Zarr store or array (so that overwriting may delete it).
    static func isZarrFolder(_ path: String) -> Bool {
        [".zgroup", ".zattrs", ".zarray", "zarr.json"].contains { pathKind(joinPath(path, $0)) == .file }
    }

    /// Writes one chunk file atomically (AtomicFile: a temporary name in its folder, renamed over
    /// the target), so a reader never sees half a chunk. No fsync: a store has thousands of chunk
    /// files, and measured here (500 chunks of 64 KiB, write + rename) an fsync each costs 1.5 ms
    /// per chunk against 0.4 ms without, nearly 4× slower; after a crash of emsh every chunk is the
    /// old or the new one either way (only a power cut can lose recent chunks, as with any unsynced
    /// write). Metadata files go through AtomicFile with fsync. Missing folders of the chunk key
    /// ("0/1/2") are made on demand.
    static func writeChunk(_ bytes: [UInt8], to path: String) throws {
        let dir = splitPath(path).0
        if !dir.isEmpty && pathKind(dir) != .folder { try makeFolders(dir) }
        try AtomicFile.write(bytes: bytes, to: path, sync: false)
    }

    /// Deletes a chunk file (a chunk that became all fill value); a missing one is fine.
    static func removeChunk(_ path: String) throws {
        if unlink(path) != 0 && errno != ENOENT { throw IOError(path, "cannot delete chunk: \(errnoMessage())") }
    }

    /// Writes a metadata file atomically (temporary name, fsync, rename).
    static func writeMetadata(_ j: ZarrJSON, to path: String) throws {
        try AtomicFile.write(bytes: Array((j.text() + "\n").utf8), to: path)
    }

    /// Reads and parses a metadata file; errors name it.
    static func readJSON(_ path: String) throws -> ZarrJSON {
        let bytes = try readBudgetedFile(path)
        do {
            return try ZarrJSON.parse(bytes)
        } catch {
            throw IOError(path, error.message)
        }
    }
}
