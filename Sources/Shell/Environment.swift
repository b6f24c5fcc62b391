#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Runtime

/// The shell's view of the process environment and file system (plain libc: start-up must stay cheap).
enum Env {
    static func get(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        let s = String(cString: p)
        return s.isEmpty ? nil : s
    }

    /// `$EMSH_HOME`, default `~/.local/share/emsh`.
    static var emshHome: String {
        if let h = get("EMSH_HOME") { return h }
        return (get("HOME") ?? "/tmp") + "/.local/share/emsh"
    }

    /// The running executable (`/proc/self/exe`), resolved.
    static var executablePath: String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The stdlib folder: `$EMSH_STDLIB`, else `stdlib/` in the first ancestor of the executable's folder
    /// that has one (`.build/release/emsh` → the package root), else the one of the source tree this
    /// binary was built from (a copy of the binary elsewhere on the same machine), else nil.
    static var stdlibDirectory: String? {
        if let s = get("EMSH_STDLIB") { return s }
        if var dir = executablePath.map(parent) {
            for _ in 0..<6 {
                let candidate = dir + "/stdlib"
                if isFile(candidate + "/prelude.ems") { return candidate }
                let up = parent(dir)
                if up == dir { break }
                dir = up
            }
        }
        let built = parent(parent(parent(#filePath))) + "/stdlib"  // Sources/Shell/Environment.swift → root
        return isFile(built + "/prelude.ems") ? built : nil
    }

    static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }


    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Local time formatted with strftime.
    static func localTime(_ format: String) -> String {
        var t = time(nil)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, format, &tmv)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Standard output through stdio (buffered; flushed before prompts, errors and exit).
enum Output {
    static func out(_ s: String) { fputs(s, stdout) }
    static func err(_ s: String) {
        fflush(stdout)
        fputs(s, stderr)
    }
    static func flush() { fflush(stdout) }
}
