import Testing
import Language
import Runtime
import Kernels
import Commands
import Foundation
import TestSupport

private func fresh() -> (Interpreter, OutputBuffer, OutputBuffer) {
    let out = OutputBuffer(), err = OutputBuffer()
    return (makeInterpreter(out, err), out, err)
}

@Test("needsMoreInput: open brackets, blocks, strings and a trailing pipe ask for more")
func needsMoreInput() {
    for text in ["x = (1 +", "x = [1,", "def f {", "if true {\n print a", "print \"abc", "x = 3 |", "r = {a: 1,",
                 "print \"$(1 +", "for i in (range 3) {\n  if true {\n"] {
        #expect(Interpreter.needsMoreInput(text), "\(text) should need more input")
    }
    for text in ["print 1", "x = 3 +", "x = )", "print \"a\"", "", "# comment", "if true { }", "x = [1, 2] # [", "x ="] {
        #expect(!Interpreter.needsMoreInput(text), "\(text) should be complete (or an error)")
    }
}

@Test("statements keep their exact text, location and whether they assign")
func statementText() throws {
    let (i, _, _) = fresh()
    let p = try i.parse("x = load a.png   # c\n  print $x ; y=[1,\n 2]\nif true { print 1 }", file: "t.ems")
    #expect(p.statements.map(\.text) == ["x = load a.png", "print $x", "y=[1,\n 2]", "if true { print 1 }"])
    #expect(p.statements.map(\.isAssignment) == [true, false, true, false])
    #expect(p.statements[1].location.line == 2)
    #expect(p.statements[1].location.column == 3)
}

@Test("parsing runs nothing: an unknown command is only an error when executed")
func parseRunsNothing() throws {
    let (i, out, _) = fresh()
    let p = try i.parse("print a\nnosuchcommand 1 2\nprint b", file: "t.ems")
    #expect(p.statements.count == 3)
    #expect(out.text == "")
    _ = try i.execute(p.statements[0])
    #expect(throws: EmshError.self) { try i.execute(p.statements[1]) }
    _ = try i.execute(p.statements[2])
    #expect(out.text == "a\nb\n")
}

@Test("a failing statement keeps every variable (REPL semantics)")
func errorKeepsVariables() throws {
    let (i, _, _) = fresh()
    _ = try i.run("a = 1; b = [2]", file: "<repl>")
    #expect(throws: EmshError.self) { try i.run("a = 5 / 0", file: "<repl>") }
    #expect(i.variable("a").map { $0.display } == "1")
    #expect(i.variable("b").map { $0.display } == "[2]")
}

@Test("statement values: expressions and calls give values, assignments report isAssignment")
func statementValues() throws {
    let (i, _, _) = fresh()
    #expect(try i.run("3 + 4", file: "<repl>").display == "7")
    #expect(try i.run("range 3", file: "<repl>").display == "[0, 1, 2]")
    #expect(try i.run("x = 5", file: "<repl>").display == "5")
    #expect(try i.run("$x", file: "<repl>").display == "5")
    i.setVariable("y", .string("set"))
    #expect(try i.run("\"$y!\"", file: "<repl>").display == "set!")
}

@Test("render: message, source line, caret under the column and notes")
func renderFormat() throws {
    let (i, _, _) = fresh()
    do {
        _ = try i.run("count = 1\nprint  $cnt", file: "r.ems")
        Issue.record("no error")
    } catch {
        #expect(i.render(error) == "error: r.ems:2:8: unknown variable $cnt\n    print  $cnt\n           ^~~~\n  did you mean $count?\n")
    }
    #expect(i.render(EmshError(.runtime, "plain")) == "error: plain\n")
}

@Test("time prints the wall time and returns the inner value")
func timeForm() throws {
    let (i, out, _) = fresh()
    let v = try i.run("x = time range 3\n$x", file: "t.ems")
    #expect(v.display == "[0, 1, 2]")
    #expect(out.text.hasPrefix("time: ") && out.text.hasSuffix(" s\n"))
}

