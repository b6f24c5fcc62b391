#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Runtime
import Language
import Kernels

/// The interactive shell: readline prompt, multi-line input, results shown, errors reported
/// without ending the session, every statement journaled.
final class REPL {
    let engine: Engine
    let history: HistoryFile
    /// Inputs read so far: each is its own source (`<repl:N>`), so an error inside a function defined by an
    /// earlier input quotes that input's line.
    private var inputCount = 0
    static let prompt = "emsh> "
    static let continuation = "  ...> "

    init() {
        let home = Env.emshHome
        let warn: (String) -> Void = { Output.err("warning: \($0)\n") }
        history = HistoryFile(path: home + "/history", warn: warn)
        var journal: Journal?
        do {
            journal = try Journal(directory: home + "/sessions", warn: warn)
        } catch {
            warn("\(error) (this session is not recorded)")
        }
        engine = Engine(journal: journal)
        engine.interpreter.setVariable("args", .list([]))
    }

    var interpreter: Interpreter { engine.interpreter }

    /// Runs until Ctrl-D or `exit`; returns the exit status.
    func run() -> Int32 {
        let interp = interpreter
        LineEditor.setUp(completer: Completer(
            registry: interp.registry,
            functions: { interp.functionNames },
            variables: { interp.variables() }))
        for e in history.entries { LineEditor.addHistory(e) }

        var pending = ""
        while true {
            Output.flush()
            guard let line = LineEditor.readLine(prompt: pending.isEmpty ? REPL.prompt : REPL.continuation) else {
                Output.flush()
                return 0
            }
            if LineEditor.interruptedAtPrompt {
                pending = ""
                continue
            }
            pending = pending.isEmpty ? line : pending + "\n" + line
            if Interpreter.needsMoreInput(pending) { continue }
            let input = pending
            pending = ""
            if input.trimmed.isEmpty { continue }
            if history.entries.last != input {
                LineEditor.addHistory(input)
                history.append(input)
            }
            if let code = execute(input) { return code }
        }
    }

    /// Runs one input; returns an exit status when the input asked to exit.
    func execute(_ input: String) -> Int32? {
        let program: Program
        do {
            inputCount += 1
            program = try interpreter.parse(input, file: "<repl:\(inputCount)>")
        } catch {
            Output.err(interpreter.render(error))
            engine.session.recordFailure(input, interrupted: false)
            return nil
        }
        for s in program.statements {
            Interrupt.clear()
            defer { Interrupt.clear() }
            do {
                let v = try interpreter.execute(s)
                engine.session.record(s.text, result: v)
                if !s.isAssignment, !v.isNil {
                    Output.out(v.display + "\n")
                }
                Output.flush()
            } catch let e as ExitRequest {
                Output.flush()
                return e.code
            } catch {
                if REPL.isInterruption(error) {
                    // After the terminal's `^C` echo, on a line of its own.
                    Output.err(isatty(2) == 1 ? "\ninterrupted\n" : "interrupted\n")
                    engine.session.recordFailure(s.text, interrupted: true)
                } else {
                    Output.err(interpreter.render(error))
                    engine.session.recordFailure(s.text, interrupted: false)
                }
                return nil
            }
        }
        return nil
    }

    static func isInterruption(_ error: any Error) -> Bool {
        if error is CancelledError { return true }
        if let e = error as? EmshError, e.kind == .interrupted { return true }
        return false
    }
}

extension Value {
    var isNil: Bool { if case .null = self { return true } else { return false } }
}
