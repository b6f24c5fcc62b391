import _Platform
import Runtime
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// `history` and `replay`: the recorded session, provided by the shell through `SessionHost`.
// `source`, `time` and `exit` live with the language builtins.

let sessionCommands: [Command] = [
    Command(
        name: "history", topic: .session,
        summary: "list the statements run in this session, or save them as a script",
        help: """
        Every statement that ran without an error is part of the session (the REPL also journals it to
        $EMSH_HOME/sessions/ as it goes). Without options, prints them numbered. With --save FILE,
        writes them as a clean script (no result digests, no failed statements; written atomically)
        that `emsh FILE` or `replay FILE` runs again. Outside a recorded session the list is empty.
        Returns nil.
        """,
        options: [.option("save", .string, "write the session to this script file")],
        examples: [
            Example("x = 1; history", "the statements so far"),
            Example("history --save /tmp/emsh-history-example.ems", "save the session as a script"),
        ],
        run: { args, host in
            if args.has("save") {
                let path = try args.string("save")
                if let session = host.session {
                    do { try session.saveHistory(to: path) } catch let e as EmshError { throw e.located(args.location(of: "save")) }
                } else {
                    try writeEmptyScript(path, args: args)
                }
                return .null
            }
            let entries = host.session?.historyEntries() ?? []
            let width = String(entries.count).count
            var out = ""
            for (i, e) in entries.enumerated() {
                let lines = e.split(separator: "\n", omittingEmptySubsequences: false)
                out += String(i + 1).leftPadded(to: width + 2) + "  " + lines[0] + "\n"
                for l in lines.dropFirst() { out += String(repeating: " ", count: width + 4) + l + "\n" }
            }
            host.write(out)
            return .null
        }
    ),
    Command(
        name: "replay", topic: .session,
        summary: "re-run a recorded session (or a script) in the current scope; --verify checks every result",
        help: """
        Runs the statements of FILE (a journal from $EMSH_HOME/sessions/, or a script saved by
        `history --save`) in the current scope. Statements that failed or were interrupted when the
        session was recorded are comments in the journal and do not run. With --verify, the digest of
        every statement's result is compared with the `# => DIGEST TYPE` line recorded after it, and
        replay stops with an error naming the line of the first statement whose result differs
        (`emsh --replay FILE --verify` does the same from the command line and exits 1).
        Returns nil.
        """,
        positionals: [.positional("file", .string, "the journal or script to run")],
        options: [.flag("verify", "fail at the first statement whose result digest differs from the recording")],
        examples: [
            Example("history --save /tmp/emsh-replay-example.ems; replay /tmp/emsh-replay-example.ems",
                    "save the session so far and run it again"),
        ],
        run: { args, host in
            let path = try args.string("file")
            let verify = args.flag("verify")
            if let session = host.session {
                return try session.replay(path: path, verify: verify)
            }
            if verify {
                throw args.failure("--verify needs a recorded session: run `emsh --replay \(path) --verify`", kind: .argument)
            }
            // Without the shell's session, a journal is still a script: its failed statements are comments.
            _ = try host.source(path: path, at: args.location(of: "file"))
            return .null
        }
    ),
]

/// `history --save` outside a session: a script with no statements.
private func writeEmptyScript(_ path: String, args: Arguments) throws {
    try AtomicFile.write(text: "# emsh session (no statements recorded)\n", to: expandHome(path))
}