@Test("exit propagates as ExitRequest with its code")
func exitRequest() throws {
    let (i, _, _) = fresh()
    do {
        _ = try i.run("exit 4", file: "t.ems")
        Issue.record("no exit")
    } catch let e as ExitRequest {
        #expect(e.code == 4)
    }
}

@Test("an interruption inside a command propagates as CancelledError and renders at the call")
func interruptionRendered() throws {
    // The process-wide Cancellation flag is not touched here (tests run in parallel); the shell's
    // pseudo-terminal test covers Ctrl-C in `while true { }`.
    let cmd = Command(name: "interrupt", topic: .language, summary: "as if Ctrl-C", examples: [Example("interrupt", "x")]) { _, _ in
        throw CancelledError()
    }
    let i = Interpreter(registry: Registry([cmd]), write: { _ in }, warn: { _ in })
    do {
        _ = try i.run("x = 1\nfor k in [1, 2] {\n  interrupt\n}", file: "c.ems")
        Issue.record("not interrupted")
    } catch is CancelledError {
        #expect(i.render(CancelledError()) == "error: c.ems:3:3: interrupted\n      interrupt\n      ^~~~~~~~~\n")
    }
    #expect(i.variable("x")?.display == "1")
}

@Test("functions and variables are listed for completion and vars")
func listings() throws {
    let (i, _, _) = fresh()
    _ = try i.run("def f a b { return 1 }\nz = 1\na = 2", file: "t.ems")
    #expect(i.functionNames == ["f"])
    #expect(i.functions().first?.parameters == ["a", "b"])
    #expect(i.variables().map(\.name) == ["a", "z"])
}

@Test("a non-EmshError thrown by a command gets the location of the call")
func foreignErrorLocated() throws {
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
    let cmd = Command(name: "boom", topic: .language, summary: "fails", examples: [Example("boom", "fails")]) { _, _ in throw Boom() }
    let out = OutputBuffer()
    let i = Interpreter(registry: Registry([cmd]), write: { out.append($0) }, warn: { _ in })
    do {
        _ = try i.run("x = 1\n  boom", file: "b.ems")
        Issue.record("no error")
    } catch let e as EmshError {
        #expect(e.location?.line == 2 && e.location?.column == 3)
        #expect(e.message == "boom: boom")
    }
}

@Test("source finds stdlib scripts by name through searchPaths")
func sourceSearchPath() throws {
    let (i, _, _) = fresh()
    let tmp = TempDir("lang")
    let dir = tmp.path
    try "libx = 42\n".write(toFile: tmp.file("mylib.ems"), atomically: true, encoding: .utf8)
    i.searchPaths = [dir]
    _ = try i.run("source mylib", file: "t.ems")
    #expect(i.variable("libx")?.display == "42")
}

@Test("one kernel error path: a shape mismatch reads the same from `+` and from `fscore`")
func shapeMismatchIsOneError() throws {
    func failure(_ code: String) throws -> EmshError {
        let (i, _, _) = fresh()
        let p = try i.parse("a = phantom --size [2, 16, 16]; b = phantom --size [3, 16, 16]\n" + code, file: "t.ems")
        do {
            for s in p.statements { _ = try i.execute(s) }
        } catch let e as EmshError {
            return e
        }
        Issue.record("\(code) did not fail")
        return EmshError(.runtime, "")
    }
    let plus = try failure("x = $a.image + $b.image")
    let fscore = try failure("x = fscore $a.image $b.mask")
    #expect(plus.kind == .value && fscore.kind == .value)
    #expect(plus.message == "+: volumes differ in shape: 2×16×16 and 3×16×16")
    #expect(fscore.message == "fscore: volumes differ in shape: 2×16×16 and 3×16×16")
    #expect(plus.message.drop { $0 != ":" } == fscore.message.drop { $0 != ":" })
}
