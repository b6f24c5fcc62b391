import _Platform
import Foundation
import Testing
import Language
import Runtime
import Commands
import TestSupport

/// A seeded random-program generator: mutations and splices of the golden corpus (and of the fuzz corpus)
/// run through parse + execute with a step limit. Nothing may crash, trap or hang; every error renders.
/// `EMSH_FUZZ_N` sets the number of inputs (default 3000); `EMSH_FUZZ_SEED` the seed.

/// Fragments the mutator inserts: every token class, keywords, edge-case numbers and strings.
let fuzzFragments: [String] = [
    "{", "}", "(", ")", "[", "]", "\"", "$", "$(", "|", ";", "\n", "#", ",", ":", ".", "=", "==", "--", "-", "+", "*", "/", "%",
    "<", ">=", "!=", "\\", "\\n", "\\$", "and", "or", "not", "true", "false", "nil", "if", "else", "for", "in", "while",
    "def", "return", "break", "continue", "time", "print", "len", "str", "range", "keys", "vars", "help", "exit",
    "$x", "$x.f", "$x[0]", "$x[-1]", "$args", "x = ", "1e308", "-0", "0", "1e-3", "nan", "999999999999999999999",
    "\"a$x\"", "\"$(1 + 2)\"", "[1, 2]", "{a: 1}", "(range 3)", "def f x { return $x }", "f 1", "while true { break }",
    "for i in [1, 2] { }", "if $x { } else { }", " ", "\t", "é", "🙂", "\u{0}", "\r\n", "--flag", "--a 1",
    "1 / 0", "range 5 | len", "x = [1, [2, {a: 3}]]", "x.a = 1", "x[0] = 2", "time len [1]",
]

func fuzzRegistry() -> Registry {
    // Only commands without side effects on the process or the disk.
    Registry(allCommands.filter { ["print", "str", "len", "range", "keys", "vars", "time", "exit", "help"].contains($0.name) })
}

func fuzzSeeds() -> [String] {
    var seeds: [String] = []
    for dir in ["Tests/LanguageTests/Golden"] {
        let root = packageRootURL.appendingPathComponent(dir)
        guard let e = FileManager.default.enumerator(atPath: root.path) else { continue }
        for case let f as String in e where f.hasSuffix(".ems") || f.hasSuffix(".fuzz") {
            if let t = try? String(contentsOfFile: root.appendingPathComponent(f).path, encoding: .utf8) { seeds.append(t) }
        }
    }
    return seeds.sorted()
}

func mutate(_ seeds: [String], _ rng: inout SplitMix64) -> String {
    var s = Array(seeds.randomElement(using: &rng) ?? "").map { String($0) }
    let rounds = Int.random(in: 1...6, using: &rng)
    for _ in 0..<rounds {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where !s.isEmpty:  // delete a range
            let a = Int.random(in: 0..<s.count, using: &rng)
            let b = min(s.count, a + Int.random(in: 1...8, using: &rng))
            s.removeSubrange(a..<b)
        case 1:  // insert a fragment
            let at = Int.random(in: 0...s.count, using: &rng)
            s.insert(fuzzFragments.randomElement(using: &rng) ?? "", at: at)
        case 2 where !s.isEmpty:  // replace a character
            let at = Int.random(in: 0..<s.count, using: &rng)
            s[at] = fuzzFragments.randomElement(using: &rng) ?? ""
        case 3:  // splice another seed in
            let other = Array(seeds.randomElement(using: &rng) ?? "").map { String($0) }
            guard !other.isEmpty else { break }
            let a = Int.random(in: 0..<other.count, using: &rng)
            let b = min(other.count, a + Int.random(in: 1...80, using: &rng))
            s.insert(contentsOf: other[a..<b], at: Int.random(in: 0...s.count, using: &rng))
        case 4 where !s.isEmpty:  // duplicate a range
            let a = Int.random(in: 0..<s.count, using: &rng)
            let b = min(s.count, a + Int.random(in: 1...30, using: &rng))
            s.insert(contentsOf: Array(s[a..<b]), at: b)
        default:  // nest: wrap in brackets or a loop
            let wraps = [("(", ")"), ("[", "]"), ("{", "}"), ("for i in [1] { ", " }"), ("def g { ", " }\ng"), ("\"", "\"")]
            let (o, c) = wraps.randomElement(using: &rng) ?? ("(", ")")
            s.insert(o, at: 0); s.append(c)
        }
    }
    return s.joined()
}

