import Runtime
import Kernels

let dataCommands: [Command] = [
    Command(
        name: "phantom", topic: "data",
        summary: "a synthetic cardiac SBF-SEM volume with its ground truth (image, mask, labels, contour)",
        help: """
        Returns a record: `image` (u8), `mask` (mitochondria), `labels` (one id per mitochondrion, 1…N) and
        `contour` (`contour labels --width 2`), at 10×10×50 nm. Myofibrils run along x (grey ~190, sarcomere
        banding with dark Z-lines); prolate mitochondria (~25 % of the volume, semi-axes 300–600 × 150–260 nm)
        are darker (~160) with a dark membrane rim (~120), most aligned with x, a fifth tilted, some touching end
        to end through a narrow neck; extracellular space along the high-y edge is very dark (~40) and very
        bright (~232), so slice histograms have four peaks. Gaussian noise (σ 5). --drift d changes each slice's
        contrast and offset slowly along z (up to ±d·100 % contrast and ±d·100 grey levels) — `normalize` undoes
        it. The same seed gives the same volume, whatever the thread count.
        """,
        options: [
            .option("size", .numbers(3), "[z, y, x] in voxels", default: .list([.number(24), .number(256), .number(256)])),
            .option("seed", .int, "random seed (≥ 0)", default: .number(1)),
            .option("drift", .number, "slice-to-slice intensity drift, 0…0.5", default: .number(0)),
        ],
        examples: [
            Example("p = phantom --size [8, 64, 64] --seed 2; print $p.labels", "a small phantom and its objects", expect: "labels"),
            Example("p = phantom --size [4, 64, 64] --drift 0.1; peaks $p.image --per-slice", "drifting peaks to normalise", expect: "p1"),
        ],
        run: { args, _ in
            let s = try args.numbers("size")
            guard s.count == 3, s.allSatisfy({ $0.rounded() == $0 && $0 >= 1 && $0 <= 1e6 }) else {
                throw args.error("size", "size must be three positive integers [z, y, x]")
            }
            let seed = try args.int("seed")
            guard seed >= 0 else { throw args.error("seed", "seed must be ≥ 0, got \(seed)") }
            let drift = try args.number("drift")
            guard drift >= 0, drift <= 0.5 else { throw args.error("drift", "drift must be between 0 and 0.5, got \(formatNumber(drift))") }
            let p = try kernelCall(args) { try phantom(size: Shape(z: Int(s[0]), y: Int(s[1]), x: Int(s[2])), seed: UInt64(seed), drift: drift) }
            return .record(Record([
                ("image", .volume(p.image)), ("mask", .volume(p.mask)),
                ("labels", .volume(p.labels)), ("contour", .volume(p.contour)),
            ]))
        }
    ),
]

/// Runs a kernel; its `VolumeError` becomes an error at the call without a second "name:" prefix.
fileprivate func kernelCall<T>(_ args: Arguments, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as VolumeError { throw args.failure(e.message) }
}
