import Runtime

/// What tab completion offers at a cursor position.
public enum CompletionResult: Equatable, Sendable {
    /// These words (the caller keeps those starting with the word being completed).
    case words([String])
    /// File names (readline's own completion).
    case files
}

/// Tab completion, independent of readline: command and function names at the start of a statement,
/// the options of the command being typed, `$variables`, `$var.field` (record keys, table columns,
/// model fields), and file names elsewhere.
public struct Completer {
    let registry: Registry
    let functions: () -> [String]
    let variables: () -> [(name: String, value: Value)]

    /// The fields the language gives a volume (`$img.shape`).
    static let volumeFields = ["count", "kind", "shape", "spacing", "type", "x", "y", "z"]
    static let keywords = ["def", "for", "while", "if", "else", "return", "break", "continue", "true", "false", "nil"]

    public init(registry: Registry, functions: @escaping () -> [String], variables: @escaping () -> [(name: String, value: Value)]) {
        self.registry = registry
        self.functions = functions
        self.variables = variables
    }

    /// Candidates for the word at `start..<end` (UTF-8 byte offsets) of `line`.
    public func complete(line: String, start: Int, end: Int) -> CompletionResult {
        complete(lineBytes: Array(line.utf8), start: start, end: end)
    }

    public func complete(lineBytes: [UInt8], start: Int, end: Int) -> CompletionResult {
        let s = max(0, min(start, lineBytes.count)), e = max(s, min(end, lineBytes.count))
        let word = String(decoding: lineBytes[s..<e], as: UTF8.self)
        let before = String(decoding: lineBytes[0..<s], as: UTF8.self)
        let segment = Completer.currentSegment(before)
        let tokens = segment.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // `x = cmd ...`: the command comes after the `=`.
        var call = tokens
        if call.count >= 2 && call[1] == "=" { call.removeFirst(2) }

        if word.hasPrefix("$") {
            return .words(variableWords(word))
        }
        if call.isEmpty {
            return .words(Array(Set(registry.names + functions() + Completer.keywords)).sorted())
        }
        if word.hasPrefix("-"), let command = registry.lookup(call[0]) {
            return .words(command.options.map { "--" + $0.name }.filter { !call.contains($0) }.sorted())
        }
        if call[0] == "help" && call.count == 1 {
            return .words(registry.names.sorted())
        }
        return .files
    }

    /// `$na` → variables; `$rec.fi` → fields of `$rec`.
    func variableWords(_ word: String) -> [String] {
        let body = word.dropFirst()
        var path = body.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if path.count <= 1 {
            return variables().map { "$" + $0.name }.sorted()
        }
        path.removeLast()
        guard let root = variables().first(where: { $0.name == path[0] })?.value else { return [] }
        var value = root
        for name in path.dropFirst() {
            guard let v = Completer.field(of: value, name) else { return [] }
            value = v
        }
        let prefix = "$" + path.joined(separator: ".") + "."
        return Completer.fieldNames(of: value).map { prefix + $0 }
    }

    static func fieldNames(of value: Value) -> [String] {
        switch value {
        case .record(let r): return r.keys
        case .table(let t): return t.names
        case .object(let o): return o.fieldNames
        case .volume: return Completer.volumeFields
        default: return []
        }
    }

    static func field(of value: Value, _ name: String) -> Value? {
        switch value {
        case .record(let r): return r[name]
        case .object(let o): return o.field(name)
        default: return nil
        }
    }

    /// The text of the statement being typed: after the last `;`, `|`, `(`, `{`, `}` or newline
    /// outside a string.
    static func currentSegment(_ before: String) -> String {
        var inString = false, escaped = false
        var start = before.startIndex
        var i = before.startIndex
        while i < before.endIndex {
            let c = before[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "#" {
                break
            } else if ";|({}\n".contains(c) {
                start = before.index(after: i)
            }
            i = before.index(after: i)
        }
        return String(before[start...])
    }
}
