import _Platform

/// The type a command parameter accepts. Coercion happens once, in `Command.bind`, so every
/// command fails the same way: naming the command, the parameter and the expected type.
public indirect enum ParamType: Sendable, CustomStringConvertible {
    case any
    case number
    case int
    case string
    case bool
    case list
    case record
    /// Any volume (image, mask or labels).
    case volume
    /// A volume read as 0/1 (non-zero → 1).
    case mask
    /// An integer volume read as u32 instance labels.
    case labels
    /// A probability volume (f32 in [0, 1]); a mask is read as 0/1 probabilities.
    case probability
    case histogram
    case table
    case model
    /// A list of numbers, of exactly `n` elements when given.
    case numbers(Int?)
    /// `a:b` (either side may be empty, negatives count from the end) or `[a, b]`; bound as a list [a|nil, b|nil].
    case range
    /// One of a fixed set of words (declare an enum's cases with `.choice(of: SplitMethod.self)`).
    case choice([String])
    /// A list of whole numbers, of exactly `n` elements when given.
    case integers(Int?)
    /// The first alternative that accepts the value.
    case either([ParamType])
    case listOf(ParamType)
    /// An option without a value: present → true.
    case flag
    /// Like the inner volume type, but a chunked volume (`LazyVolume`) is passed as it is, for
    /// commands that run block by block; anything else is coerced to the inner type.
    case lazy(ParamType)

    public var description: String {
        switch self {
        case .any: "any value"
        case .number: "number"
        case .int: "integer"
        case .string: "string"
        case .bool: "bool"
        case .list: "list"
        case .record: "record"
        case .volume: "volume"
        case .mask: "mask"
        case .labels: "labels"
        case .probability: "probability volume"
        case .histogram: "histogram"
        case .table: "table"
        case .model: "model"
        case .numbers(let n): n.map { "list of \($0) numbers" } ?? "list of numbers"
        case .integers(let n): n.map { "list of \($0) integers" } ?? "list of integers"
        case .range: "range a:b"
        case .choice(let c): c.joined(separator: "|")
        case .either(let ts): ts.map(\.description).joined(separator: " or ")
        case .listOf(let t): "list of \(t)"
        case .flag: "flag"
        case .lazy(let t): t.description
        }
    }

    /// The placeholder shown in usage lines.
    public var placeholder: String {
        switch self {
        case .numbers(let n), .integers(let n):
            if let n { return "[" + (1...max(n, 1)).map { _ in "n" }.joined(separator: ",") + "]" }
            return "[n,...]"
        case .range: return "a:b"
        case .choice(let c): return c.joined(separator: "|")
        case .lazy(let t): return t.placeholder
        default: return String(description.uppercased().map { $0 == " " ? "-" : $0 })
        }
    }
}

extension ParamType {
    /// One of the cases of an enum whose raw values are the words (`SplitMethod`, `Connectivity`, …),
    /// in the enum's order; read back with `args.choice(name, as: E.self)`.
    public static func choice<E: CaseIterable & RawRepresentable>(of _: E.Type) -> ParamType
    where E.RawValue: CustomStringConvertible {
        .choice(E.allCases.map { $0.rawValue.description })
    }
}

/// The areas commands belong to: `help` lists the commands by topic in this order, and the README
/// reference groups them the same way.
public enum Topic: String, Sendable, CaseIterable {
    case language, looking, files, session, volume, intensity, data, learning, evaluation, objects
    case text, lists, tables
}

/// One positional parameter or option of a command.
public struct Parameter: Sendable {
    public let name: String
    public let type: ParamType
    public let help: String
    /// Positionals: must be given. Options: never required.
    public let required: Bool
    /// Positionals: takes all remaining positional arguments as a list.
    public let variadic: Bool
    /// Options: the value when not given (nil = absent).
    public let defaultValue: Value?
    /// Numbers and integers (and each element of a list of them): the values allowed, checked when a
    /// call binds (nil: any finite or not).
    public let bounds: Bounds?

    public init(name: String, type: ParamType, help: String, required: Bool, variadic: Bool, defaultValue: Value?,
                bounds: Bounds? = nil) {
        self.name = name; self.type = type; self.help = help
        self.required = required; self.variadic = variadic; self.defaultValue = defaultValue; self.bounds = bounds
    }

    /// The default as help and the README reference show it: a choice's word bare, anything else
    /// as its literal (nil when there is none).
    public var defaultText: String? {
        guard let d = defaultValue else { return nil }
        if case .choice = type { return d.display }
        return d.literal
    }

    public static func positional(_ name: String, _ type: ParamType, _ help: String, in bounds: Bounds? = nil) -> Parameter {
        Parameter(name: name, type: type, help: help, required: true, variadic: false, defaultValue: nil, bounds: bounds)
    }
    public static func optional(_ name: String, _ type: ParamType, _ help: String, default value: Value? = nil,
                                in bounds: Bounds? = nil) -> Parameter {
        Parameter(name: name, type: type, help: help, required: false, variadic: false, defaultValue: value, bounds: bounds)
    }
    public static func variadic(_ name: String, _ type: ParamType, _ help: String, required: Bool = false) -> Parameter {
        Parameter(name: name, type: type, help: help, required: required, variadic: true, defaultValue: nil)
    }
    public static func option(_ name: String, _ type: ParamType, _ help: String, default value: Value? = nil,
                              in bounds: Bounds? = nil) -> Parameter {
        Parameter(name: name, type: type, help: help, required: false, variadic: false, defaultValue: value, bounds: bounds)
    }
    public static func flag(_ name: String, _ help: String) -> Parameter {
        Parameter(name: name, type: .flag, help: help, required: false, variadic: false, defaultValue: .bool(false))
    }
}

