#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Runtime
import VolumeIO

/// Files and folders from scripts: tests, folder creation, globbing, path parts, environment variables.
let pathCommands: [Command] = [
    Command(
        name: "exists", topic: .files,
        summary: "true when a file or folder exists",
        positionals: [.positional("path", .string, "a file or folder (relative to the current folder; ~ is home)")],
        examples: [Example("exists /tmp", "a folder", expect: "true")],
        run: { args, _ in
            var st = stat()
            return .bool(stat(expandHome(try args.string("path")), &st) == 0)
        }
    ),
    Command(
        name: "mkdir", topic: .files,
        summary: "create a folder and its missing parents (like mkdir -p)",
        help: "A folder that exists already is fine; a file in the way is an error naming it. Returns the path.",
        positionals: [.positional("path", .string, "the folder to create")],
        examples: [
            Example("mkdir /tmp/emsh-example-mkdir/a/b; exists /tmp/emsh-example-mkdir/a/b", "nested folders", expect: "true"),
        ],
        run: { args, _ in
            let path = try args.string("path")
            guard !path.isEmpty else { throw args.error("path", "the path is empty") }
            let full = expandHome(path)
            do { try makeFolders(full) } catch let e as IOError {
                throw args.error("path", e.description, kind: .io)
            }
            return .string(path)
        }
    ),
    Command(
        name: "glob", topic: .files,
        summary: "the files and folders matching a pattern, as a sorted list",
        help: """
        PATTERN is a shell glob (`*`, `?`, `[abc]`, `{png,tif}`, `~`), relative to the current folder; the paths
        come back as the pattern spells them, in natural order (img2 before img10, like `load`). A pattern that
        matches nothing gives an empty list.
        """,
        positionals: [.positional("pattern", .string, "a glob such as data/*.png")],
        examples: [
            Example("mkdir /tmp/emsh-example-glob; save (table {a: [1]}) /tmp/emsh-example-glob/t10.csv; save (table {a: [2]}) /tmp/emsh-example-glob/t9.csv; glob \"/tmp/emsh-example-glob/*.csv\"",
                    "files in natural order", expect: "[\"/tmp/emsh-example-glob/t9.csv\", \"/tmp/emsh-example-glob/t10.csv\"]"),
        ],
        run: { args, _ in
            let pattern = try args.string("pattern")
            var g = glob_t()
            defer { globfree(&g) }
            let rc = glob(pattern, GLOB_TILDE | GLOB_BRACE, nil, &g)
            if rc == GLOB_NOMATCH { return .list([]) }
            guard rc == 0 else { throw args.error("pattern", "cannot expand '\(pattern)' (glob error \(rc))", kind: .io) }
            let paths = (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
            return .list(paths.sorted(by: naturalLess).map { .string($0) })
        }
    ),
    Command(
        name: "basename", topic: .files,
        summary: "the last part of a path (the file name), optionally without SUFFIX",
        positionals: [
            .positional("path", .string, "a path"),
            .optional("suffix", .string, "an ending to remove, such as .png"),
        ],
        examples: [
            Example("basename data/train/img_007.png .png", "a file name without its extension", expect: "img_007"),
        ],
        run: { args, _ in
            let name = pathParts(try args.string("path")).name
            guard let suffix = args["suffix"]?.display, name.hasSuffix(suffix), name != suffix else { return .string(name) }
            return .string(String(name.dropLast(suffix.count)))
        }
    ),
    Command(
        name: "dirname", topic: .files,
        summary: "the folder part of a path (\".\" for a bare file name)",
        positionals: [.positional("path", .string, "a path")],
        examples: [Example("dirname data/train/img_007.png", "the folder of a file", expect: "data/train")],
        run: { args, _ in .string(pathParts(try args.string("path")).folder) }
    ),
    Command(
        name: "env", topic: .files,
        summary: "an environment variable, or nil when it is not set",
        positionals: [.positional("name", .string, "the variable's name, such as HOME")],
        examples: [
            Example("print (env HOME)", "the home folder"),
            Example("d = env EMSH_EXAMPLE_UNSET; if $d == nil { d = \"data\" }; print $d", "a default when unset", expect: "data"),
        ],
        run: { args, _ in getenv(try args.string("name")).map { .string(String(cString: $0)) } ?? .null }
    ),
]

/// A path's folder and last part, like POSIX dirname and basename: "a/b/" → ("a", "b"), "b" → (".", "b"), "/" → ("/", "/").
func pathParts(_ path: String) -> (folder: String, name: String) {
    var p = Substring(path)
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    if p == "/" { return ("/", "/") }
    guard let slash = p.lastIndex(of: "/") else { return (".", String(p)) }
    var folder = p[..<slash]
    while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
    return (folder.isEmpty ? "/" : String(folder), String(p[p.index(after: slash)...]))
}
