import _Platform
import Kernels

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
