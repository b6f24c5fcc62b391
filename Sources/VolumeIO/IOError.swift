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

/// Resolves an optional z range against the `count` slices of the files (all when nil).
func resolveZ(_ z: IndexRange?, count: Int, path: String) throws -> Range<Int> {
    guard let z else { return 0..<count }
    guard let r = z.resolve(count: count) else { throw IOError(path, z.problem(count: count)) }
    return r
}
