/// White space as every trimmer in emsh means it: space, tab, carriage return, line feed.
public let whiteSpace: Set<Character> = [" ", "\t", "\r", "\n", "\r\n"]

extension StringProtocol {
    /// The text without leading and trailing white space (space, tab, CR, LF).
    public var trimmed: String { trimming(whiteSpace) }

    /// The text without leading and trailing characters from `set`.
    public func trimming(_ set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// The two quoting styles of emsh's output: JSON (OME-Zarr metadata, safetensors headers) and
/// emsh's own string literals (`\n \t \" \\ \$`, what the lexer reads back).
public enum QuoteStyle: Sendable {
    case json, emsh
}

/// `s` as a double-quoted literal in `style`.
public func quoted(_ s: String, _ style: QuoteStyle) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "$" where style == .emsh: out += "\\$"
        case "\r" where style == .json: out += "\\r"
        case _ where style == .json && u.value < 0x20:
            let h = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

/// `s` with every character found in `table` replaced by its entry (SVG entities, the history
/// file's one-line entries).
public func escaped(_ s: String, _ table: [Character: String]) -> String {
    var out = ""
    for c in s {
        if let r = table[c] { out += r } else { out.append(c) }
    }
    return out
}
