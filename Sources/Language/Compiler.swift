import _Platform
import Runtime
import Kernels

// The compiler: statements and expressions into closures over the slots of Storage.swift.

extension Interpreter {
    func slot(_ name: String) -> GlobalSlot {
        if let s = globals[name] { return s }
        let s = GlobalSlot(name: name)
        globals[name] = s
        return s
    }

    // MARK: - statements

    /// A top-level statement: returns its value (nil for control statements).
    func compileTop(_ s: Stmt) throws -> Eval {
        let scope = Scope.top
        let f: Eval, l: SourceLocation
        switch s {
        case .expr(let e):
            (f, l) = (try compile(e, scope), e.location)
        case .assign(let name, let path, let e, let at) where path.isEmpty:
            let value = try compile(e, scope)
            let cell = slot(name).cell
            (f, l) = ({ fr in
                let v = try value(fr)
                cell.pointee.set(v)
                return v
            }, at)
        default:
            let x = try compile(s, scope)
            return { fr in _ = try x(fr); return .null }
        }
        // Once per top-level statement, so the extra call costs nothing that shows.
        return { [unowned(unsafe) self] fr in
            if Cancellation.isCancelled { throw self.cancelled(at: l) }
            return try f(fr)
        }
    }

    func compileBlock(_ body: [Stmt], _ scope: Scope) throws -> [ExecItem] {
        try body.map { ExecItem(run: try compile($0, scope)) }
    }

    func compile(_ s: Stmt, _ scope: Scope) throws -> Exec {
        switch s {
        case .expr(let e):
            let f = try compile(e, scope)
            let l = e.location
            return { [unowned(unsafe) self] fr in
                if Cancellation.isCancelled { throw self.cancelled(at: l) }
                _ = try f(fr)
                return .next
            }
        case .assign(let name, let path, let e, let l):
            let f = try compile(e, scope)
            if path.isEmpty {
                if let fast = try compileFastAssignment(name, e, l, scope) { return fast }
                if let k = scope.locals[name] {
                    return { [unowned(unsafe) self] fr in
                        if Cancellation.isCancelled { throw self.cancelled(at: l) }
                        fr[k].set(try f(fr))
                        return .next
                    }
                }
                let cell = slot(name).cell
                return { [unowned(unsafe) self] fr in
                    if Cancellation.isCancelled { throw self.cancelled(at: l) }
                    cell.pointee.set(try f(fr))
                    return .next
                }
            }
            let read = compileVariable(name, l, scope)
            let steps: [(Eval?, String?, SourceLocation)] = try path.map {
                switch $0 {
                case .field(let n, let fl): return (nil, n, fl)
                case .index(let ie, let il): return (try compile(ie, scope), nil, il)
                }
            }
            let write: (Frame, Value) -> Void
            if let k = scope.locals[name] { write = { fr, v in fr[k].set(v) } } else {
                let cell = slot(name).cell
                write = { _, v in cell.pointee.set(v) }
            }
            return { [unowned(unsafe) self] fr in
                if Cancellation.isCancelled { throw self.cancelled(at: l) }
                let base = try read(fr)
                var keys: [(Value, SourceLocation)] = []
                for (ie, field, sl) in steps {
                    if let ie { keys.append((try ie(fr), sl)) } else { keys.append((.string(field ?? ""), sl)) }
                }
                let v = try f(fr)
                write(fr, try self.updated(base, keys[...], fieldFlags: steps.map { $0.1 != nil }[...], with: v))
                return .next
            }
        case .ifElse(let branches, let otherwise, _):
            let conds = try branches.map { Branch(condition: try compileCondition($0.0, scope), body: try compileBlock($0.1, scope)) }
            let other = try otherwise.map { try compileBlock($0, scope) }
            return { fr in
                for branch in conds where try branch.condition(fr) {
                    return try runBlock(branch.body, fr)
                }
                if let other { return try runBlock(other, fr) }
                return .next
            }
        case .whileLoop(let c, let body, let l):
            let cond = try compileCondition(c, scope)
            let b = try compileBlock(body, scope)
            return { [unowned(unsafe) self] fr in
                while try cond(fr) {
                    try self.startPass(at: l)
                    if let end = try runPass(b, fr) { return end }
                }
                return .next
            }
        case .forLoop(let name, let seqE, let body, let l):
            let seq = try compile(seqE, scope)
            let b = try compileBlock(body, scope)
            let assign: (Frame, Value) -> Void
            if let k = scope.locals[name] { assign = { fr, v in fr[k].set(v) } } else {
                let cell = slot(name).cell
                assign = { _, v in cell.pointee.set(v) }
            }
            let seqLoc = seqE.location
            return { [unowned(unsafe) self] fr in
                let items = try self.iterable(try seq(fr), seqLoc)
                for v in items {
                    try self.startPass(at: l)
                    assign(fr, v)
                    if let end = try runPass(b, fr) { return end }
                }
                return .next
            }
        case .def(let name, let params, let body, let l):
            var locals: [String: Int] = [:]
            var names: [String] = []
            for p in params { locals[p] = names.count; names.append(p) }
            collectAssigned(body) { n in
                if locals[n] == nil { locals[n] = names.count; names.append(n) }
            }
            if names.isEmpty { names.append("") }  // a frame of at least one slot; "" is never a variable name
            let fn = Function(name: name, parameters: params, localNames: names, location: l)
            fn.body = try compileBlock(body, Scope(locals: locals, localNames: names))
            return { [unowned(unsafe) self] _ in
                if self.registry.lookup(name) != nil {
                    throw EmshError(.name, "def \(name): a command of that name exists; choose another name", at: l)
                }
                self.userFunctions[name] = fn
                return .next
            }
        case .ret(let e, _):
            let f = try e.map { try compile($0, scope) }
            return { [unowned(unsafe) self] fr in
                self.returnValue = try f?(fr) ?? .null
                return .returned
            }
        case .brk:
            return { _ in .breakLoop }
        case .cont:
            return { _ in .continueLoop }
        }
    }

