import _Platform
import Foundation
import Testing
import TestSupport

/// The real `emsh` binary at a pseudo-terminal: what a user sees and types.
@Suite("REPL at a terminal", .serialized)
struct REPLTests {
    func startREPL(home: String) throws -> PseudoTerminal {
        let t = try PseudoTerminal(try Emsh.requireBinary(), environment: Emsh.environment(home: home))
        #expect(t.expect("emsh> "), "no prompt; screen: \(t.screen)")
        return t
    }

    /// Types a line, waits for its echo, then for `output` after it and the next prompt.
    func enter(_ t: PseudoTerminal, _ line: String, _ output: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        t.send(line + "\n")
        #expect(t.expect(line), "no echo of \(line): \(t.rest)", sourceLocation: sourceLocation)
        if let output { #expect(t.expect(output), "no \(output) after \(line): \(t.rest)", sourceLocation: sourceLocation) }
        #expect(t.expect("emsh> "), "no prompt after \(line): \(t.rest)", sourceLocation: sourceLocation)
    }

    @Test("Tab completes a command, an option and a variable")
    func completion() throws {
        let home = try temporaryFolder("complete")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let t = try startREPL(home: home)
        enter(t, "answer_value = 42")
        // A command: `pw<TAB>` → `pwd `, which runs and prints the current folder.
        t.send("pw\t")
        #expect(t.expect("pwd "), "command not completed: \(t.rest)")
        t.send("\n")
        #expect(t.expect("/"))
        #expect(t.expect("emsh> "))
        // An option of the command being typed: `show [7, 8] --ro<TAB>` → `--rows `.
        t.send("show [7, 8] --ro\t")
        #expect(t.expect("--rows "), "option not completed: \(t.rest)")
        t.send("3\n")
        #expect(t.expect("[7, 8]"))
        #expect(t.expect("emsh> "))
        // A variable: `print $answer_v<TAB>` → `$answer_value `.
        t.send("print $answer_v\t")
        #expect(t.expect("$answer_value "), "variable not completed: \(t.rest)")
        t.send("\n")
        #expect(t.expect("42"))
        #expect(t.expect("emsh> "))
        // A record field: `$rec.al<TAB>`.
        enter(t, "rec = {alpha: 1, beta: 2}")
        t.send("print $rec.al\t")
        #expect(t.expect("$rec.alpha "), "field not completed: \(t.rest)")
        t.send("\n")
        #expect(t.expect("1"))
        #expect(t.expect("emsh> "))
        t.send("\u{4}")
        #expect(t.waitForExit() == 0)
    }

    @Test("A multi-line def, Ctrl-C in an endless loop keeps the variables, Ctrl-D exits 0")
    func multiLineAndInterrupt() throws {
        let home = try temporaryFolder("interrupt")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let t = try startREPL(home: home)
        enter(t, "x = 7")
        t.send("def twice a {\n")
        #expect(t.expect("...> "), "no continuation prompt: \(t.rest)")
        t.send("return $a * 2\n")
        #expect(t.expect("...> "))
        t.send("}\n")
        #expect(t.expect("emsh> "))
        enter(t, "twice 21", "42")

        t.send("while true { }\n")
        t.settle(0.3)
        t.send("\u{3}")
        #expect(t.expect("interrupted"), "Ctrl-C did not interrupt the loop: \(t.rest)")
        #expect(t.expect("emsh> "))
        enter(t, "print $x (twice $x)", "7 14")

        // Ctrl-C at the prompt drops the line being typed.
        t.send("print 999")
        #expect(t.expect("print 999"))
        t.send("\u{3}")
        #expect(t.expect("emsh> "))
        enter(t, "print 5", "5")
        #expect(!t.screen.contains("\n999\n"), "the abandoned line ran")

        // An error does not end the session.
        enter(t, "no_such_command_here 1", "error: <repl>:1:1:")
        // An error inside the function defined by the second input quotes that input's line, not the current one.
        t.send("twice true\n")
        #expect(t.expect("<repl>:2:"), "wrong source for the def: \(t.rest)")
        #expect(t.expect("return $a * 2"), "the def's line not quoted: \(t.rest)")
        #expect(t.expect("emsh> "))
        t.send("\u{4}")
        #expect(t.waitForExit() == 0)
    }

    @Test("Arrow-up recalls a line entered in an earlier session (same EMSH_HOME)")
    func historyAcrossSessions() throws {
        let home = try temporaryFolder("history")
        defer { try? FileManager.default.removeItem(atPath: home) }
        do {
            let first = try startREPL(home: home)
            first.send("marker_93 = 5 + 1\n")
            #expect(first.expect("emsh> "))
            first.send("\u{4}")
            #expect(first.waitForExit() == 0)
        }
        let second = try startREPL(home: home)
        second.send("\u{1B}[A")
        #expect(second.expect("marker_93 = 5 + 1"), "history not recalled: \(second.rest)")
        second.send("\n")
        #expect(second.expect("emsh> "))
        enter(second, "print $marker_93", "6")
        second.send("\u{4}")
        #expect(second.waitForExit() == 0)
    }

    @Test("A corrupt history file is a warning, and the REPL still starts")
    func corruptHistory() throws {
        let home = try temporaryFolder("corrupt")
        defer { try? FileManager.default.removeItem(atPath: home) }
        _ = FileManager.default.createFile(atPath: home + "/history", contents: Data([0x78, 0x00, 0xFF, 0xFE, 0x0A]))
        let t = try PseudoTerminal(try Emsh.requireBinary(), environment: Emsh.environment(home: home))
        #expect(t.expect("warning: the history file"))
        #expect(t.expect("emsh> "))
        enter(t, "print 3", "3")
        t.send("\u{4}")
        #expect(t.waitForExit() == 0)
    }
}
