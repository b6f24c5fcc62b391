import Runtime
import Kernels

/// nushell-style verbs on tables, written after a pipe: `fit $objects | where volume_um3 > 0.1 | sort-by eccentricity`.
let tableVerbCommands: [Command] = [
    Command(
        name: "where", topic: .tables,
        summary: "the rows of a table whose COLUMN compares true with VALUE",
        help: """
        `TABLE | where COLUMN OP VALUE` keeps the rows where the condition holds; OP is one of
        == != < <= > >= (written without parentheses: in `where`, an operator is a word). Numeric columns
        compare with numbers, text columns with strings (< and > in character order). Lists are filtered
        with `filter`.
        """,
        positionals: [
            .positional("table", .table, "the table (usually piped in)"),
            .positional("column", .string, "the column to test"),
            .positional("op", .choice(of: ComparisonOp.self), "the comparison"),
            .positional("value", .either([.number, .string]), "what to compare with"),
        ],
        examples: [
            Example("p = phantom --size [8, 64, 64]; fit $p.labels | where volume_um3 > 0.01 | sort-by eccentricity",
                    "the larger objects, roundest first", expect: "eccentricity"),
            Example("t = table {name: [a, b, c], n: [3, 1, 2]}; print ($t | where n >= 2).name", "a column of the kept rows",
                    expect: "[\"a\", \"c\"]"),
        ],
        run: { args, _ in
            let t = try args.table("table")
            let (name, column) = try namedColumn(t, args, "column")
            let op = try args.choice("op", as: ComparisonOp.self)
            let value = args["value"] ?? .null
            let keep: (Int) -> Bool
            switch (column, value) {
            case (.number(let xs), .number(let v)): keep = { op.holds(xs[$0], v) }
            case (.string(let xs), .string(let v)): keep = { op.holds(xs[$0], v) }
            case (.number, _):
                throw args.error("value", "column '\(name)' holds numbers; compare it with a number, not \(value.literal)", kind: .type)
            default:
                throw args.error("value", "column '\(name)' holds text; compare it with a string, such as \"\(value.display)\"", kind: .type)
            }
            return .table(t.rows((0..<t.rowCount).filter(keep)))
        }
    ),
    Command(
        name: "sort-by", topic: .tables,
        summary: "a table's rows ordered by one or more columns",
        help: """
        Sorts by the first COLUMN, ties by the next, and so on; rows that tie on all keep their order.
        Numbers sort by value (nan last), text in character order. Lists sort with `sort`.
        """,
        positionals: [
            .positional("table", .table, "the table (usually piped in)"),
            .variadic("columns", .string, "the columns to sort by", required: true),
        ],
        options: [.flag("reverse", "largest first")],
        examples: [
            Example("t = table {id: [1, 2, 3], v: [0.5, 2, 1]}; print ($t | sort-by v --reverse).id", "the largest first",
                    expect: "[2, 3, 1]"),
        ],
        run: { args, _ in
            let t = try args.table("table")
            let keys = try args.rest("columns").map { try namedColumn(t, args, "columns", $0.display).column }
            let reverse = args.flag("reverse")
            let order = (0..<t.rowCount).sorted { a, b in
                for key in keys {
                    let c = key.compare(a, b)
                    if c != 0 { return reverse ? c > 0 : c < 0 }
                }
                return a < b
            }
            return .table(t.rows(order))
        }
    ),
    Command(
        name: "select", topic: .tables,
        summary: "a table with only the named columns, in that order",
        positionals: [
            .positional("table", .table, "the table (usually piped in)"),
            .variadic("columns", .string, "the columns to keep", required: true),
        ],
        examples: [
            Example("p = phantom --size [8, 64, 64]; fit $p.labels | select id volume_um3", "two columns of a fit table",
                    expect: "2 columns"),
        ],
        run: { args, _ in
            let t = try args.table("table")
            return .table(Table(try args.rest("columns").map { v -> (String, Column) in
                let c = try namedColumn(t, args, "columns", v.display)
                return (c.name, c.column)
            }))
        }
    ),
    Command(
        name: "first", topic: .tables,
        summary: "the first N rows of a table, or elements of a list",
        positionals: takeParameters,
        examples: [
            Example("p = phantom --size [16, 128, 128]; fit $p.labels | sort-by volume_um3 --reverse | first 3", "the three largest objects",
                    expect: "3 rows"),
            Example("first [5, 6, 7] 2", "a list", expect: "[5, 6]"),
        ],
        run: { args, _ in try take(args) { $0.prefix($1) } }
    ),
    Command(
        name: "last", topic: .tables,
        summary: "the last N rows of a table, or elements of a list",
        positionals: takeParameters,
        examples: [Example("last [5, 6, 7] 2", "a list", expect: "[6, 7]")],
        run: { args, _ in try take(args) { $0.suffix($1) } }
    ),
    Command(
        name: "summary", topic: .tables,
        summary: "count, mean, sd, min, median and max of every numeric column (per group with --by)",
        help: """
        One row per numeric column of TABLE (an `id` column is left out): count, mean, sd (sample standard
        deviation), min, median and max, ignoring nan. With --by COLUMN the rows are split into groups by that
        column's values (in increasing order) and each group is summarised, the group's value in the first
        column: `fit $objects | summary --by border` compares the objects touching the edge with the others.
        """,
        positionals: [.positional("table", .table, "the table (usually piped in)")],
        options: [.option("by", .string, "a column whose values form the groups")],
        examples: [
            Example("t = table {v: [1, 2, 3, 10], border: [0, 0, 0, 1]}; summary $t", "every numeric column",
                    expect: "median"),
            Example("p = phantom --size [8, 64, 64]; fit $p.labels | summary --by border", "objects at the edge and inside",
                    expect: "volume_um3"),
        ],
        run: { args, _ in
            let t = try args.table("table")
            var groups: [(key: Value, rows: [Int])] = [(.null, Array(0..<t.rowCount))]
            var by: (name: String, column: Column)?
            if args.has("by") {
                let (name, column) = try namedColumn(t, args, "by")
                by = (name, column)
                let order = (0..<t.rowCount).sorted { column.compare($0, $1) < 0 || (column.compare($0, $1) == 0 && $0 < $1) }
                groups = []
                for r in order {
                    if let last = groups.last, column.compare(last.rows[0], r) == 0 { groups[groups.count - 1].rows.append(r) }
                    else { groups.append((column.value(at: r), [r])) }
                }
            }
            var keys: [Value] = [], names: [String] = []
            var stats = [[Double]](repeating: [], count: Summary.columns.count)
            for g in groups {
                for (name, column) in zip(t.names, t.columns) where name != "id" && name != by?.name {
                    guard case .number(let xs) = column else { continue }
                    keys.append(g.key)
                    names.append(name)
                    for (k, s) in Summary(g.rows.map { xs[$0] }).values.enumerated() { stats[k].append(s) }
                }
            }
            var out: [(String, Column)] = []
            if let by {
                let keyColumn: Column = if case .number = by.column {
                    .number(keys.map { if case .number(let n) = $0 { n } else { .nan } })
                } else {
                    .string(keys.map(\.display))
                }
                out.append((by.name, keyColumn))
            }
            out.append(("column", .string(names)))
            out += zip(Summary.columns, stats).map { ($0, .number($1)) }
            return .table(Table(out))
        }
    ),
]

