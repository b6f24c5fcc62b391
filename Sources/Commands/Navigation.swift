import _Platform
import Runtime
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// `ls`, `cd`, `pwd`: moving around the file system. (`print`, `vars` and `help` live with the language builtins.)

let navigationCommands: [Command] = [
    Command(
        name: "ls", topic: .files,
        summary: "list files in the current folder, a folder or a glob pattern",
        help: """
        Without an argument lists the current folder; with a folder lists it; otherwise PATTERN is a
        glob (`data/*.png`). Folders end in `/`, hidden files are left out unless the pattern asks for
        them. Names are printed in columns; returns nil.
        """,
        positionals: [.optional("pattern", .string, "a folder or a glob pattern")],
        examples: [Example("ls /", "the root folder", expect: "tmp/")],
        run: { args, host in
            let pattern = args.has("pattern") ? try args.string("pattern") : nil
            let names = try FileListing.list(pattern)
            host.write(FileListing.columns(names, width: terminalColumns()))
            return .null
        }
    ),
    Command(
        name: "cd", topic: .files,
        summary: "change the current folder (relative paths resolve against it)",
        help: "Without an argument goes to $HOME. `~` at the start of DIR is the home folder. Returns nil.",
        positionals: [.optional("dir", .string, "the folder to go to")],
        examples: [Example("here = pwd; cd $here", "go back to a folder saved earlier")],
        run: { args, _ in
            var dir = args.has("dir") ? try args.string("dir") : "~"
            dir = expandHome(dir)
            guard chdir(dir) == 0 else {
                throw args.error("dir", "cannot go to \(dir): \(errnoMessage())", kind: .io)
            }
            return .null
        }
    ),
    Command(
        name: "pwd", topic: .files,
        summary: "the current folder, as a string",
        examples: [Example("pwd", "where relative paths start", expect: "/")],
        run: { args, _ in
            guard let cwd = currentDirectory() else { throw args.failure("cannot read the current folder: \(errnoMessage())", kind: .io) }
            return .string(cwd)
        }
    ),
]

// MARK: - ls

enum FileListing {
    static func list(_ pattern: String?) throws -> [String] {
        let p = pattern.map(expandHome) ?? "."
        if isFolder(p) { return try folder(p) }
        var g = glob_t()
        defer { globfree(&g) }
        let rc = glob(p, 0, nil, &g)
        if rc == GLOB_NOMATCH { throw EmshError(.io, "ls: nothing matches \(p)") }
        guard rc == 0 else { throw EmshError(.io, "ls: cannot list \(p)") }
        var names: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let c = g.gl_pathv[i] else { continue }
            let s = String(cString: c)
            names.append(isFolder(s) ? s + "/" : s)
        }
        return names
    }

    /// The visible entries of a folder, sorted; folders end in `/`.
    static func folder(_ dir: String) throws -> [String] {
        guard let entries = folderEntries(dir) else {
            throw EmshError(.io, "ls: cannot list \(dir): \(errnoMessage())")
        }
        var names: [String] = []
        for name in entries where !name.hasPrefix(".") {
            let full = dir == "." ? name : joinPath(dir, name)
            names.append(isFolder(full) ? name + "/" : name)
        }
        return names.sorted()
    }

    /// Names in columns, filled down then across, like ls.
    static func columns(_ names: [String], width: Int) -> String {
        guard !names.isEmpty else { return "" }
        let longest = names.map(\.count).max() ?? 1
        let colWidth = longest + 2
        let cols = max(1, min(names.count, width / colWidth))
        let rows = (names.count + cols - 1) / cols
        var out = ""
        for r in 0..<rows {
            var line = ""
            for c in 0..<cols {
                let i = c * rows + r
                guard i < names.count else { break }
                let last = (c + 1) * rows + r >= names.count
                line += last ? names[i] : names[i].padded(to: colWidth)
            }
            out += line + "\n"
        }
        return out
    }
}
