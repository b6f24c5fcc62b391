#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform

/// Image file extensions a folder given as a pattern contributes.
let imageExtensions: Set<String> = ["png", "tif", "tiff"]

/// Expands a file pattern to the files it names, in natural order (`img2` before `img10`).
///
/// - A pattern with `*`, `?` or `[...]` is a shell glob (`~` expands to the home folder);
///   only regular files are kept.
/// - A folder means every `.png`, `.tif` and `.tiff` file in it.
/// - A plain path must exist.
/// Relative patterns are taken relative to `cwd`. Throws `IOError` naming the pattern when
/// nothing matches.
public func expandPattern(_ pattern: String, relativeTo cwd: String) throws -> [String] {
    if pattern.isEmpty { throw IOError(pattern, "empty file pattern") }
    let full: String
    let cwdForGlob: String
    if pattern.hasPrefix("/") || pattern.hasPrefix("~") {
        full = pattern
        cwdForGlob = pattern
    } else {
        let c = cwd.hasSuffix("/") ? String(cwd.dropLast()) : cwd
        full = c + "/" + pattern
        cwdForGlob = escapeGlob(c) + "/" + pattern
    }
    let isGlob = pattern.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    if !isGlob {
        let path = pattern.hasPrefix("~") ? expandHome(pattern) : full
        let kind = pathKind(path)
        guard kind != .missing else { throw IOError(pattern, "no such file or folder") }
        if kind == .folder {
            let files = try listImages(in: path, pattern: pattern)
            if files.isEmpty { throw IOError(pattern, "folder holds no .png or .tif files") }
            return files
        }
        return [path]
    }
    var g = glob_t()
    defer { globfree(&g) }
    let rc = glob(cwdForGlob, GLOB_TILDE | GLOB_BRACE, nil, &g)
    if rc == GLOB_NOMATCH { throw IOError(pattern, "no files match") }
    if rc != 0 { throw IOError(pattern, "cannot expand the pattern (glob error \(rc))") }
    var out: [String] = []
    for i in 0..<Int(g.gl_pathc) {
        guard let p = g.gl_pathv[i] else { continue }
        let s = String(cString: p)
        if isFile(s) { out.append(s) }
    }
    if out.isEmpty { throw IOError(pattern, "no files match") }
    return out.sorted(by: naturalLess)
}

private func listImages(in dir: String, pattern: String) throws -> [String] {
    guard let entries = folderEntries(dir) else { throw IOError(pattern, "cannot read folder: \(errnoMessage())") }
    var out: [String] = []
    for name in entries where !name.hasPrefix(".") {
        guard let dot = name.lastIndex(of: ".") else { continue }
        let ext = name[name.index(after: dot)...].lowercased()
        guard imageExtensions.contains(ext) else { continue }
        let path = joinPath(dir, name)
        if isFile(path) { out.append(path) }
    }
    return out.sorted(by: naturalLess)
}

private func escapeGlob(_ s: String) -> String {
    var out = ""
    for c in s {
        if c == "*" || c == "?" || c == "[" || c == "]" || c == "\\" || c == "{" || c == "}" { out.append("\\") }
        out.append(c)
    }
    return out
}

/// Natural order: runs of digits compare by value (`a2` < `a10`), the rest byte-wise;
/// ties (`a01` vs `a1`) fall back to plain byte order, so the order is total.
public func naturalLess(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var i = 0, j = 0
    func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            var i2 = i, j2 = j
            while i2 < x.count && isDigit(x[i2]) { i2 += 1 }
            while j2 < y.count && isDigit(y[j2]) { j2 += 1 }
            var si = i, sj = j
            while si < i2 - 1 && x[si] == 48 { si += 1 }
            while sj < j2 - 1 && y[sj] == 48 { sj += 1 }
            let li = i2 - si, lj = j2 - sj
            if li != lj { return li < lj }
            for k in 0..<li where x[si + k] != y[sj + k] { return x[si + k] < y[sj + k] }
            i = i2
            j = j2
        } else {
            if x[i] != y[j] { return x[i] < y[j] }
            i += 1
            j += 1
        }
    }
    if (x.count - i) != (y.count - j) { return (x.count - i) < (y.count - j) }
    return x.lexicographicallyPrecedes(y)
}
