import Foundation
import Testing
import TestSupport

/// The golden corpus: Golden/<feature>/<case>.ems, with expectations inline as comments:
/// `# expect: LINE` (the stdout lines, in order, all of them), `# error: TEXT` (a substring of stderr,
/// e.g. "3:5: unknown variable $y"; several allowed), `# exit: N` (default 1 with an error, else 0).
struct GoldenCase: CustomTestStringConvertible, Sendable {
    let path: String
    var testDescription: String { path.components(separatedBy: "/Golden/").last ?? path }

    static let all: [GoldenCase] = {
        let root = packageRootURL.appendingPathComponent("Tests/LanguageTests/Golden")
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".ems") }.sorted()
            .map { GoldenCase(path: root.appendingPathComponent($0).path) }
    }()
}

struct Expectations {
    var stdout: [String] = []
    var errors: [String] = []
    var exit: Int32?

    init(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let hash = line.range(of: "# ") else { continue }
            let comment = line[hash.upperBound...]
            if comment.hasPrefix("expect: ") { stdout.append(String(comment.dropFirst(8))) }
            else if comment == "expect:" { stdout.append("") }
            else if comment.hasPrefix("error: ") { errors.append(String(comment.dropFirst(7))) }
            else if comment.hasPrefix("exit: ") { exit = Int32(comment.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
        }
    }
}

@Test("golden corpus has at least 60 scripts")
func goldenCorpusSize() {
    #expect(GoldenCase.all.count >= 60)
}

@Test("golden script", arguments: GoldenCase.all)
func golden(_ c: GoldenCase) throws {
    let text = try String(contentsOfFile: c.path, encoding: .utf8)
    let want = Expectations(text)
    let name = c.path.components(separatedBy: "/Golden/").last ?? c.path
    let r = runScript(text, file: name, args: ["a1", "a2"])
    var lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    #expect(lines == want.stdout, "stdout of \(name); stderr: \(r.stderr)")
    for e in want.errors {
        #expect(r.stderr.contains(e), "stderr of \(name) lacks \(e):\n\(r.stderr)")
    }
    if want.errors.isEmpty { #expect(r.stderr.isEmpty, "unexpected stderr in \(name): \(r.stderr)") }
    #expect(r.status == want.exit ?? (want.errors.isEmpty ? 0 : 1), "exit status of \(name); stderr: \(r.stderr)")
}
