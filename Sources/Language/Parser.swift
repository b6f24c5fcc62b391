import _Platform
import Runtime

// The parser of the emsh language: source text → statements (AST.swift), without running anything.
//
// Grammar (informal):
//
//     program    := { statement (NEWLINE | ';') }
//     statement  := 'def' NAME {NAME} block
//                 | 'if' cond block {'else' 'if' cond block} ['else' block]
//                 | 'while' cond block | 'for' NAME 'in' cond block
//                 | 'return' [pipeline] | 'break' | 'continue'
//                 | NAME {'.' FIELD | '[' expr ']'} '=' pipeline          (assignment; `x=3` works too)
//                 | pipeline
//     pipeline   := (call | expr) {'|' call}          a newline may follow '|'
//     call       := WORD {arg}                        WORD = the command or function name
//     arg        := atom | '--' NAME                  whether an option takes a value is decided at binding
//     atom       := NUMBER | STRING | BAREWORD | true | false | nil | $NAME{.FIELD|[expr]} | list | record | '(' pipeline ')'
//     expr       := or-expr with: or < and < not < (== != < <= > >=) < (+ -) < (* / %) < unary - < postfix
//
// How a statement is classified — purely from its first token, before anything runs:
// - It starts with a bare word (a name that is not a keyword, `true`, `false`, `nil` or `not`):
//   a **command call** `NAME ARG...`. The same rule applies after `=` (`x = load a.png`), after `return`,
//   in the condition of `if`/`while`, after `for x in`, after `|`, after `time` and inside `( ... )`.
//   At run time NAME is resolved in this order: a user function defined with `def`, then a registered
//   command; neither → "unknown command" with the closest name. A `def` may not reuse a command's name,
//   so a user function never hides a command.
// - Anything else (`$x`, a number, a string, `[`, `{`, `(`, `-`, `not`, `true`...) starts an **expression**.
//
// Arguments of a call are atoms separated by spaces. A bare word is any run of characters other than
// white space and `; | ( ) [ ] { } " $ ,` — so paths, globs and ranges need no quotes (`data/*.png`,
// `out.tif`, `10:20`, `../x`, `~/a`). A bare word that reads as a number (`3`, `-2.5`, `1e-3`) is a
// number; `true`, `false`, `nil` are those values. `--name` (a letter or digit after `--`) marks an option.
// An expression in an argument needs parentheses: `print ($x + 1)`; a lone operator word (`+`, `<`,
// `==`...) in arguments is a syntax error saying so — except in `where`, whose arguments are a
// condition that takes a comparison operator as a word (`fit $o | where volume_um3 > 0.1`).
// Inside expressions (list elements, record values, operands) a bare word is a string: `[a.png, b.png]`.
// Postfix `.field` and `[index]` must touch what they apply to (`$x.f`, `$x[0]`); `$x [0]` is two arguments.
// In strings, `$name`, `$name.field` (the field only when the value has it, so "out/$name.csv" is text)
// and `$( pipeline )` are interpolated; escapes are `\n \t \r \" \\ \$ \0`.
// Newlines continue a statement inside `( )`, `[ ]`, records and after a trailing `|`; inside a block `{ }`
// they end statements. `else` may follow `}` on the next line. `# ...` comments run to the end of the line.

/// The bytes the parser looks at, by name (the source is read as UTF-8 bytes).
enum Byte {
    static let tab: UInt8 = 9  // '\t'
    static let newline: UInt8 = 10  // '\n'
    static let carriageReturn: UInt8 = 13  // '\r'
    static let space: UInt8 = 32  // ' '
    static let bang: UInt8 = 33  // !
    static let quote: UInt8 = 34  // "
    static let hash: UInt8 = 35  // #
    static let dollar: UInt8 = 36  // $
    static let percent: UInt8 = 37  // %
    static let openParen: UInt8 = 40  // (
    static let closeParen: UInt8 = 41  // )
    static let star: UInt8 = 42  // *
    static let plus: UInt8 = 43  // +
    static let comma: UInt8 = 44  // ,
    static let minus: UInt8 = 45  // -
    static let dot: UInt8 = 46  // .
    static let slash: UInt8 = 47  // /
    static let zero: UInt8 = 48  // 0
    static let nine: UInt8 = 57  // 9
    static let colon: UInt8 = 58  // :
    static let semicolon: UInt8 = 59  // ;
    static let less: UInt8 = 60  // <
    static let equals: UInt8 = 61  // =
    static let greater: UInt8 = 62  // >
    static let question: UInt8 = 63  // ?
    static let upperA: UInt8 = 65  // A
    static let upperE: UInt8 = 69  // E
    static let upperZ: UInt8 = 90  // Z
    static let openBracket: UInt8 = 91  // [
    static let backslash: UInt8 = 92  // \
    static let closeBracket: UInt8 = 93  // ]
    static let underscore: UInt8 = 95  // _
    static let lowerA: UInt8 = 97  // a
    static let lowerE: UInt8 = 101  // e
    static let lowerN: UInt8 = 110  // n
    static let lowerR: UInt8 = 114  // r
    static let lowerT: UInt8 = 116  // t
    static let lowerZ: UInt8 = 122  // z
    static let openBrace: UInt8 = 123  // {
    static let pipe: UInt8 = 124  // |
    static let closeBrace: UInt8 = 125  // }
    static let tilde: UInt8 = 126  // ~
}

