import Testing
@testable import Shell
import Runtime
import Commands
import Kernels

/// What Tab offers where: decided from the line, the registry and the variables.
@Suite struct CompleterTests {
    let completer = Completer(
        registry: makeRegistry(),
        functions: { ["my_function"] },
        variables: { [
            ("image", .number(1)),
            ("vol", .volume(Volume(zeros: Shape(z: 1, y: 2, x: 2), type: .u8))),
            ("result", .record(Record([("f", .number(0.9)), ("per_slice", .record(Record([("mean", .number(1))])))]))),
            ("tbl", .table(Table([("id", .number([1])), ("volume_um3", .number([2]))]))),
        ] })

    func words(_ line: String, word: String) -> [String]? {
        let start = line.utf8.count - word.utf8.count
        guard case .words(let w) = completer.complete(line: line, start: start, end: line.utf8.count) else { return nil }
        return w.filter { $0.hasPrefix(word) }
    }

    @Test func commandsAndFunctionsAtStatementStart() {
        #expect(words("pw", word: "pw") == ["pwd"])
        #expect(words("my_", word: "my_") == ["my_function"])
        #expect(words("x = 1; repl", word: "repl") == ["replace", "replay"])
        #expect(words("y = his", word: "his")?.contains("history") == true)
        #expect(words("if $a { wh", word: "wh") == ["where", "while"])
        #expect(words("$x | hist", word: "hist")?.contains("history") == true)
    }

    @Test func optionsOfTheCommandBeingTyped() {
        #expect(words("show $image --ro", word: "--ro") == ["--rows"])
        #expect(words("x = replay f.ems --", word: "--") == ["--verify"])
        #expect(words("history --save a.ems; replay a.ems --v", word: "--v") == ["--verify"])
        // Options already given are not offered again.
        #expect(words("show $image --rows 3 --", word: "--") == ["--z"])
    }

    @Test func variablesAndFields() {
        #expect(words("print $im", word: "$im") == ["$image"])
        #expect(words("print $result.", word: "$result.") == ["$result.f", "$result.per_slice"])
        #expect(words("x = $result.per_slice.m", word: "$result.per_slice.m") == ["$result.per_slice.mean"])
        #expect(words("print $tbl.vol", word: "$tbl.vol") == ["$tbl.volume_um3"])
        #expect(words("print $nothing.", word: "$nothing.") == [])
        #expect(words("print $vol.sh", word: "$vol.sh") == ["$vol.shape"])
    }

    @Test func filesElsewhere() {
        #expect(completer.complete(line: "load data/tr", start: 5, end: 12) == .files)
        #expect(completer.complete(line: "print \"a;b\" x", start: 12, end: 13) == .files)
        #expect(words("help pw", word: "pw") == ["pwd"])
    }
}
