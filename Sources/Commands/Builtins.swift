import _Platform
import Runtime
import Kernels

/// The builtins of the language itself: printing, conversion, lists, help, source, time, exit.
let builtinCommands: [Command] = [
    Command(
        name: "print", topic: .language,
        summary: "print values separated by spaces, then a newline",
        help: """
        Prints each argument in its one-line form, separated by single spaces, and a newline.
        Strings print without quotes; inside lists and records they are quoted.
        """,
        positionals: [.variadic("values", .any, "the values to print")],
        examples: [
            Example("print \"hello\" 42 [1, \"a\"]", "mixed values", expect: "hello 42 [1, \"a\"]"),
            Example("x = 3; print \"x is $x\"", "interpolation in a string", expect: "x is 3"),
        ],
        run: { args, host in
            host.write(args.rest("values").map(\.display).joined(separator: " ") + "\n")
            return .null
        }
    ),
    Command(
        name: "str", topic: .language,
        summary: "a value as a string (its one-line form)",
        help: "Numbers lose a trailing .0; lists and records take their literal form; a string stays as it is.",
        positionals: [.positional("value", .any, "the value to convert")],
        examples: [
            Example("str [1, 2.5]", "a list as text", expect: "[1, 2.5]"),
            Example("print (\"n=\" + (str 7))", "build a string", expect: "n=7"),
        ],
        run: { args, _ in .string((args["value"] ?? .null).display) }
    ),
    Command(
        name: "len", topic: .language,
        summary: "the length of a list, string, record, table (rows) or volume (slices)",
        positionals: [.positional("value", .any, "a list, string, record, table, volume or histogram")],
        examples: [
            Example("len [1, 2, 3]", "elements of a list", expect: "3"),
            Example("len \"héllo\"", "characters of a string", expect: "5"),
        ],
        run: { args, _ in
            let v = args["value"] ?? .null
            switch v {
            case .list(let l): return .number(Double(l.count))
            case .string(let s): return .number(Double(s.count))
            case .record(let r): return .number(Double(r.count))
            case .table(let t): return .number(Double(t.rowCount))
            case .volume(let vol): return .number(Double(vol.shape.z))
            case .histogram(let h): return .number(Double(h.sliceCount))
            default: throw args.error("value", "\(v.typeName) has no length", kind: .type)
            }
        }
    ),
    Command(
        name: "range", topic: .language,
        summary: "a list of numbers: range N, range A B, range A B STEP",
        help: """
        `range N` is 0, 1, ..., N-1; `range A B` is A, A+1, ..., B-1; `range A B STEP` steps by STEP
        (negative steps count down, the end is never included). At most 10 million elements.
        """,
        positionals: [
            .positional("a", .number, "the end (alone) or the start"),
            .optional("b", .number, "the end (exclusive)"),
            .optional("step", .number, "the step (not 0)", default: .number(1)),
        ],
        examples: [
            Example("range 4", "0 to 3", expect: "[0, 1, 2, 3]"),
            Example("range 10 0 -3", "counting down", expect: "[10, 7, 4, 1]"),
        ],
        run: { args, _ in
            var start = 0.0, end = try args.number("a")
            if args.has("b") { start = end; end = try args.number("b") }
            let step = try args.number("step")
            guard step != 0, step.isFinite else { throw args.error("step", "the step must not be 0") }
            guard start.isFinite, end.isFinite else { throw args.error("a", "bounds must be finite") }
            let count = max(0, ((end - start) / step).rounded(.up))
            guard count <= 10_000_000 else {
                throw args.failure("\(formatNumber(count)) elements is too many (at most 10 million)", kind: .value)
            }
            let n = Int(count)
            try MemoryBudget.check(n * MemoryLayout<Value>.stride, what: "range of \(n) numbers")
            var out: [Value] = []
            out.reserveCapacity(n)
            for k in 0..<n { out.append(.number(start + Double(k) * step)) }
            return .list(out)
        }
    ),
    Command(
        name: "keys", topic: .language,
        summary: "the keys of a record, the columns of a table, the fields of a model",
        positionals: [.positional("value", .any, "a record, table, model or volume")],
        examples: [
            Example("keys {a: 1, b: 2}", "a record's keys in order", expect: "[\"a\", \"b\"]"),
        ],
        run: { args, _ in
            let v = args["value"] ?? .null
            switch v {
            case .record(let r): return .list(r.keys.map { .string($0) })
            case .table(let t): return .list(t.names.map { .string($0) })
            case .object(let o): return .list(o.fieldNames.map { .string($0) })
            case .volume: return .list(["shape", "spacing", "type", "kind", "count", "z", "y", "x"].map { .string($0) })
            default: throw args.error("value", "\(v.typeName) has no keys", kind: .type)
            }
        }
    ),
    Command(
        name: "vars", topic: .language,
        summary: "list the variables with a one-line view of each value",
        examples: [
            Example("x = 5; vars", "after an assignment", expect: "x = 5"),
        ],
        run: { _, host in
            let vs = host.variables()
            if vs.isEmpty { host.write("no variables\n"); return .null }
            let width = min(20, vs.map(\.name.count).max() ?? 0)
            for (name, value) in vs {
                var line = value.literal
                if line.count > 100 { line = String(line.prefix(97)) + "..." }
                host.write(name.padded(to: width) + " = " + line + "\n")
            }
            return .null
        }
    ),
    Command(
        name: "time", topic: .language,
        summary: "run a command and print its wall-clock time",
        help: """
        `time CMD ARGS...` runs the command (or pipeline) after it, prints `time: S s` and returns its value,
        so `x = time load a.png` still assigns the loaded volume.
        """,
        positionals: [.variadic("command", .any, "the command and its arguments", required: true)],
        examples: [
            Example("time range 1000", "time a command", expect: "time: "),
        ],
        run: { args, _ in
            throw args.failure("time is handled by the interpreter: write `time CMD ARGS...`")
        }
    ),
    Command(
        name: "source", topic: .language,
        summary: "run a script file in the current session",
        help: """
        Runs FILE's statements in the global scope: its variables and functions stay defined.
        A bare name (without `/`) that is not a file is looked up as NAME.ems in the stdlib folder,
        so `source thesis` loads stdlib/thesis.ems. Returns the value of the file's last statement.
        """,
        positionals: [.positional("file", .string, "a .ems file, or the name of a stdlib script")],
        examples: [
            Example("source prelude", "load the prelude again"),
        ],
        run: { args, host in
            try host.source(path: try args.string("file"), at: args.location)
        }
    ),
    Command(
        name: "exit", topic: .language,
        summary: "end the script or the session with a status code",
        positionals: [.optional("code", .int, "the exit status (0 = success)", default: .number(0), in: .between(0, 255))],
        examples: [
            Example("if false { exit 3 }", "exit only when something is wrong"),
        ],
        run: { args, _ in
            let code = try args.int("code")
            throw ExitRequest(code: Int32(code))
        }
    ),
    Command(
        name: "help", topic: .language,
        summary: "list the commands, or show how to use one",
        help: """
        `help` lists every command by topic. `help CMD` shows its usage line, what it does, its arguments
        and options with their defaults, and examples. `help` also describes functions defined with `def`.
        """,
        positionals: [.optional("command", .string, "a command or function name")],
        examples: [
            Example("help", "all commands", expect: "print"),
            Example("help range", "one command", expect: "usage: range A [B] [STEP]"),
        ],
        run: { args, host in
            guard let name = args["command"].map({ $0.display }) else {
                host.write(helpIndex(host.registry))
                return .null
            }
            if let c = host.registry.lookup(name) {
                host.write(helpText(c))
                return .null
            }
            if let f = host.functions().first(where: { $0.name == name }) {
                let usage = ([f.name] + f.parameters.map { $0.uppercased() }).joined(separator: " ")
                host.write("usage: \(usage)\n\n\(f.name) is a function defined with def" +
                           (f.parameters.isEmpty ? " (no parameters).\n" : "; parameters: \(f.parameters.joined(separator: ", ")).\n"))
                return .null
            }
            var notes: [String] = []
            if let s = closest(to: name, in: host.registry.names + host.functions().map(\.name)) { notes.append("did you mean \(s)?") }
            throw EmshError(.name, "help: unknown command '\(name)'", at: args.location(of: "command") ?? args.location, notes: notes)
        }
    ),
]


