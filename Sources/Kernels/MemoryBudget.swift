import _Platform
/// Thrown before a large allocation that would pass the memory ceiling.
public struct MemoryLimitError: Error, CustomStringConvertible, Sendable {
    public let requested: Int
    public let limit: Int
    public let what: String
    public var description: String {
        "\(what) needs \(formatBytes(requested)), more than the memory limit of \(formatBytes(limit)) (set EMSH_MAX_MEMORY to change it)"
    }
}

/// The memory ceiling: `EMSH_MAX_MEMORY` (bytes, or with a K/M/G suffix), default 3/4 of physical memory.
public enum MemoryBudget {
    public static var limit: Int {
        if let s = getenvString("EMSH_MAX_MEMORY"), let n = parseByteCount(s) { return n }
        return physicalMemory() / 4 * 3
    }

    /// Throws when `bytes` (the size of one planned allocation) exceeds the ceiling.
    public static func check(_ bytes: Int, what: String) throws {
        let lim = limit
        if bytes < 0 || bytes > lim { throw MemoryLimitError(requested: bytes < 0 ? Int.max : bytes, limit: lim, what: what) }
    }

    /// Bytes for `count` elements of `size` bytes, or nil on overflow.
    public static func bytes(_ counts: [Int], elementSize: Int) -> Int? {
        var total = elementSize
        for c in counts {
            if c < 0 { return nil }
            let (r, o) = total.multipliedReportingOverflow(by: c)
            if o { return nil }
            total = r
        }
        return total
    }
}

public func parseByteCount(_ s: String) -> Int? {
    let t = s.trimmed.uppercased()
    guard let last = t.last else { return nil }
    var mult = 1
    var digits = t
    switch last {
    case "K": mult = 1 << 10; digits.removeLast()
    case "M": mult = 1 << 20; digits.removeLast()
    case "G": mult = 1 << 30; digits.removeLast()
    case "T": mult = 1 << 40; digits.removeLast()
    default: break
    }
    guard let v = Double(digits), v > 0 else { return nil }
    return Int(v * Double(mult))
}
