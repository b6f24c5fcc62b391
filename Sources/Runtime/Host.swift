/// What commands may ask of the interpreter and the shell that run them.
public protocol Host: AnyObject {
    var registry: Registry { get }
    /// Writes to standard output (no newline added).
    func write(_ text: String)
    /// Prints `warning: text` to standard error.
    func warn(_ text: String)
    /// The variables visible at the call, sorted by name.
    func variables() -> [(name: String, value: Value)]
    /// The user-defined functions: name and parameter names.
    func functions() -> [(name: String, parameters: [String])]
    /// Calls a user function (`def`) or a command by name with positional arguments, as `NAME ARG...` would;
    /// errors are reported at `location` (the argument that named the function), with a note on the call.
    func call(function name: String, arguments: [Value], at location: SourceLocation?) throws -> Value
    /// Runs a file in the current scope (`source`); stdlib files are found by name.
    func source(path: String, at location: SourceLocation?) throws -> Value
    /// The recorded session, when running in the REPL or a replay.
    var session: (any SessionHost)? { get }
}

/// The session journal, provided by the shell.
public protocol SessionHost: AnyObject {
    /// The statements executed so far in this session.
    func historyEntries() -> [String]
    /// Writes the session as a clean script.
    func saveHistory(to path: String) throws
    /// Re-runs a recorded session; with `verify`, fails at the first statement whose digest differs.
    func replay(path: String, verify: Bool) throws -> Value
}

/// A minimal sink: tests and examples capture output through it.
public final class OutputBuffer: @unchecked Sendable {
    public private(set) var text = ""
    public init() {}
    public func append(_ s: String) { text += s }
}
