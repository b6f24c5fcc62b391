import Foundation
import Language
import Runtime
import Commands
import TestSupport

/// What running a script printed and how it ended.
struct ScriptResult {
    var stdout: String
    var stderr: String
    var status: Int32
}

/// A fresh interpreter with captured output, the stdlib on the search path and the registry of every command.
func makeInterpreter(_ out: OutputBuffer, _ err: OutputBuffer) -> Interpreter {
    let interp = Interpreter(registry: makeRegistry(), write: { out.append($0) }, warn: { err.append($0) })
    interp.searchPaths = [packageRootURL.appendingPathComponent("stdlib").path]
    return interp
}

/// Runs a script the way `emsh FILE` does: the whole file is parsed first (a syntax error runs nothing),
/// then statements run in order; the first error is rendered to stderr and ends the script with status 1;
/// `exit N` ends it with N.
func runScript(_ text: String, file: String, args: [String] = [], prelude: Bool = true) -> ScriptResult {
    let out = OutputBuffer(), err = OutputBuffer()
    let interp = makeInterpreter(out, err)
    interp.setVariable("args", .list(args.map { .string($0) }))
    var status: Int32 = 0
    do {
        let preludePath = packageRootURL.appendingPathComponent("stdlib/prelude.ems").path
        if prelude, let text = try? String(contentsOfFile: preludePath, encoding: .utf8) {
            _ = try interp.run(text, file: preludePath)
        }
        let program = try interp.parse(text, file: file)
        for s in program.statements { _ = try interp.execute(s) }
    } catch let e as ExitRequest {
        status = e.code
    } catch {
        err.append(interp.render(error))
        status = 1
    }
    return ScriptResult(stdout: out.text, stderr: err.text, status: status)
}
