import _Platform
/// The commands known to an interpreter, by name. The list itself lives in the Commands module.
public struct Registry: Sendable {
    public let commands: [Command]
    private let index: [String: Int]

    public init(_ commands: [Command]) {
        self.commands = commands
        var index: [String: Int] = [:]
        for (i, c) in commands.enumerated() where index[c.name] == nil { index[c.name] = i }
        self.index = index
    }

    public func lookup(_ name: String) -> Command? { index[name].map { commands[$0] } }

    public var names: [String] { commands.map(\.name) }

    /// The closest command name, for "did you mean".
    public func suggestion(for name: String, extra: [String] = []) -> String? {
        closest(to: name, in: names + extra)
    }

    /// Declaration problems: duplicate names, missing examples or help, duplicate parameter names,
    /// a required positional after an optional one, a variadic positional that is not last, bounds on a
    /// parameter that is no number, a default outside its bounds or not one of its choices.
    public func validate() -> [String] {
        var problems: [String] = []
        var seen = Set<String>()
        for c in commands {
            if !seen.insert(c.name).inserted { problems.append("\(c.name): declared twice") }
            if c.examples.isEmpty { problems.append("\(c.name): no example") }
            if c.summary.isEmpty { problems.append("\(c.name): no summary") }
            var names = Set<String>()
            for p in c.positionals + c.options where !names.insert(p.name).inserted {
                problems.append("\(c.name): parameter \(p.name) declared twice")
            }
            var optionalSeen = false
            for (i, p) in c.positionals.enumerated() {
                if p.variadic && i != c.positionals.count - 1 { problems.append("\(c.name): variadic \(p.name) is not last") }
                if p.required && optionalSeen && !p.variadic { problems.append("\(c.name): required \(p.name) after an optional one") }
                if !p.required { optionalSeen = true }
            }
            for p in c.positionals + c.options {
                guard case .choice(let words) = p.type, let d = p.defaultValue else { continue }
                if !words.contains(d.display) { problems.append("\(c.name): the default of \(p.name), \(d.display), is not one of \(words.joined(separator: "|"))") }
            }
            for p in c.positionals + c.options where p.help.isEmpty {
                problems.append("\(c.name): parameter \(p.name) has no help")
            }
            for p in c.positionals + c.options {
                guard let b = p.bounds else { continue }
                if !p.type.isBoundable { problems.append("\(c.name): parameter \(p.name) has bounds but is no number") }
                let defaults: [Value]
                switch p.defaultValue {
                case .list(let l)?: defaults = l
                case let d?: defaults = [d]
                case nil: defaults = []
                }
                for case .number(let d) in defaults where !b.contains(d) {
                    problems.append("\(c.name): the default of \(p.name), \(formatNumber(d)), is not \(b)")
                }
            }
        }
        return problems
    }
}
