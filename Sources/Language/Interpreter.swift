#if canImport(Glibc)
import _Platform
import Glibc
#endif
import Runtime
import Kernels

/// A parsed source text: its top-level statements.
public struct Program: @unchecked Sendable {
    public let statements: [Statement]
}

/// One top-level statement, parsed and compiled, ready to run (`Interpreter.execute`).
public struct Statement: @unchecked Sendable {
    /// The exact source text of the statement (journaled by the shell).
    public let text: String
    public let location: SourceLocation
    /// The REPL shows the result of non-assignment statements that are not nil.
    public let isAssignment: Bool
    let code: Eval
}

/// The interpreter of the emsh language (grammar: Parser.swift). Construction does no work:
/// variables, functions and sources appear as they are used.
public final class Interpreter: Host, @unchecked Sendable {
    public let registry: Registry
    let writeSink: (String) -> Void
    let warnSink: (String) -> Void
    public var session: (any SessionHost)?
    /// Folders where `source NAME` finds NAME.ems (the stdlib).
    public var searchPaths: [String] = []

    var globals: [String: GlobalSlot] = [:]
    var userFunctions: [String: Function] = [:]
    /// The value of the last `return`.
    var returnValue: Value = .null
    /// Source texts by file name, for error snippets.
    var sources: [String: [Substring]] = [:]
    var callDepth = 0
    var sourceDepth = 0
    /// Where the last interruption was noticed (innermost first).
    var cancelLocation: SourceLocation?
    var currentFunction: Function?
    var currentFrame: Frame?
    /// The one-slot frame top-level code runs with.
    let topFrame: Frame
    /// Loop iterations and function calls left before "step limit reached" (fuzzing bounds its inputs with it).
    let steps: UnsafeMutablePointer<Int>
    /// Bounds the work of every later `execute` (nil: unbounded). Each loop iteration and call is a step.
    /// Once set, it counts down across executions until reset; running out throws "step limit reached".
    public var stepLimit: Int? {
        get { steps.pointee == Int.max ? nil : steps.pointee }
        set { steps.pointee = newValue ?? Int.max }
    }

    /// User function calls nest at most this deep.
    public static let maxCallDepth = 200

    public init(registry: Registry, write: @escaping (String) -> Void, warn: @escaping (String) -> Void) {
        self.registry = registry
        self.writeSink = write
        self.warnSink = warn
        topFrame = .allocate(capacity: 1)
        topFrame.initialize(to: Slot())
        steps = .allocate(capacity: 1)
        steps.initialize(to: Int.max)
    }

    deinit {
        steps.deallocate()
        topFrame.deinitialize(count: 1)
        topFrame.deallocate()
    }

    /// Parses and compiles a text; throws `EmshError(.syntax)` with the location of the first problem.
    public func parse(_ text: String, file: String) throws -> Program {
        sources[file] = text.split(separator: "\n", omittingEmptySubsequences: false)
        var p = Parser(text, file: file)
        let parsed = try p.parseProgram()
        var out: [Statement] = []
        out.reserveCapacity(parsed.count)
        for s in parsed {
            let code = try compileTop(s.stmt)
            let stmtText = String(decoding: p.bytes[s.start..<max(s.start, s.end)], as: UTF8.self)
            out.append(Statement(text: stmtText, location: p.location(s.start, length: s.end - s.start),
                                 isAssignment: s.isAssignment, code: code))
        }
        return Program(statements: out)
    }

    /// Runs one statement in the global scope and returns its value (nil for control statements).
    public func execute(_ statement: Statement) throws -> Value {
        cancelLocation = nil
        callDepth = 0
        currentFunction = nil
        currentFrame = nil
        do {
            return try statement.code(topFrame)
        } catch let e as CancelledError {
            if cancelLocation == nil { cancelLocation = statement.location }
            throw e
        }
    }

