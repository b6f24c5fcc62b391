import Foundation
import Testing
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// Every example in README.md runs through the real `emsh` binary and prints what the README shows
/// (the rules: `ReadmeBlocks`).
@Suite("README examples", .serialized)
struct ReadmeExamplesTests {
    static let readmePath = packageRoot + "/README.md"

    /// Shell commands that do not run here, by prefix, with the reason.
    static let skipped: [(prefix: String, reason: String)] = [
        ("scripts/demo", "release build plus minutes of training (CI runs scripts/demo on its own)"),
        ("scripts/test", "runs every test, including this one"),
        ("emsh stdlib/mito.ems ../shared/data/sbem-mito", "minutes of training on the real 1024×1024 slices, which are not in the repository"),
    ]

    @Test("every example block in README.md runs and prints what the README shows")
    func everyExampleRuns() throws {
        let text = try String(contentsOfFile: Self.readmePath, encoding: .utf8)
        let blocks = try ReadmeBlocks.parse(text)
        #expect(blocks.contains { $0.language == "emsh" }, "README.md has no emsh transcript")
        let binary = try Emsh.requireBinary()
        let work = try temporaryFolder("readme")
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createSymbolicLink(atPath: work + "/stdlib", withDestinationPath: packageRoot + "/stdlib")
        var home = try Self.freshHome()
        var homes = [home]
        defer { for h in homes { try? FileManager.default.removeItem(atPath: h) } }
        var replacements: [(block: ReadmeBlock, lines: [String])] = []
        var scriptFiles: [String: Int] = [:]   // file → README line, until a sh command mentions it

        for block in blocks {
            switch block.language {
            case "text":
                continue
            case "ems":
                guard let name = block.file else { continue }   // parse() already rejected this
                try (block.lines.joined(separator: "\n") + "\n").write(toFile: work + "/" + name, atomically: true, encoding: .utf8)
                scriptFiles[name] = block.line
            case "emsh":
                home = try Self.freshHome()
                homes.append(home)
                let inputs = block.lines.compactMap(Transcript.input)
                let screen = try Transcript.run(binary: binary, inputs: inputs, directory: work, environment: Self.environment(home: home, binary: binary))
                try check(block, expected: block.lines, actual: screen, replacements: &replacements)
            case "sh":
                var out: [String] = []
                for command in ShellSession.commands(block.lines) {
                    out.append("$ " + command.text)
                    for name in scriptFiles.keys where command.text.contains(name) { scriptFiles[name] = nil }
                    if Self.skipped.contains(where: { command.text.hasPrefix($0.prefix) }) {
                        out.append(contentsOf: command.expected)
                        continue
                    }
                    let r = try ShellSession.run(command.text, directory: work, environment: Self.environment(home: home, binary: binary))
                    let expectsError = command.expected.contains { $0.hasPrefix("error:") }
                    if expectsError {
                        #expect(r.status != 0, "README.md:\(block.line): `\(command.text)` should fail, as its output shows, but exited 0")
                    } else {
                        #expect(r.status == 0, "README.md:\(block.line): `\(command.text)` exited \(r.status):\n\(r.output)")
                    }
                    out.append(contentsOf: r.lines)
                }
                try check(block, expected: block.lines, actual: out, replacements: &replacements)
            default:
                Issue.record("README.md:\(block.line): unknown example language \(block.language)")
            }
        }
        for (name, line) in scriptFiles {
            Issue.record("README.md:\(line): the script \(name) is never run by a later sh block")
        }
        if !replacements.isEmpty {
            try ReadmeBlocks.rewrite(Self.readmePath, replacements)
        }
    }

    /// Compares a block with what ran, recording a readable difference (or, in update mode, the new lines).
    func check(_ block: ReadmeBlock, expected: [String], actual: [String], replacements: inout [(block: ReadmeBlock, lines: [String])]) throws {
        let shown = { (lines: [String]) in lines.filter { !LineMatcher.isProgressBar($0) } }
        if LineMatcher.matches(shown(expected), shown(actual)) { return }
        if ProcessInfo.processInfo.environment["EMSH_UPDATE_README_EXAMPLES"] == "1" {
            replacements.append((block, LineMatcher.merge(old: expected, new: actual)))
            return
        }
        Issue.record("""
            README.md:\(block.line): the \(block.language) example prints something else now \
            (update with EMSH_UPDATE_README_EXAMPLES=1 and review the diff):
            \(LineMatcher.difference(expected, actual))
            """)
    }

