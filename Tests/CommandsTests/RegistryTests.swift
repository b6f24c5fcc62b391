import Testing
import Runtime
import Commands

@Test("the registry validates: unique names, summaries, examples, parameter order")
func registryValidates() {
    #expect(makeRegistry().validate() == [])
}

@Test("the language builtins are registered")
func languageBuiltinsRegistered() {
    let r = makeRegistry()
    for name in ["print", "str", "len", "range", "keys", "vars", "time", "source", "exit", "help"] {
        #expect(r.lookup(name) != nil, "\(name) is not registered")
    }
}