/// The maximum nesting of brackets, blocks and unary operators in one statement.
let maxNesting = 64
/// The maximum number of binary operators in one statement (keeps evaluation depth bounded).
let maxOperators = 2000

struct Parser {
    let bytes: [UInt8]
    let file: String
    let text: String
    private(set) var lineStarts: [Int] = [0]
    /// continuations[k]: UTF-8 continuation bytes in bytes[0..<k], so that a column (in characters)
    /// costs O(1) however long the line is.
    private var continuations: [UInt32] = [0]
    var i = 0
    /// Where the last consumed token ended (statement text ends there).
    var tokenEnd = 0
    /// > 0 inside ( [ and records: newlines are white space there.
    var newlineIsSpace = 0
    /// In `if`/`while`/`for` heads: `{` starts the block, not a record argument.
    var braceStartsBlock = false
    var nesting = 0
    var operators = 0
    var inFunction = false
    var loopDepth = 0
    var blockDepth = 0
    /// Set when the error thrown is the end of the input arriving too early (the REPL asks for more).
    var incomplete = false
    /// The line offset added to every location (the REPL numbers its inputs).
    let lineOffset: Int

    init(_ text: String, file: String, lineOffset: Int = 0) {
        self.text = text
        self.bytes = Array(text.utf8)
        self.file = file
        self.lineOffset = lineOffset
        continuations.reserveCapacity(bytes.count + 1)
        var cont: UInt32 = 0
        for (k, c) in bytes.enumerated() {
            if c == Byte.newline { lineStarts.append(k + 1) }
            if c & 0xC0 == 0x80 { cont += 1 }
            continuations.append(cont)
        }
    }

    /// Characters in bytes[a..<b].
    private func characters(_ a: Int, _ b: Int) -> Int { (b - a) - Int(continuations[b] - continuations[a]) }

    // MARK: - locations

    func location(_ offset: Int, length: Int = 1) -> SourceLocation {
        let off = min(max(0, offset), bytes.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        let col = 1 + characters(lineStarts[lo], off)
        let len = characters(off, min(bytes.count, off + max(1, length)))
        return SourceLocation(file: file, line: lo + 1 + lineOffset, column: col, length: max(1, len))
    }

    func loc(from start: Int) -> SourceLocation { location(start, length: max(1, i - start)) }

    func error(_ message: String, at offset: Int, length: Int = 1, notes: [String] = []) -> EmshError {
        EmshError(.syntax, message, at: location(offset, length: length), notes: notes)
    }

    mutating func eofError(_ message: String, at offset: Int, length: Int = 1) -> EmshError {
        incomplete = true
        return error(message, at: offset, length: length)
    }

    /// An error at the end of the input: incomplete only inside an open bracket or block.
    mutating func endError(_ message: String, at offset: Int, length: Int = 1) -> EmshError {
        if newlineIsSpace > 0 || blockDepth > 0 { incomplete = true }
        return error(message, at: offset, length: length)
    }

    // MARK: - characters

    @inline(__always) func peek(_ k: Int = 0) -> UInt8 { i + k < bytes.count ? bytes[i + k] : 0 }
    var atEnd: Bool { i >= bytes.count }

    static func isIdentStart(_ c: UInt8) -> Bool { (c >= Byte.lowerA && c <= Byte.lowerZ) || (c >= Byte.upperA && c <= Byte.upperZ) || c == Byte.underscore || c >= 0x80 }
    static func isIdent(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= Byte.zero && c <= Byte.nine) }
    static func isDigit(_ c: UInt8) -> Bool { c >= Byte.zero && c <= Byte.nine }
    /// Characters that end a bare word in command arguments.
    static func endsArgWord(_ c: UInt8) -> Bool {
        switch c {
        case 0, Byte.space, Byte.tab, Byte.newline, Byte.carriageReturn, Byte.semicolon, Byte.pipe, Byte.openParen, Byte.closeParen, Byte.openBracket, Byte.closeBracket, Byte.openBrace, Byte.closeBrace, Byte.quote, Byte.dollar, Byte.comma: true
        default: false
        }
    }
    /// Characters allowed in a bare word inside an expression (after a letter or `_`).
    static func isExprWord(_ c: UInt8) -> Bool {
        isIdent(c) || c == Byte.dot || c == Byte.slash || c == Byte.star || c == Byte.question || c == Byte.tilde || c == Byte.minus
    }

