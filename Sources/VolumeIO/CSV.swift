#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import _Platform
import Kernels

/// CSV files (RFC 4180) for tables: a header row of column names, then one row per record.
///
/// Reading: a column is numeric when every cell parses as a number (`nan`, `inf` included);
/// otherwise it holds strings. Fields may be quoted (`"a, ""b"""`) and may then hold commas,
/// quotes and newlines; CRLF and a UTF-8 byte-order mark are accepted. A row with a different
/// number of fields than the header, or an unterminated quote, is an error naming the file
/// and line. Writing quotes a field only when it needs it; integral numbers print without `.0`.
public enum CSV {
    public static func read(path: String) throws -> Table {
        try parse(try readBudgetedFile(path), name: path)
    }

    /// Parses CSV text; `name` is the file named in errors.
    public static func parse(_ text: String, name: String = "<csv>") throws -> Table {
        try parse(Array(text.utf8), name: name)
    }

    static func parse(_ input: [UInt8], name: String) throws -> Table {
        // Refuse bytes that are not UTF-8 (a binary file behind a .csv name) instead of
        // silently replacing them: name the line of the first bad byte.
        if String(validating: input, as: UTF8.self) == nil {
            var decoder = UTF8()
            var bytes = input.makeIterator()
            var line = 1
            decoding: while true {
                switch decoder.decode(&bytes) {
                case .scalarValue(let c): if c == "\n" { line += 1 }
                case .emptyInput: break decoding
                case .error: break decoding
                }
            }
            throw IOError(name, "line \(line): not UTF-8 text (is this a CSV file?)")
        }
        var rows: [[String]] = []
        var rowLines: [Int] = []
        var field: [UInt8] = []
        var row: [String] = []
        var i = 0
        var line = 1
        var rowStart = 1
        let n = input.count
        if n >= 3 && input[0] == 0xEF && input[1] == 0xBB && input[2] == 0xBF { i = 3 }
        var atFieldStart = true
        var sawAnything = false
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }
        func endRow() {
            endField()
            rows.append(row)
            rowLines.append(rowStart)
            row = []
        }
        while i < n {
            let c = input[i]
            sawAnything = true
            if atFieldStart && c == UInt8(ascii: "\"") {
                let open = line
                i += 1
                var closed = false
                while i < n {
                    let d = input[i]
                    if d == UInt8(ascii: "\"") {
                        if i + 1 < n && input[i + 1] == UInt8(ascii: "\"") {
                            field.append(d)
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    if d == 10 { line += 1 }
                    field.append(d)
                    i += 1
                }
                if !closed { throw IOError(name, "line \(open): unterminated quoted field") }
                atFieldStart = false
                if i < n {
                    let e = input[i]
                    if e != UInt8(ascii: ","), e != 10, e != 13 {
                        throw IOError(name, "line \(line): unexpected character after a closing quote")
                    }
                }
                continue
            }
            atFieldStart = false
            switch c {
            case UInt8(ascii: ","):
                endField()
            case 13:
                if i + 1 < n && input[i + 1] == 10 { i += 1 }
                endRow()
                line += 1
                rowStart = line
            case 10:
                endRow()
                line += 1
                rowStart = line
            default:
                field.append(c)
            }
            i += 1
        }
        if sawAnything && !(row.isEmpty && field.isEmpty && atFieldStart) { endRow() }
        guard let header = rows.first, !(header.count == 1 && header[0].isEmpty) else {
            throw IOError(name, "empty CSV file (no header row)")
        }
        var seen = Set<String>()
        for h in header where !seen.insert(h).inserted {
            throw IOError(name, "line 1: duplicate column name \"\(h)\"")
        }
        // Trailing blank lines are not records.
        var last = rows.count
        while last > 1 && rows[last - 1].count == 1 && rows[last - 1][0].isEmpty && header.count > 1 { last -= 1 }
        var columns = [[String]](repeating: [], count: header.count)
        for r in 1..<max(1, last) {
            let fields = rows[r]
            if fields.count != header.count {
                throw IOError(name, "line \(rowLines[r]): \(fields.count) fields, the header has \(header.count)")
            }
            for (k, f) in fields.enumerated() { columns[k].append(f) }
        }
        var table = Table()
        for (k, h) in header.enumerated() {
            let cells = columns[k]
            var numbers: [Double] = []
            numbers.reserveCapacity(cells.count)
            var numeric = true
            for cell in cells {
                guard let v = parseNumber(cell) else { numeric = false; break }
                numbers.append(v)
            }
            table.append(h, numeric ? .number(numbers) : .string(cells))
        }
        return table
    }

    static func parseNumber(_ s: String) -> Double? {
        let t = s.trimmed
        if t.isEmpty { return nil }
        switch t.lowercased() {
        case "nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        guard let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || first == UInt8(ascii: ".") || (first >= 48 && first <= 57) else { return nil }
        return Double(t)
    }

    /// Formats a table as CSV text (LF line ends).
    public static func format(_ table: Table) -> String {
        var out = ""
        out += table.names.map(quote).joined(separator: ",")
        out += "\n"
        for r in 0..<table.rowCount {
            var first = true
            for col in table.columns {
                if !first { out += "," }
                first = false
                switch col {
                case .number(let v): out += exactNumber(v[r])
                case .string(let v): out += quote(v[r])
                }
            }
            out += "\n"
        }
        return out
    }

    /// Writes `table` to `path` atomically.
    public static func write(_ table: Table, to path: String) throws {
        let text = format(table)
        try writeText(text, to: path)
    }

    static func quote(_ s: String) -> String {
        let needs = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            || s.hasPrefix(" ") || s.hasSuffix(" ")
        if !needs { return s }
        var q = "\""
        for ch in s { if ch == "\"" { q += "\"\"" } else { q.append(ch) } }
        return q + "\""
    }
}


/// Writes text to `path` atomically (temporary file, fsync, rename). Public for other writers (SVG).
public func writeText(_ text: String, to path: String) throws {
    try AtomicFile.write(text: text, to: path)
}
