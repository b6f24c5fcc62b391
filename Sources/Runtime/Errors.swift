import _Platform
import Kernels

/// A place in a source text: file name (`<repl:N>` for the N-th REPL input, `<-c>` or a path), 1-based line and column.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// Length of the underlined token (for the caret line); at least 1.
    public var length: Int

    public init(file: String, line: Int, column: Int, length: Int = 1) {
        self.file = file; self.line = line; self.column = column; self.length = max(1, length)
    }

    /// `FILE:LINE:COL`. REPL inputs are sources of their own (`<repl:N>`, so that an error inside a
    /// function quotes the input that defined it) but are all shown as `<repl>`.
    public var description: String { "\(file.hasPrefix("<repl:") ? "<repl>" : file):\(line):\(column)" }
}

/// The category of an error (a stable code, used by tests and the golden corpus).
public enum ErrorKind: String, Sendable {
    case syntax          // the lexer or parser refused the text
    case name            // unknown variable, command, option or field
    case type            // a value of the wrong type
    case argument        // a wrong or missing argument to a command
    case value           // a value out of range, mismatched shapes
    case io              // a file could not be read or written
    case runtime         // anything else while running
    case interrupted     // Ctrl-C
}

/// An error the user sees as `error: FILE:LINE:COL: message`.
public struct EmshError: Error, Sendable, CustomStringConvertible {
    public var kind: ErrorKind
    public var message: String
    public var location: SourceLocation?
    /// Extra lines: "did you mean", the call stack of the script.
    public var notes: [String]

    public init(_ kind: ErrorKind, _ message: String, at location: SourceLocation? = nil, notes: [String] = []) {
        self.kind = kind
        self.message = message
        self.location = location
        self.notes = notes
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }

    /// Attaches a location if the error has none yet.
    public func located(_ loc: SourceLocation?) -> EmshError {
        var e = self
        if e.location == nil { e.location = loc }
        return e
    }
}

/// The one mapping of the lower floors' errors into the error the user sees: a kernel's
/// `VolumeError` (kind `value`), a file's `IOError` (kind `io`), the memory budget's
/// `MemoryLimitError` (kind `value`); anything else keeps its text (kind `runtime`).
/// `operation` (a command's name, or an operator) leads the message once; a kernel error is told
/// in the caller's name (`fscore: …`, `+: …`), so the same problem reads the same from every call.
public func userError(_ error: any Error, in operation: String? = nil, at location: SourceLocation? = nil) -> EmshError {
    func named(_ text: String) -> String {
        guard let operation, !text.hasPrefix(operation + ": ") else { return text }
        return "\(operation): \(text)"
    }
    switch error {
    case let e as EmshError: return e.located(location)
    case let e as VolumeError: return EmshError(.value, "\(operation ?? e.operation): \(e.message)", at: location)
    case let e as IOError: return EmshError(.io, named(e.description), at: location)
    case let e as MemoryLimitError: return EmshError(.value, named(e.description), at: location)
    default: return EmshError(.runtime, named(String(describing: error)), at: location)
    }
}

/// Runs `body`, mapping its errors through `userError`; cancellation and `exit` pass unchanged.
public func withUserErrors<T>(in operation: String? = nil, at location: SourceLocation? = nil,
                              _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as CancelledError {
        throw e
    } catch let e as ExitRequest {
        throw e
    } catch {
        throw userError(error, in: operation, at: location)
    }
}

/// Thrown by `exit`: ends a script or the REPL with a status code.
public struct ExitRequest: Error, Sendable {
    public let code: Int32
    public init(code: Int32) { self.code = code }
}

/// Edit distance for "did you mean" suggestions.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo.
public func closest(to name: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(name.lowercased(), c.lowercased())
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (c, d) = best else { return nil }
    let limit = max(1, min(3, name.count / 3 + 1))
    if d <= limit || c.hasPrefix(name) { return c }
    return nil
}

extension Arguments {
    /// Where an error from the call is best shown: a file error at the argument that named the
    /// file (`load missing/*.png` points at the pattern), anything else at the call.
    public func location(for error: any Error) -> SourceLocation? {
        if let e = error as? IOError, !e.path.isEmpty,
           let name = values.first(where: { if case .string(e.path) = $0.value { true } else { false } })?.key {
            return locations[name] ?? location
        }
        return location
    }
}
