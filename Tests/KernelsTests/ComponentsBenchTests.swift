import Testing
import Foundation
@testable import Kernels

// The Swift half of scripts/bench.d/objects.py: runs only when EMSH_BENCH_OBJECTS names a folder
// holding `mask.u8` (z·y·x bytes) and `shape.txt` ("z y x sx sy sz"); prints "BENCH name seconds"
// lines (best of the repeats) and writes the results the script compares with its Python peers.
private let benchDir = ProcessInfo.processInfo.environment["EMSH_BENCH_OBJECTS"]

@Test(.enabled(if: benchDir != nil))
func objectsBenchmark() throws {
    guard let dir = benchDir else { return }
    let words = try String(contentsOfFile: dir + "/shape.txt", encoding: .utf8).split(separator: " ")
        .compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    guard words.count == 6 else { Issue.record("bad shape.txt"); return }
    let shape = Shape(z: Int(words[0]), y: Int(words[1]), x: Int(words[2]))
    let sp = Spacing(x: words[3], y: words[4], z: words[5])
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/mask.u8")))
    guard bytes.count == shape.count else { Issue.record("mask.u8 has \(bytes.count) bytes"); return }
    let mask = Volume(shape: shape, spacing: sp, kind: .mask, storage: .u8(VoxelBuffer(bytes)))
    let reps = Int(ProcessInfo.processInfo.environment["EMSH_BENCH_REPS"] ?? "3") ?? 3

    func cpuSeconds() -> Double {
        var ru = rusage()
        getrusage(RUSAGE_SELF.rawValue, &ru)
        return Double(ru.ru_utime.tv_sec) + Double(ru.ru_utime.tv_usec) / 1e6
            + Double(ru.ru_stime.tv_sec) + Double(ru.ru_stime.tv_usec) / 1e6
    }
    func time<T>(_ name: String, _ body: () throws -> T) throws -> T {
        var best = Double.infinity, bestCPU = Double.infinity
        var result: T? = nil
        for _ in 0..<max(1, reps) {
            let t0 = DispatchTime.now().uptimeNanoseconds, c0 = cpuSeconds()
            let r = try body()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            best = min(best, dt)
            bestCPU = min(bestCPU, cpuSeconds() - c0)
            result = r
        }
        print("BENCH \(name) \(best) \(bestCPU)")
        guard let out = result else { throw CancelledError() }
        return out
    }
    func save(_ v: Volume, _ name: String) throws {
        let data: Data
        switch v.storage {
        case .u32(let b): data = Data(bytes: b.pointer, count: b.count * 4)
        case .f32(let b): data = Data(bytes: b.pointer, count: b.count * 4)
        case .u8(let b): data = Data(bytes: b.pointer, count: b.count)
        case .u16(let b): data = Data(bytes: b.pointer, count: b.count * 2)
        }
        try data.write(to: URL(fileURLWithPath: dir + "/" + name))
    }
    print("BENCH threads \(Threads.count) 0")
    var labels26: Volume? = nil
    for conn in [6, 18, 26] {
        let (l, n) = try time("components\(conn)") { try components(mask, connectivity: conn) }
        print("BENCH_INFO components\(conn) objects \(n)")
        try save(l, "labels_\(conn).u32")
        if conn == 26 { labels26 = l }
    }
    let d = try time("distance") { try distanceTransform(mask) }
    try save(d, "dist.f32")
    let (s, n) = try time("split_distance") { try split(mask, method: .distance) }
    print("BENCH_INFO split_distance objects \(n)")
    try save(s, "split.u32")
    // The crop the peer's watershed is timed on (crop.u8, z·y·x bytes; crop.txt "z y x").
    if let cw = try? String(contentsOfFile: dir + "/crop.txt", encoding: .utf8) {
        let dims = cw.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let cb = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/crop.u8")))
        if dims.count == 3, cb.count == dims[0] * dims[1] * dims[2] {
            let cm = Volume(shape: Shape(z: dims[0], y: dims[1], x: dims[2]), spacing: sp, kind: .mask,
                            storage: .u8(VoxelBuffer(cb)))
            let (_, cn) = try time("split_distance_crop") { try split(cm, method: .distance) }
            print("BENCH split_crop_objects \(cn) 0")
        }
    }
    let f32mask = try time("blur") { try blur(mask, sigma: 2) }
    _ = f32mask
    if let l = labels26 {
        let t = try time("fit") { try fit(l, axis: (1, 0, 0)) }
        print("BENCH_INFO fit rows \(t.rowCount)")
    }
}