/// Parses and runs one input in a fresh interpreter; returns false if something is wrong with the result.
@discardableResult
func fuzzOne(_ text: String, registry: Registry) -> Bool {
    _ = Interpreter.needsMoreInput(text)
    let interp = Interpreter(registry: registry, write: { _ in }, warn: { _ in })
    interp.stepLimit = 5_000
    do {
        let p = try interp.parse(text, file: "fuzz.ems")
        for s in p.statements {
            _ = s.text
            do { _ = try interp.execute(s) } catch is ExitRequest { break } catch {
                guard !interp.render(error).isEmpty else { return false }
            }
        }
    } catch {
        let r = interp.render(error)
        guard r.hasPrefix("error: ") else { return false }
    }
    return true
}

@Test("fuzz: mutated corpus scripts never crash or hang the parser and interpreter")
func fuzzCorpus() {
    let env = ProcessInfo.processInfo.environment
    let n = Int(env["EMSH_FUZZ_N"] ?? "") ?? 3000
    var rng = SplitMix64(seed: UInt64(env["EMSH_FUZZ_SEED"] ?? "") ?? 2026)
    let seeds = fuzzSeeds()
    #expect(seeds.count >= 60)
    let registry = fuzzRegistry()
    var bad: [String] = []
    for k in 0..<n {
        let text = mutate(seeds, &rng)
        let start = ContinuousClock.now
        if let path = env["EMSH_FUZZ_CURRENT"] { try? text.write(toFile: path, atomically: false, encoding: .utf8) }
        if !fuzzOne(text, registry: registry) { bad.append(text) }
        if env["EMSH_FUZZ_VERBOSE"] != nil, ContinuousClock.now - start > .milliseconds(300) {
            print("fuzz: slow input #\(k) (\(ContinuousClock.now - start)):\n\(text)\n----")
        }
        if n >= 100_000 && k % 100_000 == 0 { print("fuzz: \(k) inputs") }
    }
    #expect(bad.isEmpty, "inputs with a malformed result: \(bad.prefix(3))")
}

@Test("fuzz corpus: inputs found while fuzzing replay cleanly")
func fuzzRegressions() throws {
    let root = packageRootURL.appendingPathComponent("Tests/LanguageTests/Golden/fuzz-corpus")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    for f in files.sorted() {
        let t = try String(contentsOfFile: root.appendingPathComponent(f).path, encoding: .utf8)
        #expect(fuzzOne(t, registry: fuzzRegistry()), "\(f)")
    }
}

/// A pipeline of 20,000 stages once overflowed the stack; every `|` now counts as an operator.
@Test func aVeryLongPipelineIsAnErrorNotACrash() {
    let r = runScript("x = 1" + String(repeating: " | str", count: 20_000), file: "long.ems", prelude: false)
    #expect(r.status == 1)
    #expect(r.stderr.contains("more than 2000 operators"))
}

/// Infinite, huge and NaN voxels print without trapping, and NaN is left out of the statistics.
@Test func infiniteAndNaNVolumesPrint() {
    let r = runScript("""
        p = phantom --size [1, 8, 8]
        f = blur $p.image --sigma 1
        print ($f / ($f - $f))
        print ($f * 1e300 * 1e300)
        n = ($f - $f) / ($f - $f)
        print $n
        info $n
        """, file: "nan.ems")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("min inf max inf mean inf"))
    #expect(r.stdout.contains("64 NaN"))
    #expect(r.stdout.contains("64 voxels (left out of min, max, mean and std)"))
}
