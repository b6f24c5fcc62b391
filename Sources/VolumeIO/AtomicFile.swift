import _Platform

/// Reads a whole file, checking its size against the memory budget first.
public func readBudgetedFile(_ path: String) throws -> [UInt8] {
    try readWholeFile(path) { size in try checkMemory(size, what: "reading a \(size)-byte file", path: path) }
}