/// An example in a command's help. Every example runs as a test; when `expect` is given the
/// printed result (or the value shown by the REPL) must contain it.
public struct Example: Sendable {
    public let code: String
    public let explanation: String
    public let expect: String?
    public init(_ code: String, _ explanation: String, expect: String? = nil) {
        self.code = code; self.explanation = explanation; self.expect = expect
    }
}

/// One command: its name, signature, help, examples and implementation — declared once.
/// `help`, completion, argument errors and the README reference are generated from it.
public struct Command: Sendable {
    public let name: String
    /// The area it belongs to.
    public let topic: Topic
    /// One line.
    public let summary: String
    /// Paragraphs after the usage line.
    public let help: String
    public let positionals: [Parameter]
    public let options: [Parameter]
    public let examples: [Example]
    public let run: @Sendable (Arguments, any Host) throws -> Value

    public init(name: String, topic: Topic, summary: String, help: String = "",
                positionals: [Parameter] = [], options: [Parameter] = [], examples: [Example],
                run: @escaping @Sendable (Arguments, any Host) throws -> Value) {
        self.name = name; self.topic = topic; self.summary = summary; self.help = help
        self.positionals = positionals; self.options = options; self.examples = examples; self.run = run
    }

    /// `name POS [OPT] [--option VALUE] [--flag]`
    public var usage: String {
        var parts = [name]
        for p in positionals {
            let word = p.name.uppercased() + (p.variadic ? "..." : "")
            parts.append(p.required ? word : "[\(word)]")
        }
        for o in options {
            parts.append(o.type.isFlag ? "[--\(o.name)]" : "[--\(o.name) \(o.type.placeholder)]")
        }
        return parts.joined(separator: " ")
    }

    public func option(named name: String) -> Parameter? { options.first { $0.name == name } }
}

extension ParamType {
    public var isFlag: Bool { if case .flag = self { return true } else { return false } }
    /// `.numbers` and `.integers`: bounds apply to each element.
    public var isNumberList: Bool {
        switch self {
        case .numbers, .integers: true
        default: false
        }
    }
    /// Types `Bounds` can apply to.
    public var isBoundable: Bool {
        switch self {
        case .number, .int, .numbers, .integers: true
        default: false
        }
    }
}

/// The values a number or integer parameter allows, declared with it (`.option("sigma", .number, "…",
/// default: .number(1), in: .above(0))`): checked when a call binds, shown in help and the README
/// reference, and `Registry.validate()` checks that the default lies inside. Never NaN or infinite.
public struct Bounds: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double?
    public var lowerOpen = false
    public var upper: Double?
    public var upperOpen = false

    /// Any finite number.
    public static let finite = Bounds(lower: nil, upper: nil)
    /// x ≥ a.
    public static func atLeast(_ a: Double) -> Bounds { Bounds(lower: a, upper: nil) }
    /// x > a.
    public static func above(_ a: Double) -> Bounds { Bounds(lower: a, lowerOpen: true, upper: nil) }
    /// x ≤ b.
    public static func atMost(_ b: Double) -> Bounds { Bounds(lower: nil, upper: b) }
    /// a ≤ x ≤ b.
    public static func between(_ a: Double, _ b: Double) -> Bounds { Bounds(lower: a, upper: b) }
    /// a < x ≤ b.
    public static func above(_ a: Double, atMost b: Double) -> Bounds { Bounds(lower: a, lowerOpen: true, upper: b) }

    public func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if let lower, lowerOpen ? x <= lower : x < lower { return false }
        if let upper, upperOpen ? x >= upper : x > upper { return false }
        return true
    }

    /// "at least 0", "above 0", "between 0 and 0.5", "above 0 and at most 10", "a finite number".
    public var description: String {
        let lo = lower.map { (lowerOpen ? "above " : "at least ") + formatNumber($0) }
        let hi = upper.map { (upperOpen ? "below " : "at most ") + formatNumber($0) }
        switch (lo, hi) {
        case (nil, nil): return "a finite number"
        case (let l?, nil): return l
        case (nil, let h?): return h
        case (let l?, let h?):
            if !lowerOpen && !upperOpen, let lower, let upper { return "between \(formatNumber(lower)) and \(formatNumber(upper))" }
            return l + " and " + h
        }
    }
}

extension Command {
    /// Checks every bound number against its parameter's declared `Bounds`; the error names the
    /// argument and what it allows: `blur: --sigma must be above 0, got -1`.
    func checkBounds(_ args: Arguments) throws {
        for (p, isOption) in positionals.map({ ($0, false) }) + options.map({ ($0, true) }) {
            guard let bounds = p.bounds else { continue }
            let given: [Value]
            switch args.values[p.name] {
            case .list(let l)? where p.variadic || p.type.isNumberList: given = l
            case let v?: given = [v]
            case nil: given = []
            }
            for case .number(let x) in given where !bounds.contains(x) {
                let shown = isOption ? "--\(p.name)" : p.name.uppercased()
                throw args.error(p.name, "\(shown) must be \(bounds), got \(formatNumber(x))")
            }
        }
    }
}