    static func freshHome() throws -> String { try temporaryFolder("readme-home") }

    static func environment(home: String, binary: String) -> [String: String] {
        let bin = (binary as NSString).deletingLastPathComponent
        var env = Emsh.environment(home: home, extra: ["EMSH_HOME": home + "/.local/share/emsh"])
        env["PATH"] = bin + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["LC_ALL"] = "C.UTF-8"
        return env
    }

    // MARK: the rules themselves

    @Test("`…` matches text within a line, a line of `…` matches any lines, everything else exactly")
    func wildcardRules() {
        #expect(LineMatcher.matches(["F = 0.944"], ["F = 0.944"]))
        #expect(!LineMatcher.matches(["F = 0.944"], ["F = 0.945"]))
        #expect(LineMatcher.matches(["time: … s"], ["time: 9.313 s"]))
        #expect(!LineMatcher.matches(["time: … s"], ["time: 9.313 ms"]))
        #expect(LineMatcher.matches(["train ▕…▏ 100% 30/30 · loss 0.57 · …"], ["train ▕████▏ 100% 30/30 · loss 0.57 · 1.9 steps/s · 0:16"]))
        #expect(!LineMatcher.matches(["train ▕…▏ 100% 30/30 · loss 0.57 · …"], ["train ▕████▏ 100% 30/30 · loss 0.58 · 1.9 steps/s"]))
        #expect(LineMatcher.matches(["a", "…", "d"], ["a", "b", "c", "d"]))
        #expect(LineMatcher.matches(["a", "…", "d"], ["a", "d"]))
        #expect(!LineMatcher.matches(["a", "…", "d"], ["a", "b", "c"]))
        #expect(!LineMatcher.matches(["a", "b"], ["a", "b", "c"]))
        #expect(LineMatcher.isProgressBar("infer ▕████▏ 100% 6/6 · 0:03") && !LineMatcher.isProgressBar("F = 0.9 ▕"))
        #expect(LineMatcher.matches(["x…y…z"], ["xAyBz"]) && !LineMatcher.matches(["x…y…z"], ["xAzBy"]))
        // The update keeps an old line wherever it still matches and takes the new one elsewhere.
        #expect(LineMatcher.merge(old: ["emsh> x", "time: … s", "1"], new: ["emsh> x", "time: 2 s", "2"]) == ["emsh> x", "time: … s", "2"])
    }

    @Test("blocks are found by their fence; unknown fences, indented code and unrun prompts are errors")
    func blockRules() throws {
        let md = """
            # t
            ```emsh
            emsh> print 1
            1
            ```
            text
            ```ems file=a.ems
            print 2
            ```
            <!-- reference:begin (generated) -->
                help example
            ```python
            ignored in the generated part
            ```
            <!-- reference:end -->
            ```sh
            $ emsh a.ems
            2
            ```
            """
        let blocks = try ReadmeBlocks.parse(md)
        #expect(blocks.map(\.language) == ["emsh", "ems", "sh"])
        #expect(blocks[0].line == 3 && blocks[0].lines == ["emsh> print 1", "1"])
        #expect(blocks[1].file == "a.ems")
        #expect(blocks[2].line == 17)
        #expect(ShellSession.commands(blocks[2].lines).map(\.text) == ["emsh a.ems"])
        #expect(ShellSession.commands(blocks[2].lines).map(\.expected) == [["2"]])
        #expect(blocks[0].lines.compactMap(Transcript.input) == ["print 1"])
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("```\nemsh> x\n```\n") }
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("```python\nx\n```\n") }
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("```text\nemsh> x\n```\n") }
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("```ems\nprint 1\n```\n") }
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("para\n\n    emsh -c 'print 1'\n") }
        #expect(throws: ReadmeError.self) { try ReadmeBlocks.parse("```emsh\nemsh> x\n") }
    }

    @Test("the terminal renderer follows carriage returns and erase-line like a terminal")
    func rendering() {
        let raw = Array("emsh> m = train\r\n\u{1B}[?2004ltrain ▕▏ 3% 1/30\u{1B}[K\rtrain ▕█▏ 100% 30/30\u{1B}[K\r\nemsh> ".utf8)
        #expect(Transcript.render(raw) == ["emsh> m = train", "train ▕█▏ 100% 30/30", "emsh> "])
        #expect(Transcript.render(Array("abcdef\rXY\r\n".utf8)) == ["XYcdef", ""])
    }
}

// MARK: - README blocks

struct ReadmeError: Error, CustomStringConvertible {
    let description: String
}