    /// Parses the whole text, then runs it; the value of the last statement.
    public func run(_ text: String, file: String) throws -> Value {
        var last = Value.null
        for s in try parse(text, file: file).statements { last = try execute(s) }
        return last
    }

    /// True when the text ends inside an open ( [ { or string, or after a trailing `|`: the REPL reads another line.
    public static func needsMoreInput(_ text: String) -> Bool {
        var p = Parser(text, file: "<repl>")
        do {
            _ = try p.parseProgram()
            return false
        } catch {
            return p.incomplete
        }
    }

    public func setVariable(_ name: String, _ value: Value) { slot(name).cell.pointee.set(value) }

    public func variable(_ name: String) -> Value? { globals[name]?.cell.pointee.get }

    /// The user-defined function names (for completion).
    public var functionNames: [String] { userFunctions.keys.sorted() }

    // MARK: - Host

    public func write(_ text: String) { writeSink(text) }
    public func warn(_ text: String) { warnSink("warning: " + text + "\n") }

    public func variables() -> [(name: String, value: Value)] {
        var out: [String: Value] = [:]
        for (n, s) in globals { if let v = s.cell.pointee.get { out[n] = v } }
        if let f = currentFunction, let fr = currentFrame {
            for (k, n) in f.localNames.enumerated() where !n.isEmpty { if let v = fr[k].get { out[n] = v } }
        }
        return out.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    public func functions() -> [(name: String, parameters: [String])] {
        userFunctions.values.sorted { $0.name < $1.name }.map { (name: $0.name, parameters: $0.parameters) }
    }

    /// Runs a file in the global scope. A name without `/` and `.ems` that is not a file is looked up
    /// as NAME.ems in `searchPaths` (the stdlib).
    public func source(path: String, at location: SourceLocation?) throws -> Value {
        var candidates = [path]
        if !path.contains("/") {
            let name = path.hasSuffix(".ems") ? path : path + ".ems"
            if name != path { candidates.append(name) }
            candidates += searchPaths.map { $0 + "/" + name }
        }
        guard let found = candidates.first(where: { isFile($0) }) else {
            throw EmshError(.io, "source: cannot read '\(path)'" + (searchPaths.isEmpty ? "" : " (also looked in \(searchPaths.joined(separator: ", ")))"),
                            at: location)
        }
        guard sourceDepth < 32 else { throw EmshError(.runtime, "source: files source each other more than 32 deep", at: location) }
        let text = try readFile(found, at: location)
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        let saved = (currentFunction, currentFrame, callDepth)
        defer { (currentFunction, currentFrame, callDepth) = saved }
        let program = try parse(text, file: found)
        var last = Value.null
        for s in program.statements { last = try s.code(topFrame) }
        return last
    }

    // MARK: - calls

    /// Binds and runs a registered command; every error it throws goes through `userError`, at the call.
    func invoke(_ command: Command, _ items: [CallItem], _ l: SourceLocation) throws -> Value {
        let args = try command.bind(items, at: l)
        do {
            return try command.run(args, self)
        } catch let e as CancelledError {
            noteCancel(l)
            throw e
        } catch let e as ExitRequest {
            throw e
        } catch {
            throw userError(error, in: command.name, at: args.location(for: error) ?? l)
        }
    }

    /// Calls a user function: positional arguments in order, `--param value` by name.
    func call(_ f: Function, _ items: [CallItem], _ l: SourceLocation) throws -> Value {
        let usage = ([f.name] + f.parameters.map { $0.uppercased() }).joined(separator: " ")
        var values = [Value?](repeating: nil, count: f.parameters.count)
        var next = 0
        var k = 0
        while k < items.count {
            switch items[k] {
            case .value(let v, let vl):
                while next < values.count && values[next] != nil { next += 1 }
                guard next < values.count else {
                    throw EmshError(.argument, "\(f.name): too many arguments (takes \(f.parameters.count))",
                                    at: vl ?? l, notes: ["usage: \(usage)"])
                }
                values[next] = v
                next += 1
            case .option(let name, let ol):
                guard let p = f.parameters.firstIndex(of: name) else {
                    var notes: [String] = []
                    if let s = closest(to: name, in: f.parameters) { notes.append("did you mean --\(s)?") }
                    notes.append("usage: \(usage)")
                    throw EmshError(.name, "\(f.name): unknown option --\(name)", at: ol, notes: notes)
                }
                guard k + 1 < items.count, case .value(let v, _) = items[k + 1] else {
                    throw EmshError(.argument, "\(f.name): option --\(name) needs a value", at: ol)
                }
                if values[p] != nil { throw EmshError(.argument, "\(f.name): \(name) given twice", at: ol) }
                values[p] = v
                k += 1
            }
            k += 1
        }
        if let missing = values.firstIndex(where: { $0 == nil }) {
            throw EmshError(.argument, "\(f.name): missing argument \(f.parameters[missing].uppercased())", at: l,
                            notes: ["usage: \(usage)"])
        }
        try step(l)
        guard callDepth < Interpreter.maxCallDepth else {
            throw EmshError(.runtime, "calls nested deeper than \(Interpreter.maxCallDepth) (runaway recursion?)", at: l)
        }
        let n = f.localNames.count
        let frame = Frame.allocate(capacity: n)
        frame.initialize(repeating: Slot(), count: n)
        for (p, v) in values.enumerated() { if let v { frame[p].set(v) } }
        let saved = (currentFunction, currentFrame)
        callDepth += 1
        currentFunction = f; currentFrame = frame
        defer {
            callDepth -= 1
            (currentFunction, currentFrame) = saved
            frame.deinitialize(count: n)
            frame.deallocate()
        }
        do {
            if case .returned = try runBlock(f.body, frame) {
                let v = returnValue
                returnValue = .null
                return v
            }
            return .null
        } catch var e as EmshError {
            e.notes.append("in def \(f.name), called at \(l)")
            throw e
        }
    }

    func unknownCommand(_ name: String, _ l: SourceLocation) -> EmshError {
        var notes: [String] = []
        if let s = closest(to: name, in: registry.names + Array(userFunctions.keys)) { notes.append("did you mean \(s)?") }
        notes.append("`help` lists the commands")
        return EmshError(.name, "unknown command '\(name)'", at: l, notes: notes)
    }

    func unknownVariable(_ name: String, _ l: SourceLocation, locals: [String], frame: Frame?) -> EmshError {
        var known: [String] = globals.values.filter { $0.cell.pointee.tag != 0 }.map(\.name)
        if let frame {
            for (k, n) in locals.enumerated() where !n.isEmpty && frame[k].tag != 0 { known.append(n) }
        }
        var notes: [String] = []
        if let s = closest(to: name, in: known) { notes.append("did you mean $\(s)?") }
        if registry.lookup(name) != nil || userFunctions[name] != nil {
            notes.append("\(name) is a command: call it as (\(name) ...)")
        }
        return EmshError(.name, "unknown variable $\(name)", at: l, notes: notes)
    }

    @inline(__always) func step(_ l: SourceLocation) throws {
        if steps.pointee != Int.max {
            steps.pointee -= 1
            if steps.pointee <= 0 { throw EmshError(.runtime, "step limit reached", at: l) }
        }
    }

    /// Where every pass of a loop begins: Ctrl-C and the step limit end a loop between passes.
    @inline(__always) func startPass(at l: SourceLocation) throws {
        if Cancellation.isCancelled { throw cancelled(at: l) }
        try step(l)
    }

    func noteCancel(_ l: SourceLocation) {
        if cancelLocation == nil { cancelLocation = l }
    }

    func cancelled(at l: SourceLocation) -> CancelledError {
        noteCancel(l)
        return CancelledError()
    }

    // MARK: - files

    func readFile(_ path: String, at l: SourceLocation?) throws -> String {
        try withUserErrors(in: "source", at: l) { try readTextFile(path) }
    }
}