/// `help` with no argument: commands grouped by topic, with their summaries.
func helpIndex(_ registry: Registry) -> String {
    let width = min(14, registry.commands.map(\.name.count).max() ?? 0)
    var out = "emsh commands (help CMD for details):\n"
    for t in Topic.allCases {
        let commands = registry.commands.filter { $0.topic == t }
        if commands.isEmpty { continue }
        out += "\n\(t.rawValue)\n"
        for c in commands { out += "  " + c.name.padded(to: width) + "  " + c.summary + "\n" }
    }
    return out
}

/// `help CMD`: generated from the declaration.
func helpText(_ c: Command) -> String {
    var out = "usage: \(c.usage)\n\n\(c.summary)\n"
    if !c.help.isEmpty { out += "\n" + c.help + "\n" }
    func describe(_ p: Parameter, option: Bool) -> String {
        var head = option ? "--\(p.name)" : p.name.uppercased() + (p.variadic ? "..." : "")
        if option && !p.type.isFlag { head += " \(p.type.placeholder)" }
        var line = "  " + head.padded(to: 22) + " " + p.help
        if !p.type.isFlag { line += " (\(p.type)" + (p.bounds.map { ", \($0)" } ?? "") + ")" }
        if let d = p.defaultText, !p.type.isFlag, !(option == false && p.required) { line += " [default: \(d)]" }
        if !option && !p.required && !p.variadic && p.defaultValue == nil { line += " [optional]" }
        return line + "\n"
    }
    if !c.positionals.isEmpty {
        out += "\narguments:\n"
        for p in c.positionals { out += describe(p, option: false) }
    }
    if !c.options.isEmpty {
        out += "\noptions:\n"
        for p in c.options { out += describe(p, option: true) }
    }
    if !c.examples.isEmpty {
        out += "\nexamples:\n"
        for e in c.examples { out += "  \(e.code)\n      \(e.explanation)\n" }
    }
    return out
}