    /// Names assigned anywhere in a function body (its locals).
    func collectAssigned(_ body: [Stmt], _ add: (String) -> Void) {
        for s in body {
            switch s {
            case .assign(let n, _, _, _): add(n)
            case .forLoop(let n, _, let b, _): add(n); collectAssigned(b, add)
            case .whileLoop(_, let b, _): collectAssigned(b, add)
            case .ifElse(let br, let o, _):
                for (_, b) in br { collectAssigned(b, add) }
                if let o { collectAssigned(o, add) }
            default: break
            }
        }
    }

    // MARK: - expressions

    func compileVariable(_ name: String, _ l: SourceLocation, _ scope: Scope) -> Eval {
        if let k = scope.locals[name] {
            let names = scope.localNames
            return { [unowned(unsafe) self] fr in
                if let v = fr[k].get { return v }
                throw self.unknownVariable(name, l, locals: names, frame: fr)
            }
        }
        let cell = slot(name).cell
        let names = scope.localNames
        return { [unowned(unsafe) self] fr in
            if let v = cell.pointee.get { return v }
            throw self.unknownVariable(name, l, locals: names, frame: names.isEmpty ? nil : fr)
        }
    }

    func compile(_ e: Expr, _ scope: Scope) throws -> Eval {
        switch e {
        case .literal(let v, _):
            return { _ in v }
        case .variable(let name, let l):
            return compileVariable(name, l, scope)
        case .string(let parts, _):
            let compiled: [Eval] = try parts.map { part in
                switch part {
                case .text(let t):
                    let v = Value.string(t)
                    return { _ in v }
                case .expr(let x):
                    return try compile(x, scope)
                case .variable(let name, let field, let l):
                    let read = compileVariable(name, l, scope)
                    guard let field else { return read }
                    return { [unowned(unsafe) self] fr in
                        let v = try read(fr)
                        if let f = self.optionalField(v, field) { return f }
                        return .string(v.display + "." + field)
                    }
                }
            }
            return { fr in
                var s = ""
                for p in compiled { s += try p(fr).display }
                return .string(s)
            }
        case .field(let base, let name, let l):
            let b = try compile(base, scope)
            return { [unowned(unsafe) self] fr in try self.field(try b(fr), name, l) }
        case .index(let base, let idx, let l):
            let b = try compile(base, scope)
            let i = try compile(idx, scope)
            return { [unowned(unsafe) self] fr in try self.index(try b(fr), try i(fr), l) }
        case .list(let items, _):
            let fs = try items.map { try compile($0, scope) }
            return { fr in
                var out: [Value] = []
                out.reserveCapacity(fs.count)
                for f in fs { out.append(try f(fr)) }
                return .list(out)
            }
        case .record(let pairs, _):
            let fs = try pairs.map { ($0.0, try compile($0.1, scope)) }
            return { fr in
                var r = Record()
                for (k, f) in fs { r[k] = try f(fr) }
                return .record(r)
            }
        case .unary(let op, let x, let l):
            let f = try compile(x, scope)
            switch op {
            case .neg:
                return { [unowned(unsafe) self] fr in
                    let v = try f(fr)
                    if case .number(let n) = v { return .number(-n) }
                    return try self.negateValue(v, l)
                }
            case .not:
                return { [unowned(unsafe) self] fr in
                    let v = try f(fr)
                    if case .volume(let vol) = v { return try self.kernel(l) { .volume(try voxelwiseNot(vol)) } }
                    return .bool(!(try self.truth(v, l)))
                }
            }
        case .binary(let op, let a, let b, let l):
            if let fast = try compileFastArithmetic(op, a, b, l, scope) { return fast }
            return try compileBinary(op, try compile(a, scope), try compile(b, scope), l)
        case .call(let node, let piped):
            return try compileCall(node, piped: try piped.map { (try compile($0, scope), $0.location) }, scope)
        case .time(let inner, _):
            let f = try compile(inner, scope)
            return { [unowned(unsafe) self] fr in
                let start = ContinuousClock.now
                let v = try f(fr)
                let d = ContinuousClock.now - start
                let secs = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
                self.write("time: \(fixed(secs, 3)) s\n")
                return v
            }
        }
    }

