import _Platform
import Kernels

extension Command {
    /// Binds evaluated call items to the declared parameters: options by name (flags take no value),
    /// positionals in order, defaults filled, every value coerced to its declared type.
    /// `nil` given to an option or to an optional positional means "not given": its default applies,
    /// so a script can pass an optional setting through (`load $p --spacing $s` with `s = nil`).
    public func bind(_ items: [CallItem], at location: SourceLocation?) throws -> Arguments {
        var values: [String: Value] = [:]
        var locations: [String: SourceLocation] = [:]
        var given = Set<String>(), seen = Set<String>()
        var positional: [(Value, SourceLocation?)] = []

        var i = 0
        while i < items.count {
            switch items[i] {
            case .value(let v, let loc):
                positional.append((v, loc))
            case .option(let name, let loc):
                guard let opt = option(named: name) else {
                    var notes: [String] = []
                    if let s = closest(to: name, in: options.map(\.name)) { notes.append("did you mean --\(s)?") }
                    let known = options.isEmpty ? "it takes no options" : "options: " + options.map { "--" + $0.name }.joined(separator: " ")
                    throw EmshError(.name, "\(self.name): unknown option --\(name)" + (notes.isEmpty ? " (\(known))" : ""), at: loc, notes: notes)
                }
                if !seen.insert(name).inserted { throw EmshError(.argument, "\(self.name): option --\(name) given twice", at: loc) }
                if opt.type.isFlag {
                    // `--flag true|false` is accepted too, and `--flag nil` is the flag not given.
                    if i + 1 < items.count, case .value(.null, _) = items[i + 1] { i += 2; continue }
                    given.insert(name)
                    if let loc { locations[name] = loc }
                    if i + 1 < items.count, case .value(.bool(let b), _) = items[i + 1] {
                        values[name] = .bool(b); i += 1
                    } else {
                        values[name] = .bool(true)
                    }
                } else {
                    guard i + 1 < items.count, case .value(let v, let vloc) = items[i + 1] else {
                        throw EmshError(.argument, "\(self.name): option --\(name) needs a value (\(opt.type))", at: loc)
                    }
                    i += 2
                    if case .null = v { continue }  // nil: the default
                    given.insert(name)
                    locations[name] = vloc ?? loc
                    values[name] = try coerce(v, to: opt.type, parameter: name, at: vloc ?? loc)
                    continue
                }
            }
            i += 1
        }

        var p = 0
        for param in positionals {
            if param.variadic {
                let rest = positional[min(p, positional.count)...]
                if param.required && rest.isEmpty {
                    throw EmshError(.argument, "\(name): missing argument \(param.name.uppercased()) (\(param.type))", at: location,
                                    notes: ["usage: \(usage)"])
                }
                var list: [Value] = []
                for (v, loc) in rest { list.append(try coerce(v, to: param.type, parameter: param.name, at: loc)) }
                if let first = rest.first?.1 { locations[param.name] = first }
                values[param.name] = .list(list)
                p = positional.count
                continue
            }
            if p < positional.count, case .null = positional[p].0, !param.required {
                p += 1  // nil for an optional positional: its default, below
                if let d = param.defaultValue { values[param.name] = d }
            } else if p < positional.count {
                let (v, loc) = positional[p]
                if let loc { locations[param.name] = loc }
                values[param.name] = try coerce(v, to: param.type, parameter: param.name, at: loc)
                p += 1
            } else if param.required {
                throw EmshError(.argument, "\(name): missing argument \(param.name.uppercased()) (\(param.type))", at: location,
                                notes: ["usage: \(usage)"])
            } else if let d = param.defaultValue {
                values[param.name] = d
            }
        }
        if p < positional.count {
            throw EmshError(.argument, "\(name): too many arguments (takes \(positionals.count), got \(positional.count))",
                            at: positional[p].1 ?? location, notes: ["usage: \(usage)"])
        }
        for opt in options where values[opt.name] == nil {
            if let d = opt.defaultValue { values[opt.name] = d }
        }
        let args = Arguments(command: self, location: location, values: values, locations: locations, given: given)
        try checkBounds(args)
        return args
    }

    /// Coerces one value to a parameter type or throws naming the command, the parameter and the type.
    public func coerce(_ v: Value, to type: ParamType, parameter: String, at loc: SourceLocation?) throws -> Value {
        let coerced: Value?
        do { coerced = try Coercion.coerce(v, to: type) } catch let e as EmshError where e.location == nil {
            // A conversion that failed (a chunked volume too large to read whole): at the argument, naming the command.
            var located = e.located(loc)
            located.message = "\(name): \(e.message)"
            throw located
        }
        if let c = coerced { return c }
        if case .choice(let words) = type, let word = v.choiceWord {
            // A word that is not among the choices: say which it was and which there are.
            var e = EmshError(.type, "\(name): '\(parameter)' is one of \(words.joined(separator: " ")), not '\(word)'", at: loc)
            if let s = closest(to: word, in: words) { e.notes.append("did you mean \(s)?") }
            throw e
        }
        var got = article(v.typeName)
        if case .list(let l) = v {
            // Say what is wrong with the list: its length, or the first item that is no number.
            if let bad = l.first(where: { if case .number = $0 { false } else { true } }) {
                got = "a list holding \(bad.literal)"
            } else {
                got = "a list of \(l.count) number\(l.count == 1 ? "" : "s")"
            }
        }
        throw EmshError(.type, "\(name): '\(parameter)' expects \(article(type.description)), got \(got)", at: loc)
    }
}

