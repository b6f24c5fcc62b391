import Blocks
import Runtime
import Kernels

let evaluationCommands: [Command] = [
    Command(
        name: "fscore", topic: .evaluation,
        summary: "the thesis's F-score threshold sweep: best level per slice, averaged",
        help: """
        Quantises the probability to q = round(255·p) (halves round up, away from zero; a u8 volume is taken
        as q directly); a voxel is positive at level t when q ≥ t. For every slice whose labels have
        foreground, sweeps t = 0…255 and takes the t with the largest F = 2TP/(2TP+FP+FN) (the smallest t on a
        tie); the level is the mean of those per-slice t, rounded to the nearest integer (halves up).
        Returns a record: `threshold` (level/255), `level`, `precision`, `recall`, `f` over all slices at
        that level, `per_slice` (table z, level, precision, recall, f, tp, fp, fn — at the slice's own best
        level; level is nan for a slice without foreground, whose counts are at the global level) and
        `curve` (table t, precision, recall, f over all slices). Conventions: precision is 1 when nothing
        is predicted positive, recall is 1 when the labels are empty, F is 1 when both are empty.
        `plot $r out.svg` draws the curve with the level marked. The labels' non-zero voxels are positive.
        """,
        positionals: [
            .positional("prob", .volume, "probabilities in [0, 1] (f32), or u8 levels"),
            .positional("labels", .volume, "the truth: a mask or labels (non-zero = positive)"),
        ],
        examples: [
            Example("p = phantom --size [4, 48, 48]; r = fscore (blur $p.mask --sigma 1) $p.mask; print $r.level",
                    "the sweep on a blurred ground truth"),
            Example("p = phantom --size [4, 48, 48]; fscore (blur $p.mask --sigma 1) $p.mask", "the whole record",
                    expect: "per_slice"),
        ],
        run: { args, _ in
            let p = try args.volume("prob"), l = try args.volume("labels")
            guard p.type == .f32 || p.type == .u8 else {
                throw args.error("prob", "expected f32 probabilities or u8 levels, got \(p.type.rawValue)")
            }
            let r = try fscore(prob: p, labels: l)
            return .record(Record([
                ("threshold", .number(r.threshold)), ("level", .number(Double(r.level))),
                ("precision", .number(r.precision)), ("recall", .number(r.recall)), ("f", .number(r.f)),
                ("per_slice", .table(r.perSlice)), ("curve", .table(r.curve)),
            ]))
        }
    ),
    Command(
        name: "threshold", topic: .evaluation,
        summary: "mask of the voxels ≥ T",
        help: """
        Keeps the voxels whose value is at least T (compared in double precision; NaN is never kept):
        `threshold $prob $r.threshold` applies the level that `fscore` chose. Any voxel type; gives a mask
        with the input's spacing.
        """,
        positionals: [
            .positional("prob", .lazy(.volume), "the volume (usually probabilities; a chunked one runs block by block)"),
            .positional("t", .number, "the threshold", in: .finite),
        ],
        examples: [
            Example("p = phantom --size [4, 48, 48]; threshold (blur $p.mask --sigma 1) 0.5", "a mask back from a blurred one",
                    expect: "mask"),
        ],
        run: { args, _ in
            let t = try args.number("t")
            if let c = args.chunked("prob") { return .object(ChunkedValue(try blockCall(args) { try Blockwise.threshold(c, t) })) }
            return .volume(try threshold(try args.volume("prob"), t))
        }
    ),
    Command(
        name: "metrics", topic: .evaluation,
        summary: "precision, recall, F, IoU and TP/FP/FN of a mask against the truth",
        help: """
        Non-zero voxels are positive in both (an f32 volume: > 0.5). Returns a record with `precision`,
        `recall`, `f`, `iou`, `tp`, `fp`, `fn`. When a denominator is 0 the ratio is 1 (nothing predicted and
        nothing true is perfect agreement).
        """,
        positionals: [
            .positional("mask", .volume, "the prediction (mask)"),
            .positional("labels", .volume, "the truth (mask or labels)"),
        ],
        examples: [
            Example("p = phantom --size [4, 48, 48]; metrics ($p.mask - $p.contour) $p.mask", "the contour's share of the mask",
                    expect: "iou"),
        ],
        run: { args, _ in
            let m = try metrics(mask: try args.volume("mask"), labels: try args.volume("labels"))
            let c = m.counts
            return .record(Record([
                ("precision", .number(m.precision)), ("recall", .number(m.recall)), ("f", .number(m.f)),
                ("iou", .number(m.iou)), ("tp", .number(Double(c.tp))), ("fp", .number(Double(c.fp))),
                ("fn", .number(Double(c.fn))),
            ]))
        }
    ),
]
