import Runtime

/// Text: splitting, replacing, testing, case, trimming and padding strings (script arguments, file names, reports).
let stringCommands: [Command] = [
    Command(
        name: "split-text", topic: .text,
        summary: "split a string into a list of strings at a separator",
        help: """
        Cuts TEXT at every occurrence of SEP and returns the pieces in order; empty pieces are kept, so
        "a,,b" gives three. SEP may be a list of separators: the string is cut at any of them
        ("10x10,50" with [",", "x"]). Without SEP the string is cut at runs of white space, and empty
        pieces are dropped. `join LIST SEP` puts pieces back together; `split` itself separates touching
        objects of a mask.
        """,
        positionals: [
            .positional("text", .string, "the string to cut"),
            .optional("sep", .either([.string, .listOf(.string)]), "a separator, or a list of them (default: white space)"),
        ],
        examples: [
            Example("split-text \"10,10,50\" \",\"", "a comma-separated list", expect: "[\"10\", \"10\", \"50\"]"),
            Example("split-text \"10x10,50\" [\",\", x] | map num", "several separators, then numbers", expect: "[10, 10, 50]"),
            Example("split-text \"  a  b c \"", "words", expect: "[\"a\", \"b\", \"c\"]"),
        ],
        run: { args, _ in
            let text = try args.string("text")
            guard let sep = args["sep"] else {
                return .list(text.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
            }
            let seps: [String]
            if case .list(let l) = sep { seps = l.map(\.display) } else { seps = [sep.display] }
            guard !seps.isEmpty, !seps.contains("") else { throw args.error("sep", "a separator must not be empty") }
            return .list(splitText(text, on: seps).map { .string($0) })
        }
    ),
    Command(
        name: "replace", topic: .text,
        summary: "replace every occurrence of OLD in a string with NEW",
        positionals: [
            .positional("text", .string, "the string"),
            .positional("old", .string, "the text to find (not empty)"),
            .positional("new", .string, "what to put in its place"),
        ],
        examples: [
            Example("replace \"img_001.png\" .png .tif", "change an extension", expect: "img_001.tif"),
        ],
        run: { args, _ in
            let old = try args.string("old")
            guard !old.isEmpty else { throw args.error("old", "the text to replace must not be empty") }
            return .string(try args.string("text").replacing(old, with: try args.string("new")))
        }
    ),
    Command(
        name: "starts-with", topic: .text,
        summary: "true when a string begins with PREFIX",
        positionals: [
            .positional("text", .string, "the string"),
            .positional("prefix", .string, "the beginning to test"),
        ],
        examples: [
            Example("starts-with \"train_01.png\" train", "a name test", expect: "true"),
        ],
        run: { args, _ in .bool(try args.string("text").hasPrefix(try args.string("prefix"))) }
    ),
    Command(
        name: "ends-with", topic: .text,
        summary: "true when a string ends with SUFFIX",
        positionals: [
            .positional("text", .string, "the string"),
            .positional("suffix", .string, "the end to test"),
        ],
        examples: [
            Example("ends-with \"labels.tif\" .png", "an extension test", expect: "false"),
        ],
        run: { args, _ in .bool(try args.string("text").hasSuffix(try args.string("suffix"))) }
    ),
    Command(
        name: "upper", topic: .text,
        summary: "a string in upper case",
        positionals: [.positional("text", .string, "the string")],
        examples: [Example("upper \"roi_a\"", "every letter", expect: "ROI_A")],
        run: { args, _ in .string(try args.string("text").uppercased()) }
    ),
    Command(
        name: "lower", topic: .text,
        summary: "a string in lower case",
        positionals: [.positional("text", .string, "the string")],
        examples: [Example("lower \"Cell_A.TIF\"", "normalise a file name", expect: "cell_a.tif")],
        run: { args, _ in .string(try args.string("text").lowercased()) }
    ),
    Command(
        name: "trim", topic: .text,
        summary: "a string without leading and trailing white space (or other characters)",
        positionals: [.positional("text", .string, "the string")],
        options: [.option("chars", .string, "the characters to remove from both ends", default: .string(" \t\n\r"))],
        examples: [
            Example("print \"[$(trim \"  10 nm \n\")]\"", "white space at both ends", expect: "[10 nm]"),
            Example("trim \"__name__\" --chars _", "other characters", expect: "name"),
        ],
        run: { args, _ in .string(try args.string("text").trimming(Set(try args.string("chars")))) }
    ),
    Command(
        name: "pad", topic: .text,
        summary: "a value as text of at least WIDTH characters, filled on one side (007, aligned columns)",
        help: """
        Shows VALUE (a number or a string) as text and adds FILL characters until it is WIDTH characters
        long; longer text is left as it is. --align right (the default) fills on the left, which aligns
        numbers and makes zero-padded counters (`pad 7 3 --fill 0` is "007", and -7 becomes "-07");
        --align left fills on the right, for columns of names. For a fixed number of decimals, format
        the number with `fmt` first.
        """,
        positionals: [
            .positional("value", .any, "the number or string (a string stays as it is, even \"0.50\")"),
            .positional("width", .int, "the least number of characters", in: .atMost(100_000)),
        ],
        options: [
            .option("fill", .string, "the one character to fill with", default: .string(" ")),
            .option("align", .choice(of: Alignment.self), "where the value goes: right fills on the left", default: .string("right")),
        ],
        examples: [
            Example("pad 7 3 --fill 0", "a zero-padded number", expect: "007"),
            Example("print \"[$(pad cell 6 --align left)][$(pad (fmt 0.5 2) 6)]\"", "columns of a report",
                    expect: "[cell  ][  0.50]"),
        ],
        run: { args, _ in
            let width = try args.int("width")
            let fill = try args.string("fill")
            guard fill.count == 1, let f = fill.first else { throw args.error("fill", "the fill must be one character, got \"\(fill)\"") }
            let value = args["value"] ?? .null
            switch value {
            case .number, .string: break
            default: throw args.error("value", "pads a number or a string, not a \(value.typeName)", kind: .type)
            }
            var text = value.display
            let missing = width - text.count
            guard missing > 0 else { return .string(text) }
            let padding = String(repeating: f, count: missing)
            if try args.choice("align", as: Alignment.self) == .left { return .string(text + padding) }
            // Zeros go between a number's sign and its digits.
            if case .number(let n) = value, n < 0, f == "0" {
                text.removeFirst()
                return .string("-" + padding + text)
            }
            return .string(padding + text)
        }
    ),
]

/// TEXT cut at every occurrence of any of `separators` (the longest wins where several match).
func splitText(_ text: String, on separators: [String]) -> [String] {
    let seps = separators.sorted { $0.count > $1.count }
    var pieces: [String] = []
    var start = text.startIndex, i = text.startIndex
    while i < text.endIndex {
        if let sep = seps.first(where: { text[i...].hasPrefix($0) }) {
            pieces.append(String(text[start..<i]))
            i = text.index(i, offsetBy: sep.count)
            start = i
        } else {
            i = text.index(after: i)
        }
    }
    pieces.append(String(text[start...]))
    return pieces
}

/// Where `pad` puts the value.
enum Alignment: String, CaseIterable {
    case right, left
}
