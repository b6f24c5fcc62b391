import _Platform
import Blocks
import Runtime
import Kernels

let phantomCommands: [Command] = [
    Command(
        name: "phantom", topic: .data,
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
        --to FOLDER writes the four volumes as OME-Zarr stores (FOLDER/image.zarr, mask.zarr, labels.zarr,
        contour.zarr; zstd chunks of --chunks [z, y, x]) slab by slab, so a phantom larger
        than memory can be made for tests and benchmarks; the record then holds chunked volumes.
        """,
        options: [
            .option("size", .integers(3), "[z, y, x] in voxels", default: .list([.number(24), .number(256), .number(256)]),
                    in: .between(1, 1e6)),
            .option("seed", .int, "random seed", default: .number(1), in: .atLeast(0)),
            .option("drift", .number, "slice-to-slice intensity drift", default: .number(0), in: .between(0, 0.5)),
            .option("to", .string, "write OME-Zarr stores into this folder instead of memory"),
            .option("chunks", .integers(3), "with --to: chunk shape [z, y, x]", default: .list([.number(16), .number(256), .number(256)]),
                    in: .between(1, 65536)),
        ],
        examples: [
            Example("p = phantom --size [8, 64, 64] --seed 2; print $p.labels", "a small phantom and its objects", expect: "labels"),
            Example("p = phantom --size [4, 64, 64] --drift 0.1; peaks $p.image --per-slice", "drifting peaks to normalise", expect: "p1"),
            Example("p = phantom --size [8, 128, 128] --to /tmp/emsh-example-phantom --chunks [4, 64, 64]; print $p.labels",
                    "a phantom written as OME-Zarr stores, chunk by chunk", expect: "zarr"),
        ],
        run: { args, _ in
            let s = try args.integers("size")
            let seed = try args.int("seed")
            let drift = try args.number("drift")
            let size = Shape(z: s[0], y: s[1], x: s[2])
            if args.has("to") {
                let c = try args.integers("chunks")
                var folder = expandHome(try args.string("to"))
                if !folder.hasPrefix("/") { folder = (currentDirectory() ?? ".") + "/" + folder }
                let p = try blockCall(args) {
                    try Blockwise.phantom(size: size, seed: UInt64(seed), drift: drift, folder: folder,
                                          chunks: Shape(z: c[0], y: c[1], x: c[2]))
                }
                return .record(Record([
                    ("image", .object(ChunkedValue(p.image))), ("mask", .object(ChunkedValue(p.mask))),
                    ("labels", .object(ChunkedValue(p.labels))), ("contour", .object(ChunkedValue(p.contour))),
                ]))
            }
            let p = try phantom(size: size, seed: UInt64(seed), drift: drift)
            return .record(Record([
                ("image", .volume(p.image)), ("mask", .volume(p.mask)),
                ("labels", .volume(p.labels)), ("contour", .volume(p.contour)),
            ]))
        }
    ),
]