struct ReadmeBlock {
    var language: String
    var file: String?
    /// The README line (1-based) of the block's first content line.
    var line: Int
    var lines: [String]
}

/// The examples of README.md, and how `ReadmeExamplesTests` runs them.
///
/// The README marks its examples with the fence's language (outside the generated command reference,
/// whose examples are the registry's help examples, run by the Language tests):
///
/// - ` ```emsh ` — a REPL transcript: lines starting with `emsh> ` (or the continuation prompt
///   `  ...> `) are typed, every other line is what the terminal shows. Each block is one emsh session
///   at a pseudo-terminal 160 columns wide, and the whole screen must match the block.
/// - ` ```sh ` — a shell session: `$ COMMAND` lines run with `/bin/sh -c`, the lines below a command are
///   its output (stdout and stderr together). A command must exit 0 unless its output shows an `error:`.
///   Commands in `skipped` below do not run (each with its reason).
/// - ` ```ems file=NAME ` — a script written to NAME before the blocks after it run; a later `sh` block
///   must run it.
/// - ` ```text ` — not an example (a synopsis, a file layout); it may hold no `emsh> ` or `$ ` line.
///
/// Any other fence, or a fence without a language, is an error, so no example escapes the test.
/// In expected output, `…` matches any text within a line, and a line that is only `…` matches any
/// number of lines (timings, absolute paths); every other character must match, so
/// the numbers an example shows are checked. Progress-bar lines (`train ▕…▏ 100% …`) are shown in
/// the README as a terminal leaves them but not compared: they appear only for tasks slower than a
/// quarter second, which depends on the machine. All blocks run in README order in one fresh working
/// folder (with a link `stdlib` to the package's stdlib, as in a clone); every `emsh` block gets a
/// fresh HOME (EMSH_HOME = ~/.local/share/emsh) which the `sh` blocks after it share, so they can
/// replay its journal. EMSH_THREADS=1, as in the other shell tests: the README's numbers were recorded so.
///
/// `EMSH_UPDATE_README_EXAMPLES=1 swift test --filter ReadmeExamples` rewrites the outputs of `emsh` and
/// `sh` blocks from what emsh prints now, keeping an old line (with its wildcards) wherever it still
/// matches. Review the diff: the wildcards of changed lines are lost.
enum ReadmeBlocks {
    static let languages: Set<String> = ["emsh", "sh", "ems", "text"]

