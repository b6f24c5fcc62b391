// emsh-fuzz TARGET [libFuzzer flags | corpus files]
// TARGET: png, tiff, csv, model, script, zarr. Built with scripts/fuzz under libFuzzer + ASan;
// in a plain build it replays the files given as arguments.
import Foundation
import FuzzTargets
#if FUZZING
import CFuzzer
#endif

var arguments = CommandLine.arguments
guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: emsh-fuzz png|tiff|csv|model|script|zarr [files or libFuzzer flags]\n".utf8))
    exit(2)
}
arguments.remove(at: 1)
let selected = target

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected.run(bytes)
    return 0
}
var argc = Int32(arguments.count)
var cargs = arguments.map { strdup($0) } + [nil]
cargs.withUnsafeMutableBufferPointer { buf in
    var argv = buf.baseAddress
    _ = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selected.run(bytes)
        return 0
    }
}
#else
var accepted = 0, refused = 0
for path in arguments.dropFirst() {
    guard let data = FileManager.default.contents(atPath: path) else { continue }
    if selected.run(Array(data)) { accepted += 1 } else { refused += 1 }
}
print("\(accepted + refused) inputs: \(accepted) accepted, \(refused) refused, no crash")
#endif
