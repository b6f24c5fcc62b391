import _Platform
import Runtime

/// Numbers: rounding and fixed-point formatting for reports, and reading numbers from strings ($args).
let mathCommands: [Command] = [
    Command(
        name: "round", topic: .language,
        summary: "Round a number to DIGITS decimals (half away from zero)",
        positionals: [
            .positional("x", .number, "the number"),
            .optional("digits", .int, "decimals to keep", default: .number(0), in: .between(0, 15)),
        ],
        examples: [
            Example("round 2.71828 2", "two decimals", expect: "2.72"),
            Example("round -2.5", "to an integer", expect: "-3"),
        ],
        run: { args, _ in
            let x = try args.number("x"), d = try args.int("digits")
            var m = 1.0
            for _ in 0..<d { m *= 10 }
            return .number((x * m).rounded(.toNearestOrAwayFromZero) / m)
        }
    ),
    Command(
        name: "fmt", topic: .language,
        summary: "Format a number with exactly DIGITS decimals, as a string",
        positionals: [
            .positional("x", .number, "the number"),
            .optional("digits", .int, "decimals", default: .number(3), in: .between(0, 15)),
        ],
        examples: [
            Example("print \"F = $(fmt 0.92 3)\"", "a fixed-width report line", expect: "F = 0.920"),
        ],
        run: { args, _ in
            let d = try args.int("digits")
            return .string(fixed(try args.number("x"), d))
        }
    ),
    Command(
        name: "num", topic: .language,
        summary: "Read a number from a string (script arguments arrive as strings)",
        positionals: [.positional("text", .any, "a string such as \"12.5\", or a number")],
        examples: [
            Example("print ((num \"12.5\") * 2)", "arithmetic on a parsed string", expect: "25"),
        ],
        run: { args, _ in
            switch args["text"] {
            case .number(let n)?: return .number(n)
            case .string(let s)?:
                guard let n = Double(s.trimmed) else { throw args.error("text", "'\(s)' is not a number") }
                return .number(n)
            case let v?: throw args.error("text", "expects a string or a number, got a \(v.typeName)", kind: .type)
            case nil: return .null
            }
        }
    ),
]