    func compileBinary(_ op: BinaryOp, _ a: @escaping Eval, _ b: @escaping Eval, _ l: SourceLocation) throws -> Eval {
        switch op {
        case .add:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .number(p + q) }
                return try self.binary(op, x, y, l)
            }
        case .sub:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .number(p - q) }
                return try self.binary(op, x, y, l)
            }
        case .mul:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .number(p * q) }
                return try self.binary(op, x, y, l)
            }
        case .lt:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .bool(p < q) }
                return try self.binary(op, x, y, l)
            }
        case .le:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .bool(p <= q) }
                return try self.binary(op, x, y, l)
            }
        case .gt:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .bool(p > q) }
                return try self.binary(op, x, y, l)
            }
        case .ge:
            return { [unowned(unsafe) self] fr in
                let x = try a(fr), y = try b(fr)
                if case .number(let p) = x, case .number(let q) = y { return .bool(p >= q) }
                return try self.binary(op, x, y, l)
            }
        case .and, .or:
            let isAnd = op == .and
            return { [unowned(unsafe) self] fr in
                let x = try a(fr)
                if case .volume = x { return try self.binary(op, x, try b(fr), l) }
                let t = try self.truth(x, l)
                if isAnd && !t { return .bool(false) }
                if !isAnd && t { return .bool(true) }
                let y = try b(fr)
                if case .volume = y { return try self.binary(op, x, y, l) }
                return .bool(try self.truth(y, l))
            }
        default:
            return { [unowned(unsafe) self] fr in try self.binary(op, try a(fr), try b(fr), l) }
        }
    }

    func compileCall(_ node: CallNode, piped: (Eval, SourceLocation)?, _ scope: Scope) throws -> Eval {
        let args: [CompiledArg] = try node.args.map {
            switch $0 {
            case .value(let e): return .value(try compile(e, scope), e.location)
            case .option(let n, let l): return .option(n, l)
            }
        }
        let name = node.name, l = node.nameLocation
        let count = args.count + (piped == nil ? 0 : 1)
        let command = registry.lookup(name)
        return { [unowned(unsafe) self] fr in
            var items: [CallItem] = []
            items.reserveCapacity(count)
            if let (p, pl) = piped { items.append(.value(try p(fr), pl)) }
            for a in args {
                switch a {
                case .value(let f, let al): items.append(.value(try f(fr), al))
                case .option(let n, let ol): items.append(.option(n, ol))
                }
            }
            if let command { return try self.invoke(command, items, l) }
            if let fn = self.userFunctions[name] { return try self.call(fn, items, l) }
            throw self.unknownCommand(name, l)
        }
    }
}

@inline(__always)
func runBlock(_ body: [ExecItem], _ fr: Frame) throws -> Flow {
    for s in body {
        let f = try s.run(fr)
        if case .next = f { continue }
        return f
    }
    return .next
}

