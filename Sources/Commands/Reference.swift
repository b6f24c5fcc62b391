import _Platform
import Runtime

/// The command reference in Markdown, generated from the registry (README.md embeds it; a test
/// fails when the README copy is stale).
public func commandReference(_ commands: [Command] = allCommands) -> String {
    var out = ""
    for topic in Topic.allCases where commands.contains(where: { $0.topic == topic }) {
        out += "### \(topic.rawValue)\n\n"
        for c in commands where c.topic == topic {
            out += "#### `\(c.name)`\n\n\(c.summary)\n\n    \(c.usage)\n\n"
            let help = c.help.trimmed
            if !help.isEmpty { out += help + "\n\n" }
            let params = c.positionals + c.options
            if !params.isEmpty {
                out += "| parameter | type | default | meaning |\n| --- | --- | --- | --- |\n"
                for p in params {
                    let isOption = !c.positionals.contains { $0.name == p.name }
                    let name = isOption ? "`--\(p.name)`" : "`\(p.name.uppercased())\(p.variadic ? "..." : "")`"
                    let def = p.type.isFlag ? "" : (p.defaultText.map { "`\($0)`" } ?? (p.required ? "required" : ""))
                    let type = p.type.description + (p.bounds.map { ", \($0)" } ?? "")
                    out += "| \(name) | \(type.replacingPipes) | \(def) | \(p.help.replacingPipes) |\n"
                }
                out += "\n"
            }
            for e in c.examples {
                out += "    \(c.name == "" ? "" : "")\(e.code)\n"
                out += "    # \(e.explanation)\n\n"
            }
        }
    }
    return out
}

extension String {
    fileprivate var replacingPipes: String { String(flatMap { $0 == "|" ? ["\\", "|"] : [$0] }) }
}
