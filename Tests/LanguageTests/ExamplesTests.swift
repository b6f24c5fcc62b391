import Foundation
import Testing
import Language
import Runtime
import Commands

/// One example of one command, as a test argument.
struct CommandExample: CustomTestStringConvertible, Sendable {
    let command: String
    let example: Example
    /// One line (a string literal in an example may hold a newline, which would break the test log).
    var testDescription: String { "\(command): \(example.code)".replacingOccurrences(of: "\n", with: "\\n") }

    static let all: [CommandExample] = allCommands.flatMap { c in c.examples.map { CommandExample(command: c.name, example: $0) } }
}

/// Every example in every command's help runs without error in a fresh interpreter; when it declares
/// `expect`, the printed output or the displayed value of its last statement contains it.
@Test("command example runs", arguments: CommandExample.all)
func commandExample(_ e: CommandExample) throws {
    let out = OutputBuffer(), err = OutputBuffer()
    let interp = makeInterpreter(out, err)
    var shown = ""
    do {
        let value = try interp.run(e.example.code, file: "<example>")
        if case .null = value {} else { shown = value.display }
    } catch let x as ExitRequest {
        Issue.record("\(e.command) example exited with \(x.code)")
    } catch {
        Issue.record("\(e.command) example failed: \(interp.render(error))")
    }
    if let expect = e.example.expect {
        #expect(out.text.contains(expect) || shown.contains(expect),
                "\(e.command) example: expected \(expect) in output \(out.text) or value \(shown)")
    }
}

@Test("every command has examples, and there is at least one per command")
func examplesExist() {
    #expect(CommandExample.all.count >= allCommands.count)
}
