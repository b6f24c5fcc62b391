import Foundation
import Testing
import FuzzTargets
import TestSupport

/// Replays the committed fuzz corpus (Fuzz/corpus/<target>/): every input must be handled
/// without a crash; the corpus holds both valid seeds and inputs the fuzzer found interesting.
@Test(arguments: FuzzTarget.allCases)
func corpusReplays(_ target: FuzzTarget) throws {
    let root = packageRootURL
    let dir = root.appendingPathComponent("Fuzz/corpus/\(target.rawValue)")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    #expect(!files.isEmpty, "no corpus for \(target.rawValue)")
    var accepted = 0
    for f in files.sorted() {
        let data = try Data(contentsOf: dir.appendingPathComponent(f))
        if target.run(Array(data)) { accepted += 1 }
    }
    // The seeds include at least one valid input of each kind, so a loader that refuses
    // everything fails here too.
    #expect(accepted > 0, "\(target.rawValue): every corpus input was refused")
}