    /// The fenced blocks outside the generated reference, in order; throws on anything that would escape the test.
    static func parse(_ text: String) throws -> [ReadmeBlock] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [ReadmeBlock] = []
        var inGenerated = false
        var i = 0
        while i < lines.count {
            let l = lines[i]
            if l.hasPrefix("<!-- reference:begin") { inGenerated = true; i += 1; continue }
            if l.hasPrefix("<!-- reference:end") { inGenerated = false; i += 1; continue }
            if inGenerated { i += 1; continue }
            if l.hasPrefix("    "), l.trimmingCharacters(in: .whitespaces) != "", i > 0,
               lines[i - 1].trimmingCharacters(in: .whitespaces).isEmpty {
                throw ReadmeError(description: "README.md:\(i + 1): an indented code block; fence it with a language (emsh, sh, ems file=NAME or text)")
            }
            guard l.hasPrefix("```") else { i += 1; continue }
            let info = l.dropFirst(3).split(separator: " ").map(String.init)
            guard let language = info.first else {
                throw ReadmeError(description: "README.md:\(i + 1): a fence without a language; use emsh, sh, ems file=NAME or text")
            }
            guard languages.contains(language) else {
                throw ReadmeError(description: "README.md:\(i + 1): unknown fence language \(language); use emsh, sh, ems file=NAME or text")
            }
            var body: [String] = []
            var j = i + 1
            while j < lines.count, !lines[j].hasPrefix("```") { body.append(lines[j]); j += 1 }
            guard j < lines.count else { throw ReadmeError(description: "README.md:\(i + 1): the fence is never closed") }
            var block = ReadmeBlock(language: language, file: nil, line: i + 2, lines: body)
            if language == "ems" {
                guard let f = info.dropFirst().first(where: { $0.hasPrefix("file=") }) else {
                    throw ReadmeError(description: "README.md:\(i + 1): an ems block needs file=NAME (a later sh block runs it)")
                }
                block.file = String(f.dropFirst(5))
            }
            if language == "text", body.contains(where: { $0.hasPrefix("emsh> ") || $0.hasPrefix("$ ") }) {
                throw ReadmeError(description: "README.md:\(i + 1): a text block holds a prompt; make it an emsh or sh example")
            }
            if language == "emsh", Transcript.input(body.first ?? "") == nil {
                throw ReadmeError(description: "README.md:\(i + 2): an emsh transcript starts with an `emsh> ` line")
            }
            blocks.append(block)
            i = j + 1
        }
        return blocks
    }

    /// Replaces the bodies of the given blocks in the file (update mode).
    static func rewrite(_ path: String, _ replacements: [(block: ReadmeBlock, lines: [String])]) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (block, new) in replacements.sorted(by: { $0.block.line > $1.block.line }) {
            let start = block.line - 1
            lines.replaceSubrange(start..<(start + block.lines.count), with: new)
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

// MARK: - Matching

enum LineMatcher {
    static let wildcard: Character = "…"

    /// A live progress bar's last state (`train ▕███▏ 100% …`): it appears only when the task takes
    /// longer than a quarter second, so it is left out of the comparison on both sides.
    static func isProgressBar(_ line: String) -> Bool {
        line.range(of: "^[a-z]+ ▕", options: .regularExpression) != nil
    }

    /// One expected line against one actual line: `…` matches any text.
    static func lineMatches(_ expected: String, _ actual: String) -> Bool {
        guard expected.contains(wildcard) else { return expected == actual }
        let parts = expected.split(separator: wildcard, omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, let last = parts.last, actual.hasPrefix(first) else { return false }
        var rest = actual[actual.index(actual.startIndex, offsetBy: first.count)...]
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return parts.count > 1 ? rest.hasSuffix(last) : rest.isEmpty
    }

    /// Whole blocks: a line that is only `…` matches any number of lines.
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (actual.count + 1) + j
            if let m = memo[key] { return m }
            let r: Bool
            if i == expected.count {
                r = j == actual.count
            } else if expected[i] == String(wildcard) {
                r = go(i + 1, j) || (j < actual.count && go(i, j + 1))
            } else {
                r = j < actual.count && lineMatches(expected[i], actual[j]) && go(i + 1, j + 1)
            }
            memo[key] = r
            return r
        }
        return go(0, 0)
    }

    /// The new lines, keeping an old line (and its wildcards) wherever one of the next few still matches.
    static func merge(old: [String], new: [String]) -> [String] {
        var out: [String] = []
        var k = 0
        for line in new {
            let window = old[min(k, old.count)..<min(k + 4, old.count)]
            if let hit = window.firstIndex(where: { $0 != String(wildcard) && lineMatches($0, line) }) {
                out.append(old[hit])
                k = hit + 1
            } else {
                out.append(line)
            }
        }
        return out
    }

    /// The first differing line, with some context.
    static func difference(_ expected: [String], _ actual: [String]) -> String {
        var i = 0
        while i < expected.count, i < actual.count, expected[i] != String(wildcard), lineMatches(expected[i], actual[i]) { i += 1 }
        let from = max(0, i - 2)
        let exp = expected[from..<min(expected.count, i + 3)].map { "    " + $0 }.joined(separator: "\n")
        let act = actual[from..<min(actual.count, i + 3)].map { "    " + $0 }.joined(separator: "\n")
        return "at line \(i + 1) of the block, the README shows\n\(exp)\nand emsh printed\n\(act)\n(whole output:\n\(actual.joined(separator: "\n")))"
    }
}

// MARK: - Shell blocks

enum ShellSession {
    struct Command {
        var text: String
        var expected: [String]
    }

    /// `$ COMMAND` lines with the output lines below each.
    static func commands(_ lines: [String]) -> [Command] {
        var out: [Command] = []
        for l in lines {
            if l.hasPrefix("$ ") {
                out.append(Command(text: String(l.dropFirst(2)), expected: []))
            } else if !out.isEmpty {
                out[out.count - 1].expected.append(l)
            }
        }
        return out
    }

    struct Result {
        var status: Int32
        var output: String
        var lines: [String] {
            var l = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if l.last == "" { l.removeLast() }
            return l
        }
    }

    /// Runs a command line with /bin/sh, stdout and stderr into one file (so their order is kept).
    static func run(_ command: String, directory: String, environment: [String: String]) throws -> Result {
        let folder = try temporaryFolder("readme-sh")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outPath = folder + "/out"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close()
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, output: text)
    }
}

// MARK: - REPL transcripts at a pseudo-terminal

enum Transcript {
    static let prompts = ["emsh> ", "  ...> "]
    static let columns: UInt16 = 160

