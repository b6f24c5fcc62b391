#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Atomic saving: every writer writes to a temporary name in the target's folder, which is
/// flushed to disk (fsync) and renamed over the target only when everything succeeded.
/// (The folder is not fsynced after the rename: see `writeAll`.)
/// On any error the temporary file is deleted and an existing target is left untouched.
///
///     try AtomicFile.write(to: "out/stats.csv") { tmp in
///         try writeMyFormat(to: tmp)     // errors should name the final path, not `tmp`
///     }
public enum AtomicFile {
    private static let counter = Atomic<Int>(0)

    /// Runs `body` with a temporary path next to `path`, then moves the result into place.
    @discardableResult
    public static func write<T>(to path: String, _ body: (_ tmpPath: String) throws -> T) throws -> T {
        try writeAll(to: [path]) { tmps in try body(tmps[0]) }
    }

    /// Like `write(to:_:)` for several files at once (a PNG sequence): either all targets are
    /// replaced or none is (renames happen only after every file was written and synced).
    @discardableResult
    public static func writeAll<T>(to paths: [String], _ body: (_ tmpPaths: [String]) throws -> T) throws -> T {
        var tmps: [String] = []
        tmps.reserveCapacity(paths.count)
        for p in paths {
            let (dir, base) = splitPath(p)
            if base.isEmpty { throw IOError(p, "not a file name") }
            var st = stat()
            if stat(dir.isEmpty ? "." : dir, &st) != 0 {
                throw IOError(p, "folder \(dir.isEmpty ? "." : dir) does not exist")
            }
            if (st.st_mode & S_IFMT) != S_IFDIR { throw IOError(p, "\(dir) is not a folder") }
            if stat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { throw IOError(p, "is a folder") }
            let n = counter.add(1, ordering: .relaxed).newValue
            let tmpName = ".\(base).tmp-\(getpid())-\(n)"
            tmps.append(dir.isEmpty ? tmpName : dir + "/" + tmpName)
        }
        func cleanUp() { for t in tmps { unlink(t) } }
        do {
            let result = try body(tmps)
            for (t, p) in zip(tmps, paths) { try syncFile(t, finalPath: p) }
            for (t, p) in zip(tmps, paths) where rename(t, p) != 0 {
                throw IOError(p, "cannot move the written file into place: \(errnoMessage())")
            }
            // The folder itself is not fsynced: rename is atomic against crashes of emsh either way
            // (old or new file, never a mix); only a power cut right after could lose the new name.
            return result
        } catch {
            cleanUp()
            throw error
        }
    }

    /// fsync of a finished file; keeps the permissions of a file it replaces.
    private static func syncFile(_ tmp: String, finalPath: String) throws {
        let fd = open(tmp, O_RDONLY)
        if fd < 0 { throw IOError(finalPath, "the writer produced no file: \(errnoMessage())") }
        defer { close(fd) }
        var old = stat()
        if stat(finalPath, &old) == 0 { _ = fchmod(fd, old.st_mode & 0o7777) }
        if fsync(fd) != 0 { throw IOError(finalPath, "cannot flush to disk: \(errnoMessage())") }
    }

    /// Asks the kernel to start writing `length` bytes at `offset` of `fd` to disk now, without
    /// waiting (Linux sync_file_range, looked up at run time; nothing elsewhere). Writers of large
    /// files call it after each chunk, so that the disk works while the rest is still being copied
    /// and the final fsync has less left to wait for.
    public static func startWriteback(_ fd: Int32, offset: Int, length: Int) {
        #if os(Linux)
        if let f = syncFileRange { _ = f(fd, Int64(offset), Int64(length), 2) }  // SYNC_FILE_RANGE_WRITE
        #endif
    }

    #if os(Linux)
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    private static let syncFileRange: SyncFileRange? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(sym, to: SyncFileRange.self)
    }()
    #endif
}

/// ("a/b", "c.png") for "a/b/c.png"; ("", "c.png") for "c.png"; ("/", "x") for "/x".
func splitPath(_ path: String) -> (dir: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    let dir = String(path[..<slash])
    let base = String(path[path.index(after: slash)...])
    return (dir.isEmpty ? "/" : dir, base)
}

func errnoMessage() -> String { String(cString: strerror(errno)) }

extension AtomicFile {
    /// Writes `bytes` to `path` atomically.
    public static func write(bytes: [UInt8], to path: String) throws {
        try write(to: path) { tmp in
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd < 0 { throw IOError(path, "cannot create file: \(errnoMessage())") }
            defer { close(fd) }
            try bytes.withUnsafeBytes { buf in
                var done = 0
                while done < buf.count {
                    guard let base = buf.baseAddress else { break }
                    let r = Glibc.write(fd, base + done, min(buf.count - done, 1 << 30))
                    if r < 0 {
                        if errno == EINTR { continue }
                        throw IOError(path, "cannot write: \(errnoMessage())")
                    }
                    done += r
                }
            }
        }
    }
}

/// Reads a whole file, checking its size against the memory budget first.
public func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 { throw IOError(path, "cannot open: \(errnoMessage())") }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { throw IOError(path, "cannot read: \(errnoMessage())") }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw IOError(path, "is a folder, not a file") }
    let size = Int(st.st_size)
    try checkMemory(size, what: "reading a \(size)-byte file", path: path)
    var out = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
        let r = out.withUnsafeMutableBytes { buf -> Int in
            guard let base = buf.baseAddress else { return 0 }
            return Glibc.read(fd, base + done, size - done)
        }
        if r < 0 {
            if errno == EINTR { continue }
            throw IOError(path, "cannot read: \(errnoMessage())")
        }
        if r == 0 { break }
        done += r
    }
    if done < size { out.removeLast(size - done) }
    return out
}
