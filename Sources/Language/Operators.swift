import _Platform
import Runtime
import Kernels

// Operators, fields and indexing on values (the slow paths; numbers take the fast path in Compiler.swift).

extension BinaryOp {
    var voxelOp: VoxelOp {
        switch self {
        case .add: .add
        case .sub: .sub
        case .mul: .mul
        case .div: .div
        case .mod: .mod
        case .eq: .eq
        case .ne: .ne
        case .lt: .lt
        case .le: .le
        case .gt: .gt
        case .ge: .ge
        case .and: .and
        case .or: .or
        }
    }

    var verb: String {
        switch self {
        case .add: "add"
        case .sub: "subtract"
        case .mul: "multiply"
        case .div: "divide"
        case .mod: "take the remainder of"
        case .and, .or: "combine"
        default: "compare"
        }
    }
}

func article(_ type: String) -> String {
    if let f = type.first, "aeiou".contains(f) { return "an \(type)" }
    return "a \(type)"
}

extension Interpreter {
    /// Runs a kernel, turning its errors into located errors.
    func kernel(_ l: SourceLocation, _ body: () throws -> Value) throws -> Value {
        do { return try body() } catch let e as CancelledError {
            noteCancel(l)
            throw e
        } catch {
            throw userError(error, at: l)
        }
    }

    /// The truth of a condition; a volume is neither true nor false.
    func truth(_ v: Value, _ l: SourceLocation? = nil) throws -> Bool {
        switch v {
        case .bool(let b): return b
        case .null: return false
        case .number(let n): return n != 0
        case .volume(let vol):
            throw EmshError(.type, "a \(vol.kind == .image ? "volume" : vol.kind.rawValue) is neither true nor false", at: l,
                            notes: ["to test whether any voxel is set, compare a statistic of it"])
        default: return v.isTruthy
        }
    }

    func negateValue(_ v: Value, _ l: SourceLocation) throws -> Value {
        switch v {
        case .number(let n): return .number(-n)
        case .volume(let vol): return try kernel(l) { .volume(try negate(vol)) }
        default: throw EmshError(.type, "cannot negate \(article(v.typeName))", at: l)
        }
    }

    func typeError(_ op: BinaryOp, _ a: Value, _ b: Value, _ l: SourceLocation) -> EmshError {
        EmshError(.type, "cannot \(op.verb) \(article(a.typeName)) and \(article(b.typeName)) with '\(op.rawValue)'", at: l)
    }