    /// The typed text of a transcript line, or nil for an output line.
    static func input(_ line: String) -> String? {
        for p in prompts where line.hasPrefix(p) { return String(line.dropFirst(p.count)) }
        if line == "emsh>" { return "" }
        return nil
    }

    /// Types every input after the previous prompt, ends with Ctrl-D, returns the rendered screen
    /// without the final empty prompt.
    static func run(binary: String, inputs: [String], directory: String, environment: [String: String]) throws -> [String] {
        let t = try Terminal(binary, directory: directory, environment: environment, columns: columns)
        guard t.waitForPrompts(1) else { throw ReadmeError(description: "emsh showed no prompt: \(render(t.raw).joined(separator: "\n"))") }
        for (k, line) in inputs.enumerated() {
            guard line.utf8.count + 8 < Int(columns) else {
                throw ReadmeError(description: "the input line is too long for the \(columns)-column terminal (readline would wrap it): \(line)")
            }
            t.send(line + "\n")
            guard t.waitForPrompts(k + 2) else {
                throw ReadmeError(description: "no prompt after `\(line)` within \(Int(Terminal.lineTimeout)) s:\n\(render(t.raw).joined(separator: "\n"))")
            }
        }
        t.send("\u{4}")
        _ = t.waitForExit()
        var screen = render(t.raw)
        while let last = screen.last, last.trimmingCharacters(in: .whitespaces).isEmpty || last == "emsh> " || last == "emsh> exit" {
            screen.removeLast()
        }
        return screen
    }

    /// What a terminal shows for these bytes: escape sequences dropped (erase-to-end-of-line honoured),
    /// carriage return back to the line's start, later text overwriting earlier.
    static func render(_ bytes: [UInt8]) -> [String] {
        let chars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
        var lines: [String] = []
        var line: [Unicode.Scalar] = []
        var cursor = 0
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\u{1B}":
                if i + 1 < chars.count, chars[i + 1] == "[" {
                    var j = i + 2
                    while j < chars.count, !(0x40...0x7E).contains(chars[j].value) { j += 1 }
                    if j < chars.count, chars[j] == "K" { line.removeSubrange(min(cursor, line.count)...) }
                    i = j + 1
                } else if i + 1 < chars.count, chars[i + 1] == "]" {
                    var j = i + 2
                    while j < chars.count, chars[j] != "\u{7}", chars[j] != "\u{1B}" { j += 1 }
                    i = j + 1
                } else {
                    i += 2
                }
                continue
            case "\n":
                lines.append(String(String.UnicodeScalarView(line)))
                line = []
                cursor = 0
            case "\r":
                cursor = 0
            case "\u{8}":
                cursor = max(0, cursor - 1)
            case "\u{7}":
                break
            default:
                if cursor < line.count { line[cursor] = c } else { line.append(c) }
                cursor += 1
            }
            i += 1
        }
        lines.append(String(String.UnicodeScalarView(line)))
        return lines
    }

    /// A program at a pseudo-terminal whose raw output is kept.
    /// The README's terminal: a `PseudoTerminal` and a count of the prompts it has shown.
    final class Terminal {
        static let lineTimeout = 180.0
        private let tty: PseudoTerminal
        var raw: [UInt8] { tty.raw }
        private var promptCount = 0
        private var scanned = 0

        init(_ executable: String, directory: String, environment: [String: String], columns: UInt16) throws {
            tty = try PseudoTerminal(executable, environment: environment, directory: directory, columns: columns, rows: 50)
        }

        func send(_ text: String) { tty.send(text) }

        /// Waits until `n` prompts (main or continuation) have been shown in all.
        func waitForPrompts(_ n: Int) -> Bool {
            tty.pump(seconds: Self.lineTimeout) {
                countPrompts()
                return promptCount >= n
            }
        }

        private func countPrompts() {
            let raw = tty.raw
            let patterns = Transcript.prompts.map { Array($0.utf8) }
            var i = scanned
            scan: while i < raw.count {
                var partial = false
                for p in patterns {
                    let avail = min(p.count, raw.count - i)
                    if raw[i..<(i + avail)].elementsEqual(p[0..<avail]) {
                        if avail == p.count {
                            promptCount += 1
                            i += p.count
                            continue scan
                        }
                        partial = true
                    }
                }
                if partial { break }   // a prompt may still be arriving
                i += 1
            }
            scanned = i
        }

        func waitForExit(timeout: Double = 10) -> Int32? { tty.waitForExit(timeout: timeout) }
    }
}