/// The comparisons of `where`.
enum ComparisonOp: String, CaseIterable {
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="

    func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .eq: a == b
        case .ne: a != b
        case .lt: a < b
        case .le: a <= b
        case .gt: a > b
        case .ge: a >= b
        }
    }
}

/// count, mean, sd, min, median, max of numbers, nan ignored.
struct Summary {
    static let columns = ["count", "mean", "sd", "min", "median", "max"]
    let values: [Double]

    init(_ numbers: [Double]) {
        let xs = numbers.filter { !$0.isNaN }.sorted()
        let n = Double(xs.count)
        guard let lo = xs.first, let hi = xs.last else { values = [0, .nan, .nan, .nan, .nan, .nan]; return }
        let mean = xs.reduce(0, +) / n
        let sd = xs.count < 2 ? Double.nan : (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        let mid = xs.count / 2
        let median = xs.count % 2 == 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2
        values = [n, mean, sd, lo, median, hi]
    }
}

/// The column called NAME (the argument PARAM's value unless given), or an error at that argument listing the columns.
private func namedColumn(_ t: Table, _ args: Arguments, _ param: String, _ name: String? = nil) throws -> (name: String, column: Column) {
    let name = try name ?? args.string(param)
    if let c = t.column(name) { return (name, c) }
    var e = args.error(param, "no column '\(name)' (columns: \(t.names.joined(separator: ", ")))", kind: .name)
    if let s = closest(to: name, in: t.names) { e.notes.append("did you mean \(s)?") }
    throw e
}

/// `first` and `last`: VALUE [N].
private let takeParameters: [Parameter] = [
    .positional("value", .either([.table, .list]), "a table or a list"),
    .optional("n", .int, "how many (fewer when there are fewer)", default: .number(1), in: .atLeast(0)),
]

/// `first` and `last`: N rows of a table or elements of a list, picked by `part` from the indices.
private func take(_ args: Arguments, _ part: ([Int], Int) -> ArraySlice<Int>) throws -> Value {
    let n = try args.int("n")
    if case .table(let t)? = args["value"] { return .table(t.rows(Array(part(Array(0..<t.rowCount), n)))) }
    let list = try args.list("value")
    return .list(part(Array(list.indices), n).map { list[$0] })
}

extension Table {
    /// The rows at `indices`, in that order.
    fileprivate func rows(_ indices: [Int]) -> Table {
        Table(zip(names, columns).map { name, column in
            switch column {
            case .number(let v): (name, .number(indices.map { v[$0] }))
            case .string(let v): (name, .string(indices.map { v[$0] }))
            }
        })
    }
}

extension Column {
    fileprivate func value(at row: Int) -> Value {
        switch self {
        case .number(let v): .number(v[row])
        case .string(let v): .string(v[row])
        }
    }

    /// -1, 0 or 1 comparing two rows; nan sorts after every number.
    fileprivate func compare(_ a: Int, _ b: Int) -> Int {
        switch self {
        case .number(let v):
            let x = v[a], y = v[b]
            if x.isNaN || y.isNaN { return x.isNaN == y.isNaN ? 0 : (x.isNaN ? 1 : -1) }
            return x < y ? -1 : (x > y ? 1 : 0)
        case .string(let v):
            return v[a] < v[b] ? -1 : (v[a] > v[b] ? 1 : 0)
        }
    }
}