    func binary(_ op: BinaryOp, _ a: Value, _ b: Value, _ l: SourceLocation) throws -> Value {
        // A chunked volume takes part with its voxels, when they fit in memory.
        if let lazy = a.lazyVolume { return try binary(op, .volume(try lazy.loadAt(l)), b, l) }
        if let lazy = b.lazyVolume { return try binary(op, a, .volume(try lazy.loadAt(l)), l) }
        // Volumes: voxel-wise, numbers (and bools) broadcast.
        if case .volume(let va) = a {
            switch b {
            case .volume(let vb): return try kernel(l) { .volume(try voxelwise(op.voxelOp, va, vb)) }
            case .number(let s): return try kernel(l) { .volume(try voxelwise(op.voxelOp, va, s, scalarOnLeft: false)) }
            case .bool(let t): return try kernel(l) { .volume(try voxelwise(op.voxelOp, va, t ? 1 : 0, scalarOnLeft: false)) }
            default: throw typeError(op, a, b, l)
            }
        }
        if case .volume(let vb) = b {
            switch a {
            case .number(let s): return try kernel(l) { .volume(try voxelwise(op.voxelOp, vb, s, scalarOnLeft: true)) }
            case .bool(let t): return try kernel(l) { .volume(try voxelwise(op.voxelOp, vb, t ? 1 : 0, scalarOnLeft: true)) }
            default: throw typeError(op, a, b, l)
            }
        }
        switch op {
        case .add:
            switch (a, b) {
            case (.number(let x), .number(let y)): return .number(x + y)
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.string(let x), .number), (.string(let x), .bool): return .string(x + b.display)
            case (.number, .string(let y)), (.bool, .string(let y)): return .string(a.display + y)
            case (.list(let x), .list(let y)):
                if x.count + y.count > 100_000 {
                    _ = try kernel(l) { try MemoryBudget.check((x.count + y.count) * MemoryLayout<Value>.stride, what: "a list of \(x.count + y.count) elements"); return .null }
                }
                return .list(x + y)
            case (.record(var x), .record(let y)):
                for (k, v) in y.pairs { x[k] = v }
                return .record(x)
            default: throw typeError(op, a, b, l)
            }
        case .sub, .mul, .div, .mod:
            guard case .number(let x) = a, case .number(let y) = b else {
                if op == .mul, case .string(let s) = a, case .number(let n) = b, n >= 0, n == n.rounded(), n < 1e9 {
                    guard Double(s.utf8.count) * n <= 100_000_000 else {
                        throw EmshError(.value, "a string of \(formatNumber(Double(s.utf8.count) * n)) bytes is too long", at: l)
                    }
                    return .string(String(repeating: s, count: Int(n)))
                }
                throw typeError(op, a, b, l)
            }
            switch op {
            case .sub: return .number(x - y)
            case .mul: return .number(x * y)
            case .div:
                if y == 0 { throw EmshError(.value, "division by zero", at: l) }
                return .number(x / y)
            default:
                if y == 0 { throw EmshError(.value, "modulo by zero", at: l) }
                let r = x.truncatingRemainder(dividingBy: y)
                return .number(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            }
        case .eq: return .bool(try equal(a, b, l))
        case .ne: return .bool(!(try equal(a, b, l)))
        case .lt, .le, .gt, .ge:
            let c: Int
            switch (a, b) {
            case (.number(let x), .number(let y)):
                if x.isNaN || y.isNaN { return .bool(false) }
                c = x < y ? -1 : x > y ? 1 : 0
            case (.string(let x), .string(let y)): c = x < y ? -1 : x > y ? 1 : 0
            default: throw typeError(op, a, b, l)
            }
            switch op {
            case .lt: return .bool(c < 0)
            case .le: return .bool(c <= 0)
            case .gt: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .and: return .bool(try truth(a, l) && truth(b, l))
        case .or: return .bool(try truth(a, l) || truth(b, l))
        }
    }

    /// Structural equality; values of different types are unequal.
    func equal(_ a: Value, _ b: Value, _ l: SourceLocation) throws -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.list(let x), .list(let y)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where !(try equal(p, q, l)) { return false }
            return true
        case (.record(let x), .record(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.pairs {
                guard let w = y[k], try equal(v, w, l) else { return false }
            }
            return true
        case (.table(let x), .table(let y)): return x == y
        case (.histogram(let x), .histogram(let y)): return x == y
        case (.volume, _), (_, .volume):
            throw EmshError(.type, "a volume inside a list or record cannot be compared", at: l)
        case (.object, .object): return a.digest.state == b.digest.state
        default: return false
        }
    }

    // MARK: - fields

    func volumeField(_ v: Volume, _ name: String) -> Value? {
        switch name {
        case "shape": return .list([.number(Double(v.shape.z)), .number(Double(v.shape.y)), .number(Double(v.shape.x))])
        case "spacing": return .list([.number(v.spacing.x), .number(v.spacing.y), .number(v.spacing.z)])
        case "type": return .string(v.type.rawValue)
        case "kind": return .string(v.kind.rawValue)
        case "count": return .number(Double(v.count))
        case "z": return .number(Double(v.shape.z))
        case "y": return .number(Double(v.shape.y))
        case "x": return .number(Double(v.shape.x))
        default: return nil
        }
    }

    static let volumeFields = ["shape", "spacing", "type", "kind", "count", "z", "y", "x"]

    func tableColumn(_ t: Table, _ name: String) -> Value? {
        switch t.column(name) {
        case .number(let v)?: return .list(v.map { .number($0) })
        case .string(let v)?: return .list(v.map { .string($0) })
        case nil: return nil
        }
    }

    /// A field when the value has it (string interpolation uses this: "$name.csv" stays text).
    func optionalField(_ v: Value, _ name: String) -> Value? {
        switch v {
        case .record(let r): return r[name]
        case .object(let o): return o.field(name)
        case .volume(let vol): return volumeField(vol, name)
        case .table(let t): return tableColumn(t, name)
        default: return nil
        }
    }

    func field(_ v: Value, _ name: String, _ l: SourceLocation) throws -> Value {
        if let f = optionalField(v, name) { return f }
        let known: [String]
        switch v {
        case .record(let r): known = r.keys
        case .object(let o): known = o.fieldNames
        case .volume: known = Interpreter.volumeFields
        case .table(let t): known = t.names
        case .string:
            throw EmshError(.type, "a string has no field '\(name)'", at: l,
                            notes: ["to append text to a variable, use a string: \"$name.\(name)\""])
        default:
            throw EmshError(.type, "\(article(v.typeName)) has no fields (asked for '\(name)')", at: l)
        }
        var notes: [String] = []
        if let s = closest(to: name, in: known) { notes.append("did you mean .\(s)?") }
        let list = known.isEmpty ? "it has none" : "fields: " + known.joined(separator: ", ")
        throw EmshError(.name, "no field '\(name)' in the \(v.typeName) (\(list))", at: l, notes: notes)
    }

    // MARK: - indexing

    /// An integer index, negative counting from the end, checked against `count`.
    func position(_ i: Value, count: Int, of what: String, _ l: SourceLocation) throws -> Int {
        guard case .number(let n) = i else {
            throw EmshError(.type, "\(article(what)) index must be a number, got \(article(i.typeName))", at: l)
        }
        guard n == n.rounded(), abs(n) < 1e15 else { throw EmshError(.value, "index \(formatNumber(n)) is not an integer", at: l) }
        let k = Int(n)
        guard let r = IndexRange.index(k, count: count) else {
            let unit = what == "volume" || what == "histogram" ? "slice" : what == "table" ? "row" : what == "string" ? "character" : "element"
            throw EmshError(.value, "index \(k) out of range for \(article(what)) of \(count) \(unit)\(count == 1 ? "" : "s")", at: l)
        }
        return r
    }

    func index(_ v: Value, _ i: Value, _ l: SourceLocation) throws -> Value {
        switch v {
        case .list(let xs):
            return xs[try position(i, count: xs.count, of: "list", l)]
        case .string(let s):
            let chars = Array(s)
            return .string(String(chars[try position(i, count: chars.count, of: "string", l)]))
        case .record(let r):
            guard case .string(let k) = i else {
                throw EmshError(.type, "a record index must be a string key, got \(article(i.typeName))", at: l)
            }
            if let x = r[k] { return x }
            return try field(v, k, l)
        case .table(let t):
            if case .string(let k) = i { return try field(v, k, l) }
            let row = try position(i, count: t.rowCount, of: "table", l)
            var r = Record()
            for (name, col) in zip(t.names, t.columns) {
                switch col {
                case .number(let c): r[name] = .number(c[row])
                case .string(let c): r[name] = .string(c[row])
                }
            }
            return .record(r)
        case .volume(let vol):
            let k = try position(i, count: vol.shape.z, of: "volume", l)
            return try kernel(l) { .volume(try crop(vol, z: k..<(k + 1))) }
        case .histogram(let h):
            let k = try position(i, count: h.sliceCount, of: "histogram", l)
            return .list(h.slice(k).map { .number(Double($0)) })
        default:
            throw EmshError(.type, "cannot index \(article(v.typeName))", at: l)
        }
    }

    /// `base` with the element at `keys` replaced by `value` (assignment to `x.a[0] = v`).
    func updated(_ base: Value, _ keys: ArraySlice<(Value, SourceLocation)>, fieldFlags: ArraySlice<Bool>,
                 with value: Value) throws -> Value {
        guard let (key, l) = keys.first else { return value }
        let rest = keys.dropFirst(), restFlags = fieldFlags.dropFirst()
        switch base {
        case .list(var xs):
            if fieldFlags.first == true { throw EmshError(.type, "a list has no fields", at: l) }
            let k = try position(key, count: xs.count, of: "list", l)
            xs[k] = try updated(xs[k], rest, fieldFlags: restFlags, with: value)
            return .list(xs)
        case .record(var r):
            guard case .string(let name) = key else {
                throw EmshError(.type, "a record index must be a string key, got \(article(key.typeName))", at: l)
            }
            if rest.isEmpty {
                r[name] = value
            } else {
                guard let inner = r[name] else { return try field(base, name, l) }
                r[name] = try updated(inner, rest, fieldFlags: restFlags, with: value)
            }
            return .record(r)
        default:
            throw EmshError(.type, "cannot assign into \(article(base.typeName)) (only lists and records)", at: l)
        }
    }

    /// The items a `for` loop visits: list elements, record keys, table rows, volume slices, or a number N as 0..N-1.
    func iterable(_ v: Value, _ l: SourceLocation) throws -> [Value] {
        switch v {
        case .list(let xs): return xs
        case .record(let r): return r.keys.map { .string($0) }
        case .table(let t): return try (0..<t.rowCount).map { try index(v, .number(Double($0)), l) }
        case .volume(let vol): return try (0..<vol.shape.z).map { try index(v, .number(Double($0)), l) }
        default:
            throw EmshError(.type, "cannot loop over \(article(v.typeName))", at: l,
                            notes: ["loop over a list: for i in (range 10) { ... }"])
        }
    }
}

extension Value {
    /// The chunked volume this value holds, if it is one.
    var lazyVolume: (any LazyVolume)? {
        if case .object(let o) = self { return o as? LazyVolume }
        return nil
    }
}

extension LazyVolume {
    /// `load()` whose errors point at `l`.
    fileprivate func loadAt(_ l: SourceLocation) throws -> Volume {
        do { return try load() } catch let e as EmshError { throw e.located(l) }
    }
}
