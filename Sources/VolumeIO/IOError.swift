import Kernels

/// The one error type of the I/O layer: a message about one file (or pattern).
/// `description` is the user-facing text, `"PATH: message"`.
public struct IOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file, folder or pattern the error is about (empty when there is none).
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Runs `MemoryBudget.check` and turns its error into an `IOError` naming `path`.
func checkMemory(_ bytes: Int?, what: String, path: String) throws {
    guard let bytes else { throw IOError(path, "\(what) is too large to address") }
    do {
        try MemoryBudget.check(bytes, what: what)
    } catch let e as MemoryLimitError {
        throw IOError(path, e.description)
    }
}

/// Resolves an optional z range against `count` slices.
func resolveZ(_ z: Range<Int>?, count: Int, path: String) throws -> Range<Int> {
    guard let z else { return 0..<count }
    if z.lowerBound < 0 || z.upperBound > count || z.isEmpty {
        throw IOError(path, "slice range \(z.lowerBound):\(z.upperBound) is outside the \(count) slices (0:\(count))")
    }
    return z
}
