import Foundation
import Testing
@testable import Commands
import Runtime
import TestSupport

/// README.md embeds the command reference generated from the registry between two markers.
/// Run with EMSH_UPDATE_README=1 to rewrite it.
@Test func readmeReferenceIsCurrent() throws {
    let root = packageRootURL
    let readmeURL = root.appendingPathComponent("README.md")
    let readme = try String(contentsOf: readmeURL, encoding: .utf8)
    let begin = "<!-- reference:begin (generated from the registry; EMSH_UPDATE_README=1 swift test --filter readmeReferenceIsCurrent) -->\n"
    let end = "<!-- reference:end -->"
    let generated = commandReference()
    guard let b = readme.range(of: begin), let e = readme.range(of: end), b.upperBound <= e.lowerBound else {
        Issue.record("README.md lacks the reference markers")
        return
    }
    let current = String(readme[b.upperBound..<e.lowerBound])
    if current != generated {
        if ProcessInfo.processInfo.environment["EMSH_UPDATE_README"] == "1" {
            let updated = String(readme[..<b.upperBound]) + generated + String(readme[e.lowerBound...])
            try updated.write(to: readmeURL, atomically: true, encoding: .utf8)
        } else {
            Issue.record("README.md's command reference is stale: run EMSH_UPDATE_README=1 swift test --filter readmeReferenceIsCurrent")
        }
    }
}

@Test func everyCommandIsDocumented() {
    let reference = commandReference()
    for c in allCommands {
        #expect(reference.contains("#### `\(c.name)`"), "\(c.name) missing from the reference")
    }
}
