import Runtime

/// Binary operators, lowest precedence first: or, and, comparisons, + -, * / %.
enum BinaryOp: String, Sendable {
    case or, and
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
}

enum UnaryOp: String, Sendable {
    case neg = "-", not
}

/// One piece of a string literal: text, or an interpolated `$name[.field]` / `$( ... )`.
enum StringPart {
    case text(String)
    /// `$name` or `$name.field`: the field is taken only when the value has it (so "$name.csv" is text).
    case variable(String, field: String?, SourceLocation)
    case expr(Expr)
}

/// An argument of a command call: a value or `--name`.
enum CallArg {
    case value(Expr)
    case option(String, SourceLocation)
}

/// `NAME ARG... --OPTION VALUE --FLAG`.
struct CallNode {
    let name: String
    let nameLocation: SourceLocation
    let args: [CallArg]
}

indirect enum Expr {
    case literal(Value, SourceLocation)
    case string([StringPart], SourceLocation)
    case variable(String, SourceLocation)
    case field(Expr, String, SourceLocation)
    case index(Expr, Expr, SourceLocation)
    case list([Expr], SourceLocation)
    case record([(String, Expr)], SourceLocation)
    case unary(UnaryOp, Expr, SourceLocation)
    case binary(BinaryOp, Expr, Expr, SourceLocation)
    /// A command or function call; `piped` is the value of the left side of `|` (the first positional).
    case call(CallNode, piped: Expr?)
    /// `time CMD ARGS...`
    case time(Expr, SourceLocation)

    var location: SourceLocation {
        switch self {
        case .literal(_, let l), .string(_, let l), .variable(_, let l), .field(_, _, let l), .index(_, _, let l),
             .list(_, let l), .record(_, let l), .unary(_, _, let l), .binary(_, _, _, let l), .time(_, let l):
            return l
        case .call(let c, _): return c.nameLocation
        }
    }
}

/// The target of an assignment: `x`, `x.field`, `x[i]` (nested: `x.a[0].b`).
enum AssignPath {
    case field(String, SourceLocation)
    case index(Expr, SourceLocation)
}

indirect enum Stmt {
    case expr(Expr)
    case assign(String, path: [AssignPath], Expr, SourceLocation)
    case ifElse([(Expr, [Stmt])], otherwise: [Stmt]?, SourceLocation)
    case whileLoop(Expr, [Stmt], SourceLocation)
    case forLoop(String, Expr, [Stmt], SourceLocation)
    case def(String, [String], [Stmt], SourceLocation)
    case ret(Expr?, SourceLocation)
    case brk(SourceLocation)
    case cont(SourceLocation)
}

/// Words that cannot name a command, a function or a variable.
let keywords: Set<String> = ["if", "else", "for", "in", "while", "def", "return", "break", "continue",
                              "true", "false", "nil", "and", "or", "not"]
