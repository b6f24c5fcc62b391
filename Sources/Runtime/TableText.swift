import _Platform
import Kernels

/// A table as aligned text, like a data frame: a header line, the column names, the first `rows`
/// rows (numbers right-aligned with 4 decimals, or 4 significant digits when very small or large,
/// integers as they are), and how many rows are left out.
public func tableText(_ t: Table, rows: Int) -> String {
    let n = Swift.min(rows, t.rowCount)
    var cols: [[String]] = []
    var numeric: [Bool] = []
    for (name, col) in zip(t.names, t.columns) {
        var cells = [name]
        switch col {
        case .number(let v):
            for i in 0..<n { cells.append(tableNumber(v[i])) }
            numeric.append(true)
        case .string(let v):
            for i in 0..<n { cells.append(v[i]) }
            numeric.append(false)
        }
        cols.append(cells)
    }
    let widths = cols.map { $0.map(\.count).max() ?? 0 }
    var out = "table \(t.rowCount) rows × \(t.names.count) columns\n"
    for r in 0...n {
        var parts: [String] = []
        for (c, cells) in cols.enumerated() {
            parts.append(numeric[c] ? cells[r].leftPadded(to: widths[c]) : cells[r].padded(to: widths[c]))
        }
        out += parts.joined(separator: "  ").trailingSpacesTrimmed + "\n"
    }
    if t.rowCount > n { out += "… \(t.rowCount - n) more rows\n" }
    return out
}

func tableNumber(_ x: Double) -> String {
    if !x.isFinite || (x == x.rounded() && abs(x) < 1e12) { return formatNumber(x) }
    if abs(x) >= 1e6 || abs(x) < 1e-3 { return scientific(x, digits: 4) }
    return fixed(x, 4)
}


extension String {
    public func padded(to n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    public func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    public var trailingSpacesTrimmed: String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
