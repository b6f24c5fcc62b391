import _Platform
import Runtime
import Language
import Commands
import Kernels

public let emshVersion = "0.1.0"

/// An interpreter set up the way every mode of emsh wants it: the registry, stdout/stderr sinks,
/// the stdlib search path, the prelude, the progress bar and a session.
final class Engine {
    let interpreter: Interpreter
    let session: ShellSession

    init(journal: Journal? = nil) {
        interpreter = Interpreter(registry: makeRegistry(), write: Output.out, warn: Output.err)
        session = ShellSession(journal: journal)
        session.interpreter = interpreter
        interpreter.session = session
        if ProgressCenter.renderer == nil { ProgressCenter.renderer = ProgressBar() }
        if let dir = Env.stdlibDirectory {
            interpreter.searchPaths = [dir]
            loadPrelude(dir + "/prelude.ems")
        } else {
            Output.err("warning: no stdlib folder found (set EMSH_STDLIB to emsh's stdlib/): the prelude did not load\n")
        }
    }

    /// The prelude runs like `source`; a broken prelude is a warning, never fatal.
    private func loadPrelude(_ path: String) {
        guard isFile(path) else {
            Output.err("warning: \(path) does not exist (check EMSH_STDLIB): the prelude did not load\n")
            return
        }
        do {
            let text = try withUserErrors { try readTextFile(path) }
            _ = try interpreter.run(text, file: path)
        } catch {
            Output.err("warning: the prelude did not load:\n" + interpreter.render(error))
        }
    }

    /// Runs a whole script (not shown statement by statement); returns the exit status.
    func runScript(_ text: String, file: String) -> Int32 {
        defer { Output.flush() }
        let program: Program
        do {
            program = try interpreter.parse(text, file: file)
        } catch {
            Output.err(interpreter.render(error))
            return 1
        }
        for s in program.statements {
            do {
                let v = try interpreter.execute(s)
                session.record(s.text, result: v)
            } catch let e as ExitRequest {
                return e.code
            } catch {
                Output.err(interpreter.render(error))
                return 1
            }
        }
        return 0
    }
}
