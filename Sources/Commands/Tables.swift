import Runtime
import Kernels

/// Building tables in scripts: a record of equal-length lists becomes a table.
let tableCommands: [Command] = [
    Command(
        name: "table", topic: .data,
        summary: "Make a table from a record of equal-length lists (numbers or strings)",
        help: """
        Each key of RECORD becomes a column, in order. A column whose values are all numbers is numeric;
        otherwise every value is shown as text. `$t.name` reads a column back as a list.
        """,
        positionals: [.positional("columns", .record, "{name: [values...], ...}")],
        examples: [
            Example("t = table {added: [0, 5, 10], f: [0.81, 0.88, 0.9]}; print $t", "a small results table",
                    expect: "table 3 rows × 2 columns"),
        ],
        run: { args, _ in
            let r = try args.record("columns")
            var pairs: [(String, Column)] = []
            var rows: Int?
            for (key, value) in r.pairs {
                guard case .list(let items) = value else {
                    throw args.error("columns", "column '\(key)' is a \(value.typeName), expected a list", kind: .type)
                }
                if let rows, rows != items.count {
                    throw args.error("columns", "column '\(key)' has \(items.count) values, the first column \(rows)")
                }
                rows = items.count
                let numbers = items.compactMap { v -> Double? in if case .number(let n) = v { n } else { nil } }
                pairs.append((key, numbers.count == items.count ? .number(numbers) : .string(items.map(\.display))))
            }
            return .table(Table(pairs))
        }
    ),
]
