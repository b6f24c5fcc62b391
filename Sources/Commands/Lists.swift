import Runtime

/// Lists: appending, sorting, reversing, pairing, and applying a function (`def` or command) to each element.
let listCommands: [Command] = [
    Command(
        name: "append", topic: .lists,
        summary: "a list with values added at the end",
        help: "Returns a new list; the list given is not changed (`$l + [x]` does the same for one list).",
        positionals: [
            .positional("list", .list, "the list"),
            .variadic("values", .any, "the values to add", required: true),
        ],
        examples: [
            Example("files = []; files = append $files a.png b.png; print $files", "grow a list in a loop",
                    expect: "[\"a.png\", \"b.png\"]"),
        ],
        run: { args, _ in .list(try args.list("list") + args.rest("values")) }
    ),
    Command(
        name: "sort", topic: .lists,
        summary: "a list of numbers or of strings in increasing order",
        help: """
        Numbers sort by value, strings character by character (use `pad` on numbers inside names, or
        `glob`, which sorts img2 before img10). A list mixing numbers and strings, or holding other values,
        is an error. Tables sort with `sort-by`.
        """,
        positionals: [.positional("list", .list, "numbers or strings")],
        options: [.flag("reverse", "largest first")],
        examples: [
            Example("sort [3, 1, 2] --reverse", "numbers, largest first", expect: "[3, 2, 1]"),
            Example("sort [b, a, c]", "strings", expect: "[\"a\", \"b\", \"c\"]"),
        ],
        run: { args, _ in
            let list = try args.list("list")
            let sorted: [Value]
            if let numbers = homogeneous(list, { if case .number(let n) = $0 { n } else { nil } }) {
                sorted = numbers.sorted().map { .number($0) }
            } else if let strings = homogeneous(list, { if case .string(let s) = $0 { s } else { nil } }) {
                sorted = strings.sorted().map { .string($0) }
            } else {
                let kinds = Set(list.map(\.typeName)).sorted().joined(separator: " and ")
                throw args.error("list", "sorts a list of numbers or a list of strings; this one holds \(kinds)", kind: .type)
            }
            return .list(args.flag("reverse") ? sorted.reversed() : sorted)
        }
    ),
    Command(
        name: "reverse", topic: .lists,
        summary: "a list (or string) in reverse order",
        positionals: [.positional("value", .either([.list, .string]), "a list or a string")],
        examples: [Example("reverse [1, 2, 3]", "last first", expect: "[3, 2, 1]")],
        run: { args, _ in
            if case .string(let s)? = args["value"] { return .string(String(s.reversed())) }
            return .list(try args.list("value").reversed())
        }
    ),
    Command(
        name: "map", topic: .lists,
        summary: "call a function (def or command) on each element; the list of results",
        help: """
        FUNCTION is the name of a function defined with `def`, or of a command; it is called with each
        element as its first argument, followed by ARGS. `map $names basename` and
        `map [1.234, 5.678] round 1` work like writing the calls one by one.
        """,
        positionals: eachParameters,
        examples: [
            Example("def sq x { return $x * $x }; map [1, 2, 3] sq", "a function of your own", expect: "[1, 4, 9]"),
            Example("map [1.234, 5.678] round 1", "a command with an extra argument", expect: "[1.2, 5.7]"),
        ],
        run: { args, host in .list(try eachResult(args, host).map(\.result)) }
    ),
    Command(
        name: "filter", topic: .lists,
        summary: "the elements for which a function (def or command) returns true",
        help: """
        FUNCTION is called like in `map`, with each element first and then ARGS; the element is kept when
        the result is true (or a non-zero number, a non-empty string or list). Tables are filtered with `where`.
        """,
        positionals: eachParameters,
        examples: [
            Example("def big x { return $x > 2 }; filter [1, 5, 2, 7] big", "keep what passes a test", expect: "[5, 7]"),
            Example("filter [a.png, b.tif, c.png] ends-with .png", "a command as the test", expect: "[\"a.png\", \"c.png\"]"),
        ],
        run: { args, host in .list(try eachResult(args, host).filter { $0.result.isTruthy }.map(\.element)) }
    ),
    Command(
        name: "zip", topic: .lists,
        summary: "pair two lists of the same length: [[a0, b0], [a1, b1], ...]",
        positionals: [
            .positional("a", .list, "the first elements"),
            .positional("b", .list, "the second elements"),
        ],
        examples: [
            Example("for p in (zip [a, b] [1, 2]) { print $p[0] $p[1] }", "walk two lists together", expect: "b 2"),
        ],
        run: { args, _ in
            let a = try args.list("a"), b = try args.list("b")
            guard a.count == b.count else {
                throw args.error("b", "the lists differ in length (\(a.count) and \(b.count))")
            }
            return .list(zip(a, b).map { .list([$0, $1]) })
        }
    ),
]

/// `map` and `filter`: LIST FUNCTION [ARGS...].
private let eachParameters: [Parameter] = [
    .positional("list", .list, "the elements"),
    .positional("function", .string, "the name of a def or a command"),
    .variadic("args", .any, "more arguments, after the element"),
]

/// The elements' payloads when every element has one (all numbers, or all strings).
private func homogeneous<T>(_ list: [Value], _ payload: (Value) -> T?) -> [T]? {
    var out: [T] = []
    out.reserveCapacity(list.count)
    for v in list {
        guard let p = payload(v) else { return nil }
        out.append(p)
    }
    return out
}

/// `map` and `filter`: FUNCTION called on each element of LIST (then ARGS), with a note naming the element on error.
private func eachResult(_ args: Arguments, _ host: any Host) throws -> [(element: Value, result: Value)] {
    let list = try args.list("list"), function = try args.string("function"), extra = args.rest("args")
    let at = args.location(of: "function") ?? args.location
    guard host.registry.lookup(function) != nil || host.functions().contains(where: { $0.name == function }) else {
        var e = args.error("function", "no function or command named '\(function)'", kind: .name)
        if let s = host.registry.suggestion(for: function, extra: host.functions().map(\.name)) { e.notes.append("did you mean \(s)?") }
        throw e
    }
    return try list.enumerated().map { k, element in
        do {
            return (element, try host.call(function: function, arguments: [element] + extra, at: at))
        } catch var e as EmshError {
            e.notes.append("\(args.command.name): at element \(k) of the list, \(element.literal)")
            throw e
        }
    }
}