/// One pass of a loop's body (`while` and `for` alike): nil to go on with the next pass, else what
/// the loop returns (`break` ends the loop as `.next`, `return` passes through).
@inline(__always)
func runPass(_ body: [ExecItem], _ fr: Frame) throws -> Flow? {
    switch try runBlock(body, fr) {
    case .next, .continueLoop: return nil
    case .breakLoop: return .next
    case .returned: return .returned
    }
}

// MARK: - fast paths for numbers

/// An operand that can be read as a number without evaluating a closure: a variable or a number literal.
enum FastOperand {
    case cell(UnsafeMutablePointer<Slot>)
    case local(Int)
    case constant(Double)

    @inline(__always) func number(_ fr: Frame) -> Double? {
        switch self {
        case .cell(let c): if c.pointee.tag == 1 { return c.pointee.num }
        case .local(let k): if fr[k].tag == 1 { return fr[k].num }
        case .constant(let n): return n
        }
        return nil
    }
}

extension Interpreter {
    func fastOperand(_ e: Expr, _ scope: Scope) -> FastOperand? {
        switch e {
        case .literal(.number(let n), _): return .constant(n)
        case .variable(let name, _):
            if let k = scope.locals[name] { return .local(k) }
            return .cell(slot(name).cell)
        default: return nil
        }
    }

    /// A condition as a Bool; comparisons of variables and numbers skip building a Value.
    func compileCondition(_ e: Expr, _ scope: Scope) throws -> (Frame) throws -> Bool {
        if case .binary(let op, let a, let b, _) = e, let fa = fastOperand(a, scope), let fb = fastOperand(b, scope) {
            let slow = try compile(e, scope)
            let el = e.location
            let truth: (Value) throws -> Bool = { [unowned(unsafe) self] in try self.truth($0, el) }
            switch op {
            case .lt: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x < y }; return try truth(try slow(fr)) }
            case .le: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x <= y }; return try truth(try slow(fr)) }
            case .gt: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x > y }; return try truth(try slow(fr)) }
            case .ge: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x >= y }; return try truth(try slow(fr)) }
            case .eq: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x == y }; return try truth(try slow(fr)) }
            case .ne: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return x != y }; return try truth(try slow(fr)) }
            default: break
            }
        }
        let f = try compile(e, scope)
        let el = e.location
        return { [unowned(unsafe) self] fr in try self.truth(try f(fr), el) }
    }

    /// `a op b` for + - * when both sides are variables or numbers: no closure calls on the number path.
    func compileFastArithmetic(_ op: BinaryOp, _ a: Expr, _ b: Expr, _ l: SourceLocation, _ scope: Scope) throws -> Eval? {
        guard let fa = fastOperand(a, scope), let fb = fastOperand(b, scope) else { return nil }
        let ea = try compile(a, scope), eb = try compile(b, scope)
        let slow: Eval = { [unowned(unsafe) self] fr in try self.binary(op, try ea(fr), try eb(fr), l) }
        switch op {
        case .add: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return .number(x + y) }; return try slow(fr) }
        case .sub: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return .number(x - y) }; return try slow(fr) }
        case .mul: return { fr in if let x = fa.number(fr), let y = fb.number(fr) { return .number(x * y) }; return try slow(fr) }
        default: return nil
        }
    }
}

extension Interpreter {
    /// `x = a op b` with + - * on variables and numbers: stores the number without building a Value.
    func compileFastAssignment(_ name: String, _ e: Expr, _ l: SourceLocation, _ scope: Scope) throws -> Exec? {
        guard case .binary(let op, let a, let b, _) = e, op == .add || op == .sub || op == .mul,
              let fa = fastOperand(a, scope), let fb = fastOperand(b, scope) else { return nil }
        let slow = try compile(e, scope)
        let target: UnsafeMutablePointer<Slot>?
        let k = scope.locals[name] ?? 0
        if scope.locals[name] != nil { target = nil } else { target = slot(name).cell }
        return { [unowned(unsafe) self] fr in
            if Cancellation.isCancelled { throw self.cancelled(at: l) }
            let dst = target ?? fr + k
            if let x = fa.number(fr), let y = fb.number(fr) {
                dst.pointee.setNumber(op == .add ? x + y : op == .sub ? x - y : x * y)
            } else {
                dst.pointee.set(try slow(fr))
            }
            return .next
        }
    }
}
