import Runtime

extension Interpreter {
    /// `Host.call`: what `map`, `filter` and other commands taking a function name use. A user function
    /// is looked up first, then a command, as a call statement resolves a name.
    public func call(function name: String, arguments: [Value], at location: SourceLocation?) throws -> Value {
        let l = location ?? SourceLocation(file: "<call>", line: 0, column: 0)
        let items = arguments.map { CallItem.value($0, location) }
        if let fn = userFunctions[name] { return try call(fn, items, l) }
        if let command = registry.lookup(name) { return try invoke(command, items, l) }
        throw unknownCommand(name, l)
    }
}
