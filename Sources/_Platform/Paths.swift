#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `~` and `~/…` with the home folder ($HOME, or / when it is unset or empty); other paths as they are
/// (`~user` is not expanded).
public func expandHome(_ path: String) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    let home = getenv("HOME").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
    return home + path.dropFirst()
}

/// What a path names, following links.
public enum PathKind: Sendable, Equatable {
    case missing, file, folder, other
}

/// What `path` names (`stat`: a link counts as what it points to).
public func pathKind(_ path: String) -> PathKind {
    var st = stat()
    guard stat(path, &st) == 0 else { return .missing }
    switch st.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .folder
    default: return .other
    }
}

/// Whether `path` is a regular file (or a link to one).
public func isFile(_ path: String) -> Bool { pathKind(path) == .file }

/// Whether `path` is a folder (or a link to one).
public func isFolder(_ path: String) -> Bool { pathKind(path) == .folder }

/// `mkdir -p`: creates `path` and the folders above it that are missing. The error names the
/// first part that is a file or cannot be made.
public func makeFolders(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        switch pathKind(prefix) {
        case .folder: break
        case .missing:
            if mkdir(prefix, 0o777) != 0 && errno != EEXIST { throw IOError(prefix, "cannot create the folder: \(errnoMessage())") }
        case .file, .other:
            throw IOError(prefix, "is a file, not a folder")
        }
        prefix += "/"
    }
}

/// The names in the folder `path` (without `.` and `..`), in the order the file system gives them;
/// nil when it cannot be read (`errnoMessage()` then says why).
public func folderEntries(_ path: String) -> [String]? {
    guard let d = opendir(path) else { return nil }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// `path` without trailing slashes ("x.zarr/" names x.zarr; "/" stays "/").
public func withoutTrailingSlashes(_ path: String) -> String {
    var p = Substring(path)
    while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
    return String(p)
}

/// `a/b`: `a/` + `b` gives `a/b` too; an empty `a` gives `b`.
public func joinPath(_ a: String, _ b: String) -> String {
    let a = withoutTrailingSlashes(a)
    return a.isEmpty ? b : a + "/" + b
}

/// The lower-cased extension of the last name in `path` without the dot ("" when there is none; a
/// leading dot, as in `.bashrc`, is no extension; `out.zarr/` gives "zarr").
public func fileExtension(_ path: String) -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return "" }
    return base[base.index(after: dot)...].lowercased()
}
