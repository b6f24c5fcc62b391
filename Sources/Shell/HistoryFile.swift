#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Runtime

/// The persistent REPL history, `$EMSH_HOME/history`: one entry per line, newlines inside an
/// entry (a multi-line `def`) written as `\n` and backslashes as `\\`. Entries are appended as they
/// are entered, so parallel sessions don't overwrite each other; the file is trimmed at start-up.
final class HistoryFile {
    let path: String
    private var fd: Int32 = -1
    private(set) var entries: [String] = []
    static let keep = 1000

    /// Loads the file. Problems (a corrupt or unwritable file) are reported through `warn`; the
    /// history then works for this session only.
    init(path: String, warn: (String) -> Void) {
        self.path = path
        do {
            try makeFolders(Env.parent(path))
        } catch {
            warn("\(error) (history will not be saved)")
            return
        }
        if isFile(path) {
            do {
                let raw = try withUserErrors { try readWholeFile(path) }
                if let text = HistoryFile.validText(raw) {
                    entries = HistoryFile.decode(text)
                } else {
                    let aside = path + ".corrupt"
                    rename(path, aside)
                    warn("the history file \(path) is corrupt; moved it to \(aside) and started a new one")
                }
            } catch {
                warn("\(error) (starting with an empty history)")
            }
            if entries.count > 2 * HistoryFile.keep {
                entries = Array(entries.suffix(HistoryFile.keep))
                try? AtomicFile.write(text: entries.map { HistoryFile.encode($0) + "\n" }.joined(), to: path)
            }
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        if fd < 0 { warn("cannot write the history file \(path): \(errnoMessage()) (history will not be saved)") }
    }

    deinit { if fd >= 0 { close(fd) } }

    func append(_ entry: String) {
        entries.append(entry)
        if fd >= 0 && !writeFully(fd, HistoryFile.encode(entry) + "\n") {
            close(fd)
            fd = -1
        }
    }

    static func encode(_ entry: String) -> String {
        escaped(entry, ["\\": "\\\\", "\n": "\\n", "\r": "\\r"])
    }

    static func decode(_ text: String) -> [String] {
        var entries: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var out = ""
            var escaped = false
            for c in line {
                if escaped {
                    switch c {
                    case "n": out.append("\n")
                    case "r": out.append("\r")
                    default: out.append(c)
                    }
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else {
                    out.append(c)
                }
            }
            if !out.isEmpty { entries.append(out) }
        }
        return entries
    }

    /// UTF-8 text without NUL bytes, or nil.
    static func validText(_ bytes: [UInt8]) -> String? {
        if bytes.contains(0) { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