    /// Skips spaces, tabs, comments, `\` + newline, and newlines where they are white space.
    mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            if c == Byte.space || c == Byte.tab || c == Byte.carriageReturn { i += 1 }
            else if c == Byte.newline && newlineIsSpace > 0 { i += 1 }
            else if c == Byte.backslash && peek(1) == Byte.newline { i += 2 }
            else if c == Byte.backslash && peek(1) == Byte.carriageReturn && peek(2) == Byte.newline { i += 3 }
            else if c == Byte.hash { while i < bytes.count && bytes[i] != Byte.newline { i += 1 } }
            else { break }
        }
    }

    /// Skips white space, comments and newlines (between statements, after `|`).
    mutating func skipSpaceAndNewlines(semicolons: Bool = false) {
        while true {
            skipSpace()
            if peek() == Byte.newline || (semicolons && peek() == Byte.semicolon) { i += 1 } else { break }
        }
    }

    func word(at k: Int) -> String {
        var e = k
        while e < bytes.count && Parser.isIdent(bytes[e]) { e += 1 }
        return String(decoding: bytes[k..<e], as: UTF8.self)
    }

    func isWord(_ w: String) -> Bool {
        let u = Array(w.utf8)
        guard i + u.count <= bytes.count else { return false }
        for (k, c) in u.enumerated() where bytes[i + k] != c { return false }
        return !Parser.isIdent(peek(u.count))
    }

    func describe(_ k: Int) -> String {
        guard k < bytes.count else { return "end of input" }
        let c = bytes[k]
        if c == Byte.newline { return "end of line" }
        if Parser.isIdentStart(c) { return "'\(word(at: k))'" }
        var e = k + 1
        while e < bytes.count && bytes[e] & 0xC0 == 0x80 { e += 1 }
        return "'" + String(decoding: bytes[k..<e], as: UTF8.self) + "'"
    }

    mutating func enter(_ at: Int) throws {
        nesting += 1
        if nesting > maxNesting { throw error("nesting deeper than \(maxNesting) levels", at: at) }
    }

    /// Inside ( [ { and $( … ): one level deeper (bounded), newlines are white space and `{` opens a
    /// record again. Returns what `leaveBrackets` restores.
    mutating func enterBrackets(_ at: Int) throws -> Bool {
        try enter(at)
        newlineIsSpace += 1
        let savedBrace = braceStartsBlock
        braceStartsBlock = false
        return savedBrace
    }

    /// Undoes `enterBrackets` (call it with what that returned, usually in a `defer`).
    mutating func leaveBrackets(_ savedBrace: Bool) {
        newlineIsSpace -= 1
        braceStartsBlock = savedBrace
        nesting -= 1
    }

    mutating func countOperator(_ at: Int) throws {
        operators += 1
        if operators > maxOperators { throw error("more than \(maxOperators) operators in one statement", at: at) }
    }

    // MARK: - statements

    struct Parsed {
        let stmt: Stmt
        let start: Int
        let end: Int
        let isAssignment: Bool
    }

    /// Parses every statement of the text.
    mutating func parseProgram() throws -> [Parsed] {
        if let nul = bytes.firstIndex(of: 0) { throw error("a NUL byte in the source text", at: nul) }
        var out: [Parsed] = []
        while true {
            skipSpaceAndNewlines(semicolons: true)
            if atEnd { break }
            if peek() == Byte.closeBrace { throw error("unexpected '}' (no block is open)", at: i) }
            let start = i
            nesting = 0; operators = 0
            let s = try parseStatement()
            out.append(Parsed(stmt: s, start: start, end: tokenEnd, isAssignment: { if case .assign = s { true } else { false } }()))
            try expectStatementEnd(inBlock: false)
        }
        return out
    }

    mutating func expectStatementEnd(inBlock: Bool) throws {
        skipSpace()
        let c = peek()
        if c == Byte.newline || c == Byte.semicolon { i += 1; return }
        if atEnd { return }
        if c == Byte.closeBrace && inBlock { return }
        if c == Byte.closeParen || c == Byte.closeBracket || c == Byte.closeBrace { throw error("unexpected \(describe(i)) (nothing to close)", at: i) }
        throw error("unexpected \(describe(i)) after the end of the statement", at: i,
                    notes: c == Byte.equals ? ["to compare, use =="] : [])
    }

    mutating func parseBlock(_ what: String) throws -> [Stmt] {
        skipSpace()
        guard peek() == Byte.openBrace else {
            if atEnd { throw endError("expected '{' to start the \(what)", at: i) }
            throw error("expected '{' to start the \(what), found \(describe(i))", at: i)
        }
        let open = i
        i += 1
        try enter(open)
        let savedNL = newlineIsSpace, savedBrace = braceStartsBlock
        newlineIsSpace = 0; braceStartsBlock = false
        blockDepth += 1
        defer { newlineIsSpace = savedNL; braceStartsBlock = savedBrace; nesting -= 1; blockDepth -= 1 }
        var body: [Stmt] = []
        while true {
            skipSpaceAndNewlines(semicolons: true)
            if atEnd {
                let l = location(open)
                throw eofError("unclosed '{' (opened at \(l.line):\(l.column))", at: open)
            }
            if peek() == Byte.closeBrace { i += 1; tokenEnd = i; break }
            body.append(try parseStatement())
            try expectStatementEnd(inBlock: true)
        }
        return body
    }

    mutating func parseStatement() throws -> Stmt {
        skipSpace()
        let start = i
        let c = peek()
        guard Parser.isIdentStart(c) else { return .expr(try parsePipeline()) }
        let w = word(at: i)
        switch w {
        case "def": return try parseDef()
        case "if": return try parseIf()
        case "while":
            i += 5
            let cond = try parseCondition()
            loopDepth += 1
            defer { loopDepth -= 1 }
            let body = try parseBlock("loop body")
            return .whileLoop(cond, body, location(start, length: 5))
        case "for":
            i += 3
            skipSpace()
            if peek() == Byte.dollar { throw error("write the loop variable without '$': for x in ...", at: i) }
            let (name, nameStart) = try expectName("variable name", after: "for")
            skipSpace()
            guard isWord("in") else {
                if atEnd { throw endError("expected 'in' after 'for \(name)'", at: i) }
                throw error("expected 'in' after 'for \(name)', found \(describe(i))", at: i)
            }
            i += 2
            let seq = try parseCondition()
            loopDepth += 1
            defer { loopDepth -= 1 }
            let body = try parseBlock("loop body")
            _ = nameStart
            return .forLoop(name, seq, body, location(start, length: 3))
        case "return":
            i += 6; tokenEnd = i
            let l = location(start, length: 6)
            guard inFunction else { throw error("'return' outside a def", at: start, length: 6) }
            skipSpace()
            if atStatementEnd() { return .ret(nil, l) }
            return .ret(try parsePipeline(), l)
        case "break", "continue":
            i += w.utf8.count; tokenEnd = i
            let l = location(start, length: w.utf8.count)
            guard loopDepth > 0 else { throw error("'\(w)' outside a loop", at: start, length: w.utf8.count) }
            return w == "break" ? .brk(l) : .cont(l)
        case "else":
            throw error("'else' without 'if'", at: start, length: 4)
        case "true", "false", "nil", "not":
            return .expr(try parsePipeline())
        case "in", "and", "or":
            throw error("unexpected '\(w)' at the start of a statement", at: start, length: w.utf8.count)
        default:
            if let a = try parseAssignment() { return a }
            return .expr(try parsePipeline())
        }
    }

    func atStatementEnd() -> Bool {
        let c = peek()
        return c == 0 && atEnd || c == Byte.newline || c == Byte.semicolon || c == Byte.closeBrace || c == Byte.closeParen
    }

    /// `NAME {.f | [i]} = pipeline`, or nil (position restored) when the statement is not an assignment.
    mutating func parseAssignment() throws -> Stmt? {
        let start = i
        let name = word(at: i)
        i += name.utf8.count
        var path: [AssignPath] = []
        while true {
            if peek() == Byte.dot && Parser.isIdentStart(peek(1)) {
                let fs = i + 1
                let f = word(at: fs)
                i = fs + f.utf8.count
                path.append(.field(f, location(fs, length: f.utf8.count)))
            } else if peek() == Byte.openBracket {
                let open = i
                let saved = self
                i += 1
                newlineIsSpace += 1
                let idx: Expr
                do { skipSpace(); idx = try parseExpr(); skipSpace() } catch { self = saved; return nil }
                newlineIsSpace -= 1
                guard peek() == Byte.closeBracket else { self = saved; return nil }
                i += 1
                path.append(.index(idx, location(open, length: i - open)))
            } else { break }
        }
        let afterName = i
        skipSpace()
        guard peek() == Byte.equals && peek(1) != Byte.equals else { i = start; return nil }
        if keywords.contains(name) { throw error("'\(name)' is a keyword and cannot be assigned", at: start, length: name.utf8.count) }
        _ = afterName
        i += 1
        skipSpace()
        if atStatementEnd() {
            if atEnd { throw endError("expected a value after '='", at: i) }
            throw error("expected a value after '='", at: i)
        }
        let value = try parsePipeline()
        return .assign(name, path: path, value, location(start, length: name.utf8.count))
    }

    /// The identifier after the keyword `after` (not itself a keyword), and where it starts;
    /// errors say that a `what` was expected.
    mutating func expectName(_ what: String, after: String) throws -> (name: String, start: Int) {
        guard Parser.isIdentStart(peek()) else {
            if atEnd { throw endError("expected a \(what) after '\(after)'", at: i) }
            throw error("expected a \(what) after '\(after)', found \(describe(i))", at: i)
        }
        let start = i
        let name = word(at: i)
        if keywords.contains(name) { throw error("'\(name)' is a keyword, not a \(what)", at: i, length: name.utf8.count) }
        i += name.utf8.count
        return (name, start)
    }

    mutating func parseDef() throws -> Stmt {
        let start = i
        i += 3
        if inFunction || blockDepth > 0 { throw error("'def' is allowed only at the top level of a script", at: start, length: 3) }
        skipSpace()
        let (name, nameStart) = try expectName("function name", after: "def")
        var params: [String] = []
        while true {
            skipSpace()
            if peek() == Byte.openBrace { break }
            if peek() == Byte.dollar { throw error("write parameter names without '$'", at: i) }
            guard Parser.isIdentStart(peek()) else {
                if atEnd { throw endError("expected a parameter name or '{'", at: i) }
                throw error("expected a parameter name or '{', found \(describe(i))", at: i)
            }
            let p = word(at: i)
            if keywords.contains(p) { throw error("'\(p)' is a keyword, not a parameter name", at: i, length: p.utf8.count) }
            if params.contains(p) { throw error("parameter '\(p)' given twice", at: i, length: p.utf8.count) }
            params.append(p)
            i += p.utf8.count
        }
        inFunction = true
        let savedLoop = loopDepth
        loopDepth = 0
        defer { inFunction = false; loopDepth = savedLoop }
        let body = try parseBlock("body of \(name)")
        return .def(name, params, body, location(nameStart, length: name.utf8.count))
    }

    mutating func parseIf() throws -> Stmt {
        let start = i
        i += 2
        var branches: [(Expr, [Stmt])] = []
        var otherwise: [Stmt]?
        let cond = try parseCondition()
        branches.append((cond, try parseBlock("'if' body")))
        while true {
            let saved = i
            skipSpaceAndNewlines()
            guard isWord("else") else { i = saved; break }
            i += 4
            skipSpace()
            if isWord("if") {
                i += 2
                let c = try parseCondition()
                branches.append((c, try parseBlock("'else if' body")))
            } else {
                otherwise = try parseBlock("'else' body")
                break
            }
        }
        return .ifElse(branches, otherwise: otherwise, location(start, length: 2))
    }

    /// The head of `if`/`while`/`for`: a pipeline where `{` starts the block.
    mutating func parseCondition() throws -> Expr {
        skipSpace()
        if peek() == Byte.openBrace || atStatementEnd() {
            if atEnd { throw endError("expected a condition", at: i) }
            throw error("expected a condition before \(describe(i))", at: i)
        }
        let saved = braceStartsBlock, savedNL = newlineIsSpace
        braceStartsBlock = true; newlineIsSpace = 0
        defer { braceStartsBlock = saved; newlineIsSpace = savedNL }
        return try parsePipeline()
    }

    // MARK: - pipelines and calls

    /// `(call | expr) {'|' call}`: a call when it starts with a bare word.
    mutating func parsePipeline() throws -> Expr {
        skipSpace()
        var left: Expr
        if startsCall() { left = try parseCall(piped: nil) } else { left = try parseExpr() }
        while true {
            skipSpace()
            guard peek() == Byte.pipe else { break }
            let bar = i
            if peek(1) == Byte.pipe { throw error("'||' is not an operator: use 'or'", at: i, length: 2) }
            try countOperator(bar)  // each stage nests the call tree one level deeper
            i += 1
            tokenEnd = i
            skipSpaceAndNewlines()
            guard startsCall() else {
                if atEnd { throw eofError("expected a command after '|'", at: bar) }
                throw error("expected a command name after '|', found \(describe(i))", at: i)
            }
            left = try parseCall(piped: left)
        }
        return left
    }

    func startsCall() -> Bool {
        guard Parser.isIdentStart(peek()) else { return false }
        let w = word(at: i)
        return !(w == "true" || w == "false" || w == "nil" || w == "not")
    }

    mutating func parseCall(piped: Expr?) throws -> Expr {
        let start = i
        let name = word(at: i)
        if keywords.contains(name) {
            throw error("'\(name)' is a keyword, not a command", at: i, length: name.utf8.count)
        }
        i += name.utf8.count
        // A command name is a word of letters, digits and `_` (`-` allowed inside).
        while peek() == Byte.minus && Parser.isIdent(peek(1)) {
            i += 1
            while Parser.isIdent(peek()) { i += 1 }
        }
        let fullName = String(decoding: bytes[start..<i], as: UTF8.self)
        if !Parser.endsArgWord(peek()) {
            while !Parser.endsArgWord(peek()) { i += 1 }
            throw error("'\(String(decoding: bytes[start..<i], as: UTF8.self))' is not a command name", at: start, length: i - start)
        }
        tokenEnd = i
        let nameLoc = location(start, length: i - start)
        if fullName == "time" && piped == nil {
            skipSpace()
            if atStatementEnd() || peek() == Byte.pipe {
                if atEnd { throw endError("time: expected a command to time", at: i) }
                throw error("time: expected a command to time", at: i)
            }
            let inner = try parsePipeline()
            return .time(inner, nameLoc)
        }
        var args: [CallArg] = []
        while true {
            skipSpace()
            let c = peek()
            if atEnd || c == Byte.newline || c == Byte.semicolon || c == Byte.pipe || c == Byte.closeParen || c == Byte.closeBracket || c == Byte.closeBrace { break }
            if c == Byte.openBrace && braceStartsBlock { break }
            if c == Byte.comma { throw error("unexpected ',' (command arguments are separated by spaces)", at: i) }
            if c == Byte.minus && peek(1) == Byte.minus && Parser.isIdent(peek(2)) {
                let os = i
                i += 2
                while Parser.isIdent(peek()) || (peek() == Byte.minus && Parser.isIdent(peek(1))) { i += 1 }
                if !Parser.endsArgWord(peek()) {
                    throw error("unexpected \(describe(i)) in option name", at: i)
                }
                tokenEnd = i
                args.append(.option(String(decoding: bytes[(os + 2)..<i], as: UTF8.self), location(os, length: i - os)))
                continue
            }
            let before = i
            args.append(.value(try parseArgAtom(operatorWords: Parser.conditionCommands.contains(fullName))))
            if i == before { throw error("unexpected \(describe(i))", at: i) }
            let n = peek()
            if n == Byte.dollar || n == Byte.quote || n == Byte.openParen || n == Byte.openBracket || (n == Byte.openBrace && !braceStartsBlock) {
                throw error("missing space between arguments", at: i,
                            notes: n == Byte.dollar ? ["to join text and a variable, use a string: \"text$name\""] : [])
            }
        }
        return .call(CallNode(name: fullName, nameLocation: nameLoc, args: args), piped: piped)
    }

    /// Commands whose arguments are a condition (`where volume_um3 > 0.1`): a comparison operator there is a word.
    static let conditionCommands: Set<String> = ["where"]

    /// One argument of a command call; with `operatorWords`, `== != < <= > >=` are words (strings) too.
    mutating func parseArgAtom(operatorWords: Bool = false) throws -> Expr {
        let c = peek()
        switch c {
        case Byte.dollar, Byte.quote, Byte.openBracket, Byte.openParen, Byte.openBrace: return try parsePostfix(try parsePrimary())
        default: break
        }
        let start = i
        while !Parser.endsArgWord(peek()) { i += 1 }
        tokenEnd = i
        let w = String(decoding: bytes[start..<i], as: UTF8.self)
        let l = loc(from: start)
        switch w {
        case "true": return .literal(.bool(true), l)
        case "false": return .literal(.bool(false), l)
        case "nil": return .literal(.null, l)
        case "+", "-", "==", "!=", "<", "<=", ">", ">=", "%", "=", "and", "or", "not", "&&":
            if w == "and" || w == "or" || w == "not" { return .literal(.string(w), l) }
            if operatorWords, ["==", "!=", "<", "<=", ">", ">="].contains(w) { return .literal(.string(w), l) }
            throw error("operator '\(w)' in command arguments", at: start, length: i - start,
                        notes: ["an expression in arguments needs parentheses: ($x \(w) 1)"])
        default: break
        }
        if let n = Parser.number(bytes[start..<i]) { return .literal(.number(n), l) }
        return .literal(.string(w), l)
    }

    /// A number in emsh syntax: [-+]digits[.digits][e[-+]digits] or [-+].digits...; nil otherwise.
    static func number(_ s: ArraySlice<UInt8>) -> Double? {
        var k = s.startIndex
        let e = s.endIndex
        if k < e && (s[k] == Byte.minus || s[k] == Byte.plus) { k += 1 }
        var digits = 0
        while k < e && isDigit(s[k]) { k += 1; digits += 1 }
        if k < e && s[k] == Byte.dot {
            k += 1
            while k < e && isDigit(s[k]) { k += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if k < e && (s[k] == Byte.lowerE || s[k] == Byte.upperE) {
            k += 1
            if k < e && (s[k] == Byte.minus || s[k] == Byte.plus) { k += 1 }
            var ed = 0
            while k < e && isDigit(s[k]) { k += 1; ed += 1 }
            guard ed > 0 else { return nil }
        }
        guard k == e else { return nil }
        return Double(String(decoding: s, as: UTF8.self))
    }

    // MARK: - expressions

    mutating func parseExpr() throws -> Expr { try parseOr() }

    mutating func parseOr() throws -> Expr { try parseWordOperator(.or) { try $0.parseAnd() } }

    mutating func parseAnd() throws -> Expr { try parseWordOperator(.and) { try $0.parseNot() } }

    /// `next (op next)*`, left-associative, for the word operators `or` and `and`.
    mutating func parseWordOperator(_ op: BinaryOp, _ next: (inout Parser) throws -> Expr) throws -> Expr {
        var left = try next(&self)
        let word = op.rawValue
        while true {
            skipSpace()
            guard isWord(word) else { return left }
            let at = i
            try countOperator(at)
            i += word.utf8.count
            let right = try operand(next)
            left = .binary(op, left, right, location(at, length: word.utf8.count))
        }
    }

    mutating func parseNot() throws -> Expr {
        skipSpace()
        if isWord("not") {
            let at = i
            i += 3
            try enter(at)
            defer { nesting -= 1 }
            let e = try operand { try $0.parseNot() }
            return .unary(.not, e, location(at, length: 3))
        }
        return try parseComparison()
    }

    /// Parses the right operand of an operator, reporting a missing one precisely.
    mutating func operand(_ f: (inout Parser) throws -> Expr) throws -> Expr {
        skipSpace()
        if atEnd { throw endError("expected a value after the operator", at: i) }
        let c = peek()
        if c == Byte.newline && newlineIsSpace == 0 || c == Byte.semicolon || c == Byte.closeParen || c == Byte.closeBracket || c == Byte.closeBrace || c == Byte.comma {
            throw error("expected a value after the operator, found \(describe(i))", at: i)
        }
        return try f(&self)
    }

    mutating func parseComparison() throws -> Expr {
        let left = try parseAdditive()
        skipSpace()
        let c = peek(), d = peek(1)
        var op: BinaryOp?
        var len = 1
        switch c {
        case Byte.equals where d == Byte.equals: op = .eq; len = 2
        case Byte.bang where d == Byte.equals: op = .ne; len = 2
        case Byte.less: if d == Byte.equals { op = .le; len = 2 } else { op = .lt }
        case Byte.greater: if d == Byte.equals { op = .ge; len = 2 } else { op = .gt }
        default: break
        }
        guard let op else { return left }
        let at = i
        try countOperator(at)
        i += len
        let right = try operand { try $0.parseAdditive() }
        skipSpace()
        let c2 = peek()
        if c2 == Byte.less || c2 == Byte.greater || ((c2 == Byte.equals || c2 == Byte.bang) && peek(1) == Byte.equals) {
            throw error("comparisons do not chain: use 'and'", at: i)
        }
        return .binary(op, left, right, location(at, length: len))
    }

    mutating func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        while true {
            skipSpace()
            let c = peek()
            guard c == Byte.plus || c == Byte.minus else { return left }
            if c == Byte.minus && peek(1) == Byte.minus && Parser.isIdentStart(peek(2)) {
                throw error("an option (--name) cannot follow an expression: put the command first", at: i)
            }
            let at = i
            try countOperator(at)
            i += 1
            let right = try operand { try $0.parseMultiplicative() }
            left = .binary(c == Byte.plus ? .add : .sub, left, right, location(at))
        }
    }

    mutating func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        while true {
            skipSpace()
            let c = peek()
            guard c == Byte.star || c == Byte.slash || c == Byte.percent else { return left }
            let at = i
            try countOperator(at)
            i += 1
            let right = try operand { try $0.parseUnary() }
            left = .binary(c == Byte.star ? .mul : c == Byte.slash ? .div : .mod, left, right, location(at))
        }
    }

    mutating func parseUnary() throws -> Expr {
        skipSpace()
        if peek() == Byte.minus {
            let at = i
            i += 1
            try enter(at)
            defer { nesting -= 1 }
            let e = try operand { try $0.parseUnary() }
            if case .literal(.number(let n), _) = e { return .literal(.number(-n), loc(from: at)) }
            return .unary(.neg, e, location(at))
        }
        return try parsePostfix(try parsePrimary())
    }

    /// `.field` and `[index]` directly after a value.
    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if peek() == Byte.dot && Parser.isIdentStart(peek(1)) {
                let fs = i + 1
                let f = word(at: fs)
                i = fs + f.utf8.count
                tokenEnd = i
                e = .field(e, f, location(fs, length: f.utf8.count))
            } else if peek() == Byte.openBracket {
                let open = i
                i += 1
                let savedBrace = try enterBrackets(open)
                skipSpace()
                if peek() == Byte.closeBracket { throw error("expected an index inside '[]'", at: i) }
                let idx = try parsePipeline()
                skipSpace()
                try close(Byte.closeBracket, "[", open)
                leaveBrackets(savedBrace)
                e = .index(e, idx, location(open, length: i - open))
            } else {
                return e
            }
        }
    }

    /// Expects the closing bracket `c` of the bracket opened at `open`.
    mutating func close(_ c: UInt8, _ opener: String, _ open: Int) throws {
        if peek() == c { i += 1; tokenEnd = i; return }
        let l = location(open)
        if atEnd { throw eofError("unclosed '\(opener)' (opened at \(l.line):\(l.column))", at: open) }
        let closer = c == Byte.closeParen ? ")" : c == Byte.closeBracket ? "]" : "}"
        throw error("expected '\(closer)' to close '\(opener)' opened at \(l.line):\(l.column), found \(describe(i))", at: i)
    }

    mutating func parsePrimary() throws -> Expr {
        skipSpace()
        let start = i
        let c = peek()
        if atEnd { throw endError("expected a value", at: i) }
        switch c {
        case Byte.dollar:
            i += 1
            guard Parser.isIdentStart(peek()) else {
                if peek() == Byte.openParen { throw error("'$(...)' is only for strings: write ( ... ) here", at: start, length: 2) }
                throw error("expected a variable name after '$'", at: start)
            }
            let name = word(at: i)
            i += name.utf8.count
            tokenEnd = i
            return .variable(name, loc(from: start))
        case Byte.quote:
            return try parseString()
        case Byte.openBracket:
            i += 1
            let savedBrace = try enterBrackets(start)
            defer { leaveBrackets(savedBrace) }
            var items: [Expr] = []
            while true {
                skipSpace()
                if peek() == Byte.closeBracket { i += 1; tokenEnd = i; break }
                if atEnd { try close(Byte.closeBracket, "[", start) }
                items.append(try parseExpr())
                skipSpace()
                if peek() == Byte.comma { i += 1; continue }
                if peek() == Byte.closeBracket { continue }
                if atEnd { try close(Byte.closeBracket, "[", start) }
                throw error("expected ',' or ']' in the list, found \(describe(i))", at: i)
            }
            return .list(items, loc(from: start))
        case Byte.openBrace:
            if braceStartsBlock { throw error("expected a value before '{'", at: i) }
            i += 1
            let savedBrace = try enterBrackets(start)
            defer { leaveBrackets(savedBrace) }
            var pairs: [(String, Expr)] = []
            while true {
                skipSpace()
                if peek() == Byte.closeBrace { i += 1; tokenEnd = i; break }
                if atEnd { try close(Byte.closeBrace, "{", start) }
                let key: String
                if peek() == Byte.quote {
                    let ks = i
                    guard case .literal(.string(let k), _) = try parseString() else {
                        throw error("a record key must be a plain string (no interpolation)", at: ks, length: i - ks)
                    }
                    key = k
                } else if Parser.isIdentStart(peek()) {
                    let ks = i
                    while Parser.isIdent(peek()) || (peek() == Byte.minus && Parser.isIdent(peek(1))) { i += 1 }
                    key = String(decoding: bytes[ks..<i], as: UTF8.self)
                } else {
                    throw error("expected a record key (a name or a string), found \(describe(i))", at: i)
                }
                skipSpace()
                guard peek() == Byte.colon else {
                    if atEnd { try close(Byte.closeBrace, "{", start) }
                    throw error("expected ':' after the record key '\(key)', found \(describe(i))", at: i)
                }
                i += 1
                skipSpace()
                if peek() == Byte.comma || peek() == Byte.closeBrace { throw error("expected a value for the record key '\(key)'", at: i) }
                pairs.append((key, try parseExpr()))
                skipSpace()
                if peek() == Byte.comma { i += 1; continue }
                if peek() == Byte.closeBrace { continue }
                if atEnd { try close(Byte.closeBrace, "{", start) }
                throw error("expected ',' or '}' in the record, found \(describe(i))", at: i)
            }
            return .record(pairs, loc(from: start))
        case Byte.openParen:
            i += 1
            let savedBrace = try enterBrackets(start)
            defer { leaveBrackets(savedBrace) }
            skipSpace()
            if peek() == Byte.closeParen { throw error("empty parentheses", at: start, length: 2) }
            if atEnd { try close(Byte.closeParen, "(", start) }
            let e = try parsePipeline()
            skipSpace()
            try close(Byte.closeParen, "(", start)
            return e
        default:
            break
        }
        if Parser.isDigit(c) || (c == Byte.dot && Parser.isDigit(peek(1))) {
            var e = i
            while e < bytes.count && (Parser.isDigit(bytes[e]) || bytes[e] == Byte.dot) { e += 1 }
            if e < bytes.count && (bytes[e] == Byte.lowerE || bytes[e] == Byte.upperE) {
                var k = e + 1
                if k < bytes.count && (bytes[k] == Byte.minus || bytes[k] == Byte.plus) { k += 1 }
                if k < bytes.count && Parser.isDigit(bytes[k]) {
                    e = k
                    while e < bytes.count && Parser.isDigit(bytes[e]) { e += 1 }
                }
            }
            guard let n = Parser.number(bytes[i..<e]) else {
                throw error("malformed number '\(String(decoding: bytes[i..<e], as: UTF8.self))'", at: i, length: e - i)
            }
            i = e
            tokenEnd = i
            if Parser.isIdent(peek()) {
                throw error("unexpected \(describe(i)) after the number", at: i,
                            notes: ["a word that starts with a digit must be quoted in an expression: \"3x\""])
            }
            return .literal(.number(n), loc(from: start))
        }
        if Parser.isIdentStart(c) {
            let w = word(at: i)
            switch w {
            case "true": i += 4; tokenEnd = i; return .literal(.bool(true), loc(from: start))
            case "false": i += 5; tokenEnd = i; return .literal(.bool(false), loc(from: start))
            case "nil": i += 3; tokenEnd = i; return .literal(.null, loc(from: start))
            case "and", "or", "in", "else", "if", "for", "while", "def", "return", "break", "continue", "not":
                throw error("unexpected keyword '\(w)'", at: i, length: w.utf8.count)
            default: break
            }
            while Parser.isExprWord(peek()) { i += 1 }
            tokenEnd = i
            return .literal(.string(String(decoding: bytes[start..<i], as: UTF8.self)), loc(from: start))
        }
        if c == Byte.newline && newlineIsSpace == 0 || c == Byte.semicolon {
            throw error("expected a value, found \(describe(i))", at: i)
        }
        if c == Byte.equals { throw error("unexpected '='", at: i, notes: ["assign with NAME = value at the start of a statement; compare with =="]) }
        throw error("unexpected \(describe(i))", at: i)
    }

    /// A `"..."` literal with escapes and interpolation.
    mutating func parseString() throws -> Expr {
        let start = i
        i += 1
        var parts: [StringPart] = []
        var buf: [UInt8] = []
        func flush() {
            if !buf.isEmpty { parts.append(.text(String(decoding: buf, as: UTF8.self))); buf.removeAll() }
        }
        while true {
            guard i < bytes.count else { throw eofError("unterminated string", at: start) }
            let c = bytes[i]
            if c == Byte.quote { i += 1; break }
            if c == Byte.backslash {
                guard i + 1 < bytes.count else { throw eofError("unterminated string", at: start) }
                let e = bytes[i + 1]
                switch e {
                case Byte.lowerN: buf.append(10)
                case Byte.lowerT: buf.append(9)
                case Byte.lowerR: buf.append(13)
                case Byte.zero: buf.append(0)
                case Byte.quote, Byte.backslash, Byte.dollar: buf.append(e)
                case Byte.newline: break  // backslash-newline: continue the string on the next line
                default:
                    throw error("unknown escape '\\\(String(decoding: [e], as: UTF8.self))' in string", at: i, length: 2,
                                notes: ["escapes: \\n \\t \\r \\\" \\\\ \\$ \\0"])
                }
                i += 2
                continue
            }
            if c == Byte.dollar {
                let ds = i
                if peek(1) == Byte.openParen {
                    flush()
                    i += 2
                    let savedBrace = try enterBrackets(ds)
                    skipSpace()
                    if peek() == Byte.closeParen { throw error("empty '$()' in string", at: ds, length: 3) }
                    if atEnd { throw eofError("unclosed '$(' in string", at: ds, length: 2) }
                    let e = try parsePipeline()
                    skipSpace()
                    try close(Byte.closeParen, "$(", ds)
                    leaveBrackets(savedBrace)
                    parts.append(.expr(e))
                    continue
                }
                if Parser.isIdentStart(peek(1)) {
                    flush()
                    i += 1
                    let name = word(at: i)
                    i += name.utf8.count
                    var field: String?
                    if peek() == Byte.dot && Parser.isIdentStart(peek(1)) {
                        field = word(at: i + 1)
                        i += 1 + (field?.utf8.count ?? 0)
                    }
                    parts.append(.variable(name, field: field, location(ds, length: 1 + name.utf8.count)))
                    continue
                }
                throw error("'$' in a string starts $name or $(...): write \\$ for a dollar sign", at: i)
            }
            buf.append(c)
            i += 1
        }
        tokenEnd = i
        flush()
        let l = loc(from: start)
        if parts.isEmpty { return .literal(.string(""), l) }
        if parts.count == 1, case .text(let t) = parts[0] { return .literal(.string(t), l) }
        return .string(parts, l)
    }
}
