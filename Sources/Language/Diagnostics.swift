import Runtime
import Kernels

extension Interpreter {
    /// The user-facing text of an error:
    ///
    ///     error: FILE:LINE:COL: message
    ///         <source line>
    ///         <spaces>^~~~
    ///       <note>            ("did you mean ...", "in def f, called at ...")
    ///
    /// An interruption renders as "error: FILE:LINE:COL: interrupted"; other errors by their description.
    public func render(_ error: any Error) -> String {
        switch error {
        case let e as EmshError:
            return renderMessage(e.message, at: e.location, notes: e.notes)
        case is CancelledError:
            return renderMessage("interrupted", at: cancelLocation, notes: [])
        case let e as ExitRequest:
            return "exit \(e.code)\n"
        default:
            return renderMessage(String(describing: error), at: nil, notes: [])
        }
    }

    func renderMessage(_ message: String, at location: SourceLocation?, notes: [String]) -> String {
        var out = "error: "
        if let location { out += "\(location): " }
        out += message + "\n"
        if let location, let lines = sources[location.file], location.line >= 1, location.line <= lines.count {
            var line = String(lines[location.line - 1])
            if line.hasSuffix("\r") { line.removeLast() }
            let chars = Array(line)
            let col = min(max(1, location.column), chars.count + 1)
            var pad = ""
            for c in chars.prefix(col - 1) { pad.append(c == "\t" ? "\t" : " ") }
            let room = max(1, chars.count - (col - 1))
            let len = min(max(1, location.length), room)
            out += "    " + line + "\n"
            out += "    " + pad + "^" + String(repeating: "~", count: len - 1) + "\n"
        }
        for n in notes { out += "  " + n + "\n" }
        return out
    }
}