func article(_ s: String) -> String {
    if s == "any value" || s.contains("|") { return s }
    if let f = s.first, "aeiou".contains(f) { return "an \(s)" }
    return "a \(s)"
}

/// Conversions between value types, in one place.
public enum Coercion {
    /// The coerced value, or nil when the value does not fit the type.
    public static func coerce(_ v: Value, to type: ParamType) throws -> Value? {
        var v = v
        switch type {
        case .lazy(let inner):
            if case .object(let o) = v, let lazy = o as? LazyVolume {
                switch inner {
                case .labels: return lazy.voxelType == .f32 ? nil : v
                case .probability: return lazy.voxelType == .f32 || lazy.volumeKind == .mask ? v : nil
                default: return v
                }
            }
            return try coerce(v, to: inner)
        case .volume, .mask, .labels, .probability:
            // A chunked volume given to an in-memory command: its voxels, when they fit.
            if case .object(let o) = v, let lazy = o as? LazyVolume { v = .volume(try lazy.load()) }
        default:
            break
        }
        switch type {
        case .lazy: return nil
        case .any: return v
        case .flag, .bool:
            if case .bool = v { return v }
            return nil
        case .number:
            if case .number = v { return v }
            if case .string(let s) = v, let n = Double(s) { return .number(n) }
            return nil
        case .int:
            if case .number(let n) = v, n.rounded() == n { return v }
            if case .string(let s) = v, let n = Int(s) { return .number(Double(n)) }
            return nil
        case .string:
            switch v {
            case .string: return v
            case .number(let n): return .string(formatNumber(n))
            default: return nil
            }
        case .list:
            if case .list = v { return v }
            return nil
        case .record:
            if case .record = v { return v }
            return nil
        case .histogram:
            if case .histogram = v { return v }
            return nil
        case .table:
            if case .table = v { return v }
            return nil
        case .model:
            if case .object(let o) = v, o.typeName == "model" { return v }
            return nil
        case .volume:
            if case .volume = v { return v }
            return nil
        case .mask:
            guard case .volume(let vol) = v else { return nil }
            return .volume(try VolumeConversion.toMask(vol))
        case .labels:
            guard case .volume(let vol) = v else { return nil }
            guard let l = try VolumeConversion.toLabels(vol) else { return nil }
            return .volume(l)
        case .probability:
            guard case .volume(let vol) = v else { return nil }
            if vol.type == .f32 { return v }
            if vol.kind == .mask { return .volume(try VolumeConversion.toF32(vol)) }
            return nil
        case .numbers(let n):
            guard case .list(let l) = v else { return nil }
            guard l.allSatisfy({ if case .number = $0 { true } else { false } }) else { return nil }
            if let n, l.count != n { return nil }
            return v
        case .integers(let n):
            guard case .list(let l) = v else { return nil }
            guard l.allSatisfy({ if case .number(let x) = $0 { x.rounded() == x } else { false } }) else { return nil }
            if let n, l.count != n { return nil }
            return v
        case .range:
            return parseRange(v)
        case .choice(let choices):
            let s: String
            switch v {
            case .string(let str): s = str
            case .number(let n): s = formatNumber(n)
            default: return nil
            }
            return choices.contains(s) ? .string(s) : nil
        case .either(let types):
            for t in types { if let c = try coerce(v, to: t) { return c } }
            return nil
        case .listOf(let t):
            guard case .list(let l) = v else { return nil }
            var out: [Value] = []
            for e in l {
                guard let c = try coerce(e, to: t) else { return nil }
                out.append(c)
            }
            return .list(out)
        }
    }

    /// `a:b`, `a:`, `:b`, `k` or `[a, b]` → [a|nil, b|nil] (a single k means k:k+1).
    static func parseRange(_ v: Value) -> Value? {
        switch v {
        case .number(let n):
            guard n.rounded() == n else { return nil }
            return .list([.number(n), .number(n == -1 ? Double.infinity : n + 1)].map { $0 }).normalizedRange
        case .list(let l):
            guard l.count == 2 else { return nil }
            for e in l {
                switch e {
                case .number(let n) where n.rounded() == n: continue
                case .null: continue
                default: return nil
                }
            }
            return v
        case .string(let s):
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            func side(_ p: Substring) -> Value? {
                if p.isEmpty { return .null }
                guard let i = Int(p) else { return nil }
                return .number(Double(i))
            }
            guard let a = side(parts[0]), let b = side(parts[1]) else { return nil }
            return .list([a, b])
        default:
            return nil
        }
    }
}

extension Value {
    /// A string or number as the word a `.choice` compares.
    fileprivate var choiceWord: String? {
        switch self {
        case .string(let s): s
        case .number(let n): formatNumber(n)
        default: nil
        }
    }

    fileprivate var normalizedRange: Value {
        if case .list(let l) = self, l.count == 2, case .number(let b) = l[1], b.isInfinite { return .list([l[0], .null]) }
        return self
    }
}
