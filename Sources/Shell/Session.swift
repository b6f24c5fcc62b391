import _Platform
import Runtime
import Language

/// The session behind `history` and `replay`: the statements run so far (and, in the REPL, the
/// journal they are written to).
final class ShellSession: SessionHost {
    weak var interpreter: Interpreter?
    private(set) var entries: [String] = []
    let journal: Journal?
    /// Statements run by a replay are not recorded again (only the `replay` statement is).
    private var replayDepth = 0

    init(journal: Journal? = nil) {
        self.journal = journal
    }

    /// A statement that ran; its result's digest goes to the journal.
    func record(_ text: String, result: Value) {
        guard replayDepth == 0 else { return }
        entries.append(text)
        journal?.record(text, result: result)
    }

    func recordFailure(_ text: String, interrupted: Bool) {
        guard replayDepth == 0 else { return }
        journal?.recordFailure(text, interrupted: interrupted)
    }

    // MARK: SessionHost

    func historyEntries() -> [String] { entries }

    func saveHistory(to path: String) throws {
        var text = "# emsh session saved \(Env.localTime("%Y-%m-%d %H:%M:%S")) · \(entries.count) statements\n"
        for e in entries { text += e + "\n" }
        try withUserErrors { try AtomicFile.write(text: text, to: expandHome(path)) }
    }

    func replay(path: String, verify: Bool) throws -> Value {
        guard let interpreter else { throw EmshError(.runtime, "replay: no interpreter") }
        guard replayDepth < 16 else { throw EmshError(.runtime, "replay: replays nested more than 16 deep") }
        let text = try withUserErrors { try readTextFile(expandHome(path)) }
        let program = try interpreter.parse(text, file: path)
        let recorded = Journal.recordedResults(in: text)
        if verify && recorded.isEmpty && !program.statements.isEmpty {
            throw EmshError(.value, "replay: \(path) holds no recorded results (`# =>` lines) to verify against; "
                            + "replay it without --verify, or record a session first")
        }
        replayDepth += 1
        defer { replayDepth -= 1 }
        let statements = program.statements
        var checked = 0
        for (i, s) in statements.enumerated() {
            let result = try interpreter.execute(s)
            guard verify else { continue }
            // The recording is the first `# =>` line after the statement's first line and before the next statement.
            let next = i + 1 < statements.count ? statements[i + 1].location.line : Int.max
            guard let rec = recorded.first(where: { $0.line > s.location.line && $0.line < next }) else { continue }
            let digest = result.digest.hex
            if digest != rec.digest {
                throw EmshError(.value, "result differs from the recording (digest \(digest), recorded \(rec.digest))",
                                at: SourceLocation(file: path, line: s.location.line, column: 1),
                                notes: rec.type != result.typeName ? ["the recorded result was a \(rec.type), this one is a \(result.typeName)"] : [])
            }
            checked += 1
        }
        if verify { Output.err("replay: \(checked) of \(statements.count) statements verified against \(path)\n") }
        return .null
    }
}


