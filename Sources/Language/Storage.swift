import Runtime

// The AST is compiled once into nested closures. Variables are resolved at compile time to slots:
// a global is a heap cell shared by every closure that names it (created on first mention, unset
// until assigned); a local of a `def` is an index into the call's frame. Reading an unset slot is the
// "unknown variable" error.

/// The locals of the running function call (top level: a one-slot dummy frame).
typealias Frame = UnsafeMutablePointer<Slot>

/// A variable's storage. Numbers live unboxed in `num` so arithmetic loops never copy a `Value`
/// (a large enum); other values live in `value`.
struct Slot {
    /// 0 unset, 1 number (in `num`), 2 other (in `value`).
    var tag: UInt8 = 0
    var num: Double = 0
    var value: Value = .null

    @inline(__always) var get: Value? {
        if tag == 1 { return .number(num) }
        if tag == 2 { return value }
        return nil
    }

    @inline(__always) mutating func set(_ v: Value) {
        if case .number(let n) = v { setNumber(n) } else { value = v; tag = 2 }
    }

    @inline(__always) mutating func setNumber(_ n: Double) {
        if tag == 2 { value = .null }
        tag = 1
        num = n
    }
}
typealias Eval = (Frame) throws -> Value

/// How a statement ended: normally, or by break/continue/return (the value is in `Interpreter.returnValue`).
enum Flow { case next, breakLoop, continueLoop, returned }
typealias Exec = (Frame) throws -> Flow

/// A statement in a block. The wrapper keeps the closure at its natural abstraction inside arrays
/// (an array of bare closures calls each through a reabstraction thunk that retains its context).
struct ExecItem {
    let run: Exec
}

/// One `if`/`else if` branch.
struct Branch {
    let condition: (Frame) throws -> Bool
    let body: [ExecItem]
}

/// A global variable's storage: one cell for the interpreter's lifetime.
final class GlobalSlot {
    let name: String
    let cell: UnsafeMutablePointer<Slot>
    init(name: String) {
        self.name = name
        cell = .allocate(capacity: 1)
        cell.initialize(to: Slot())
    }
    deinit {
        cell.deinitialize(count: 1)
        cell.deallocate()
    }
}

/// A user function defined with `def`.
final class Function {
    let name: String
    let parameters: [String]
    let localNames: [String]
    let location: SourceLocation
    var body: [ExecItem] = []
    init(name: String, parameters: [String], localNames: [String], location: SourceLocation) {
        self.name = name; self.parameters = parameters; self.localNames = localNames; self.location = location
    }
}

/// Compile-time scope: the top level (no locals) or a function's locals.
struct Scope {
    var locals: [String: Int]
    var localNames: [String]
    static let top = Scope(locals: [:], localNames: [])
    var isTop: Bool { localNames.isEmpty }
}

enum CompiledArg {
    case value(Eval, SourceLocation)
    case option(String, SourceLocation)
}
