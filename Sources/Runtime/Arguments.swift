import _Platform
import Kernels

/// One evaluated item of a command call, in source order: a value, or `--name`.
public enum CallItem: Sendable {
    case value(Value, SourceLocation?)
    case option(String, SourceLocation?)
}

/// The bound and coerced arguments of one call. Accessors return the declared type: coercion has
/// already checked it, so they only fail on a declaration error (reported, never a crash).
public struct Arguments: Sendable {
    public let command: Command
    public let location: SourceLocation?
    var values: [String: Value]
    var locations: [String: SourceLocation]
    /// Which options the user gave explicitly.
    public let given: Set<String>

    init(command: Command, location: SourceLocation?, values: [String: Value], locations: [String: SourceLocation], given: Set<String>) {
        self.command = command; self.location = location; self.values = values; self.locations = locations; self.given = given
    }

    /// The value of a parameter, nil when absent (an optional positional or option without default).
    public subscript(name: String) -> Value? {
        if case .null? = values[name] { return nil }
        return values[name]
    }

    public func has(_ name: String) -> Bool { self[name] != nil }

    /// An error located at the argument (or the call when the argument was not given).
    public func error(_ name: String, _ message: String, kind: ErrorKind = .value) -> EmshError {
        EmshError(kind, "\(command.name): \(message)", at: locations[name] ?? location)
    }

    /// An error located at the call.
    public func failure(_ message: String, kind: ErrorKind = .runtime) -> EmshError {
        EmshError(kind, "\(command.name): \(message)", at: location)
    }

    private func get(_ name: String) throws -> Value {
        guard let v = self[name] else { throw error(name, "missing value for '\(name)'", kind: .argument) }
        return v
    }

    private func mismatch(_ name: String, _ expected: String, _ got: Value) -> EmshError {
        error(name, "'\(name)' is a \(got.typeName), expected \(expected)", kind: .type)
    }

    public func number(_ name: String) throws -> Double {
        let v = try get(name)
        if case .number(let n) = v { return n }
        throw mismatch(name, "number", v)
    }

    public func int(_ name: String) throws -> Int {
        let n = try number(name)
        guard n.rounded() == n, abs(n) < 1e15 else { throw error(name, "'\(name)' must be an integer, got \(formatNumber(n))") }
        return Int(n)
    }

    public func string(_ name: String) throws -> String {
        let v = try get(name)
        if case .string(let s) = v { return s }
        throw mismatch(name, "string", v)
    }

    /// A `.choice(of: E.self)` parameter as its enum case.
    public func choice<E: RawRepresentable>(_ name: String, as _: E.Type) throws -> E
    where E.RawValue: LosslessStringConvertible {
        let word = try string(name)
        guard let raw = E.RawValue(word), let e = E(rawValue: raw) else { throw error(name, "'\(word)' is not a choice of --\(name)") }
        return e
    }

    public func flag(_ name: String) -> Bool { self[name]?.isTruthy ?? false }

    public func bool(_ name: String) throws -> Bool {
        let v = try get(name)
        if case .bool(let b) = v { return b }
        throw mismatch(name, "bool", v)
    }

    public func volume(_ name: String) throws -> Volume {
        let v = try get(name)
        if case .volume(let vol) = v { return vol }
        throw mismatch(name, "volume", v)
    }

    public func table(_ name: String) throws -> Table {
        let v = try get(name)
        if case .table(let t) = v { return t }
        throw mismatch(name, "table", v)
    }

    public func histogram(_ name: String) throws -> Histogram {
        let v = try get(name)
        if case .histogram(let h) = v { return h }
        throw mismatch(name, "histogram", v)
    }

    public func record(_ name: String) throws -> Record {
        let v = try get(name)
        if case .record(let r) = v { return r }
        throw mismatch(name, "record", v)
    }

    public func list(_ name: String) throws -> [Value] {
        let v = try get(name)
        if case .list(let l) = v { return l }
        throw mismatch(name, "list", v)
    }

    /// A bound `.integers` list.
    public func integers(_ name: String) throws -> [Int] {
        try numbers(name).map { n in
            guard n.rounded() == n, abs(n) < 1e15 else { throw error(name, "'\(name)' must hold integers, got \(formatNumber(n))") }
            return Int(n)
        }
    }

    public func numbers(_ name: String) throws -> [Double] {
        try list(name).map { v in
            if case .number(let n) = v { return n }
            throw mismatch(name, "list of numbers", v)
        }
    }

    /// A bound `.range` as written: (start, end) with nil for an open side.
    public func indexRange(_ name: String) throws -> IndexRange {
        let parts = try list(name)
        func side(_ v: Value) -> Int? {
            guard case .number(let n) = v, n.isFinite else { return nil }
            // Bounded before converting: a huge number must not trap (and is outside any extent).
            return Int(max(-1e15, min(1e15, n.rounded(.towardZero))))
        }
        return IndexRange(side(parts.first ?? .null), side(parts.count > 1 ? parts[1] : .null))
    }

    /// A bound `.range` resolved against `count` (negative values count from the end): an error
    /// naming the range and the extent when it is empty or reaches outside 0:count.
    public func range(_ name: String, count: Int, axis: String = "z") throws -> Range<Int> {
        let r = try indexRange(name)
        guard let resolved = r.resolve(count: count) else { throw error(name, r.problem(count: count, axis: axis)) }
        return resolved
    }

    /// An `.int` slice index resolved against `count` (negative counts from the end), or an error.
    public func slice(_ name: String, count: Int) throws -> Int {
        let k = try int(name)
        guard let i = IndexRange.index(k, count: count) else { throw error(name, IndexRange.indexProblem(k, count: count)) }
        return i
    }

    /// An opaque value (a model) of the given Swift type.
    public func object<T: OpaqueValue>(_ name: String, as type: T.Type) throws -> T {
        let v = try get(name)
        if case .object(let o) = v, let t = o as? T { return t }
        throw mismatch(name, "model", v)
    }

    /// The remaining positional values of a variadic parameter.
    public func rest(_ name: String) -> [Value] {
        if case .list(let l)? = values[name] { return l }
        return []
    }

    /// The source location of an argument, if it was given.
    public func location(of name: String) -> SourceLocation? { locations[name] }
}
