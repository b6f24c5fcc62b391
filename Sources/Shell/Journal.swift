#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Runtime

/// The journal of one REPL session: `$EMSH_HOME/sessions/<timestamp>.ems`, a script whose every
/// executed statement is followed by `# => DIGEST TYPE`, and whose failed or interrupted statements
/// are comments. Each record is written and fsynced before the next prompt.
final class Journal {
    let path: String
    private var fd: Int32
    private let warn: (String) -> Void
    private var broken = false

    /// Creates a new journal file in `directory` (created when missing).
    init(directory: String, warn: @escaping (String) -> Void) throws {
        try makeFolders(directory)
        let stamp = Env.localTime("%Y-%m-%dT%H-%M-%S")
        var attempt = 1
        while true {
            let name = directory + "/" + stamp + (attempt == 1 ? "" : "-\(attempt)") + ".ems"
            let fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
            if fd >= 0 {
                self.fd = fd
                self.path = name
                break
            }
            guard errno == EEXIST, attempt < 100 else {
                throw EmshError(.io, "cannot create the session journal \(name): \(errnoMessage())")
            }
            attempt += 1
        }
        self.warn = warn
        let cwd = currentDirectory() ?? "?"
        append("# emsh session \(Env.localTime("%Y-%m-%d %H:%M:%S")) · emsh \(emshVersion) · in \(cwd)\n"
               + "# replay with: emsh --replay \(path) --verify\n")
    }

    deinit { close(fd) }

    /// An executed statement and the digest of its result.
    func record(_ text: String, result: Value) {
        append(text + "\n" + Journal.resultLine(result) + "\n")
    }

    /// A statement that failed or was interrupted: kept as comments so a replay never runs it.
    func recordFailure(_ text: String, interrupted: Bool) {
        append(Journal.commented(text, prefix: interrupted ? "# interrupted: " : "# failed: "))
    }

    static func resultLine(_ v: Value) -> String { "# => \(v.digest.hex) \(v.typeName)" }

    static func commented(_ text: String, prefix: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var out = prefix + (lines.first.map(String.init) ?? "") + "\n"
        for l in lines.dropFirst() { out += "#   " + l + "\n" }
        return out
    }

    private func append(_ s: String) {
        guard !broken else { return }
        if !writeFully(fd, s) || fsync(fd) != 0 {
            broken = true
            warn("cannot write the session journal \(path): \(errnoMessage()) (journaling stopped)")
        }
    }

    /// The `# => DIGEST TYPE` lines of a journal, by 1-based line number.
    static func recordedResults(in text: String) -> [(line: Int, digest: String, type: String)] {
        var out: [(line: Int, digest: String, type: String)] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard line.hasPrefix("# => ") else { continue }
            let parts = line.dropFirst(5).split(separator: " ", maxSplits: 1)
            guard let d = parts.first, d.count == 16, d.allSatisfy(\.isHexDigit) else { continue }
            out.append((lineNo, String(d), parts.count > 1 ? String(parts[1]).trimmed : ""))
        }
        return out
    }
}
