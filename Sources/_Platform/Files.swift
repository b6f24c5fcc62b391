#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The one error type of file handling: a message about one file (or pattern).
/// `description` is the user-facing text, `"PATH: message"`.
public struct IOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file, folder or pattern the error is about (empty when there is none).
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// The C library's text for the current `errno`.
public func errnoMessage() -> String { String(cString: strerror(errno)) }

/// ("a/b", "c.png") for "a/b/c.png"; ("", "c.png") for "c.png"; ("/", "x") for "/x".
public func splitPath(_ path: String) -> (dir: String, base: String) {
    guard let slash = path.lastIndex(of: "/") else { return ("", path) }
    let dir = String(path[..<slash])
    let base = String(path[path.index(after: slash)...])
    return (dir.isEmpty ? "/" : dir, base)
}

/// The current folder (nil when it cannot be read, e.g. it was deleted).
public func currentDirectory() -> String? {
    var buf = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buf, buf.count) != nil else { return nil }
    return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Reads a whole file. `check` sees the size before anything is allocated (a memory budget).
public func readWholeFile(_ path: String, check: ((Int) throws -> Void)? = nil) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw IOError(path, "cannot open: \(errnoMessage())") }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { throw IOError(path, "cannot read: \(errnoMessage())") }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw IOError(path, "is a folder, not a file") }
    let size = Int(st.st_size)
    try check?(size)
    var out = [UInt8](repeating: 0, count: size)
    var done = 0
    // Regular files: exactly `size` bytes. Pipes and /proc files report 0 and are read to their end.
    while true {
        if done == out.count {
            if (st.st_mode & S_IFMT) == S_IFREG && size > 0 { break }
            out.append(contentsOf: repeatElement(0, count: max(65536, out.count)))
        }
        let r = out.withUnsafeMutableBytes { buf -> Int in
            guard let base = buf.baseAddress else { return 0 }
            return read(fd, base + done, buf.count - done)
        }
        if r < 0 {
            if errno == EINTR { continue }
            throw IOError(path, "cannot read: \(errnoMessage())")
        }
        if r == 0 { break }
        done += r
    }
    if done < out.count { out.removeLast(out.count - done) }
    return out
}

/// A whole file as UTF-8 text (invalid bytes are repaired).
public func readTextFile(_ path: String) throws -> String {
    String(decoding: try readWholeFile(path), as: UTF8.self)
}

/// Reads `count` bytes at `offset` of `fd` into `dest` with pread, retrying short reads and EINTR.
/// Returns how many it read: `count`, fewer when the file ends first, or -1 on an error (errno is set).
public func readFully(_ fd: Int32, into dest: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Int {
    var done = 0
    while done < count {
        let got = pread(fd, dest + done, count - done, off_t(offset + done))
        if got < 0 {
            if errno == EINTR { continue }
            return -1
        }
        if got == 0 { break }
        done += got
    }
    return done
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR; false on an error (errno is set).
@discardableResult
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let base = bytes.baseAddress else { return true }
    var done = 0
    while done < bytes.count {
        let r = write(fd, base + done, min(bytes.count - done, 1 << 30))
        if r < 0 {
            if errno == EINTR { continue }
            return false
        }
        done += r
    }
    return true
}

/// Writes all of `text` (UTF-8) to `fd`; false on an error.
@discardableResult
public func writeFully(_ fd: Int32, _ text: String) -> Bool {
    var copy = text
    return copy.withUTF8 { writeFully(fd, UnsafeRawBufferPointer($0)) }
}

/// Creates (or empties) `path` for writing and runs `body` with its descriptor, closed after;
/// errors name `reportAs` (an atomic write's final path rather than its temporary name).
public func withNewFile<T>(_ path: String, reportAs: String, _ body: (_ fd: Int32) throws -> T) throws -> T {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw IOError(reportAs, "cannot create file: \(errnoMessage())") }
    defer { close(fd) }
    return try body(fd)
}

/// Atomic saving: every writer writes to a temporary name in the target's folder, which is
/// flushed to disk (fsync, unless `sync: false`) and renamed over the target only when everything
/// succeeded. (The folder is not fsynced after the rename: see `writeAll`.)
/// On any error the temporary file is deleted and an existing target is left untouched.
///
///     try AtomicFile.write(to: "out/stats.csv") { tmp in
///         try writeMyFormat(to: tmp)     // errors should name the final path, not `tmp`
///     }
///
/// `sync: false` is for many small files whose loss in a power cut is harmless (a block job's
/// done-markers, rewritten on the next run): the rename is still atomic against crashes of emsh.
public enum AtomicFile {
    private static let counter = Atomic<Int>(0)

    /// Runs `body` with a temporary path next to `path`, then moves the result into place.
    @discardableResult
    public static func write<T>(to path: String, sync: Bool = true, _ body: (_ tmpPath: String) throws -> T) throws -> T {
        try writeAll(to: [path], sync: sync) { tmps in try body(tmps[0]) }
    }

    /// Like `write(to:_:)` for several files at once (a PNG sequence): either all targets are
    /// replaced or none is (renames happen only after every file was written and synced).
    @discardableResult
    public static func writeAll<T>(to paths: [String], sync: Bool = true,
                                   _ body: (_ tmpPaths: [String]) throws -> T) throws -> T {
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
            for (t, p) in zip(tmps, paths) { try finish(t, finalPath: p, sync: sync) }
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

    /// Writes `bytes` to `path` atomically.
    public static func write(bytes: some Collection<UInt8>, to path: String, sync: Bool = true) throws {
        try write(to: path, sync: sync) { tmp in
            try withNewFile(tmp, reportAs: path) { fd in
                let ok = bytes.withContiguousStorageIfAvailable { writeFully(fd, UnsafeRawBufferPointer($0)) }
                    ?? Array(bytes).withUnsafeBytes { writeFully(fd, $0) }
                if !ok { throw IOError(path, "cannot write: \(errnoMessage())") }
            }
        }
    }

    /// Writes `text` (UTF-8) to `path` atomically.
    public static func write(text: String, to path: String, sync: Bool = true) throws {
        try write(bytes: Array(text.utf8), to: path, sync: sync)
    }

    /// Keeps the permissions of a file it replaces, and flushes the finished file (fsync) if asked.
    private static func finish(_ tmp: String, finalPath: String, sync: Bool) throws {
        let fd = open(tmp, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw IOError(finalPath, "the writer produced no file: \(errnoMessage())") }
        defer { close(fd) }
        var old = stat()
        if stat(finalPath, &old) == 0 { _ = fchmod(fd, old.st_mode & 0o7777) }
        if sync && fsync(fd) != 0 { throw IOError(finalPath, "cannot flush to disk: \(errnoMessage())") }
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
