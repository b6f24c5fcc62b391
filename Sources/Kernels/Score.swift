// Evaluation: the F-score threshold sweep of the thesis, `threshold` and `metrics`.
//
// Conventions (also in the commands' help):
// - A probability p is quantised to q = round(255·p), halves rounded away from zero
//   (`.toNearestOrAwayFromZero`, so 0.5/255 → 1), clamped to 0...255; NaN counts as 0.
//   A u8 "probability" volume is taken as q directly (a probability map saved as 8-bit PNG).
// - A voxel is predicted positive at level t when q ≥ t; the labels' positives are their
//   non-zero voxels.
// - precision = TP/(TP+FP), and 1 when nothing is predicted positive (TP+FP = 0);
//   recall = TP/(TP+FN), and 1 when the labels have no foreground (TP+FN = 0);
//   F = 2TP/(2TP+FP+FN), and 1 when both are empty; IoU = TP/(TP+FP+FN), 1 when both are empty.

/// Voxel counts of a prediction against the truth.
public struct Counts: Sendable, Equatable {
    public var tp: Int
    public var fp: Int
    public var fn: Int
    public init(tp: Int, fp: Int, fn: Int) { self.tp = tp; self.fp = fp; self.fn = fn }

    public var precision: Double { tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp) }
    public var recall: Double { tp + fn == 0 ? 1 : Double(tp) / Double(tp + fn) }
    public var f: Double { 2 * tp + fp + fn == 0 ? 1 : Double(2 * tp) / Double(2 * tp + fp + fn) }
    public var iou: Double { tp + fp + fn == 0 ? 1 : Double(tp) / Double(tp + fp + fn) }
}

/// The result of `metrics`: precision, recall, F, IoU and the counts.
public struct Metrics: Sendable, Equatable {
    public var counts: Counts
    public var precision: Double { counts.precision }
    public var recall: Double { counts.recall }
    public var f: Double { counts.f }
    public var iou: Double { counts.iou }
}

/// The result of the F-score sweep (`fscore`).
public struct FScoreResult: Sendable, Equatable {
    /// The chosen level as a fraction, level/255.
    public var threshold: Double
    /// The chosen level t in 0...255: the rounded mean of the per-slice best levels.
    public var level: Int
    /// Counts over all slices at `level`.
    public var counts: Counts
    public var precision: Double { counts.precision }
    public var recall: Double { counts.recall }
    public var f: Double { counts.f }
    /// One row per slice: z, level (the slice's best t; NaN for a slice whose labels have no
    /// foreground), precision, recall, f, tp, fp, fn (at the slice's best t, or at the global
    /// level for a slice without foreground).
    public var perSlice: Table
    /// One row per t = 0...255: t, precision, recall, f over all slices.
    public var curve: Table
}

/// Quantises a probability to 0...255 (see the conventions above).
@inline(__always) public func quantizeProbability(_ p: Float) -> Int {
    if !(p > 0) { return 0 }
    if p >= 1 { return 255 }
    return Int((p * 255).rounded(.toNearestOrAwayFromZero))
}

/// Per-slice 256-bin histograms of q for the labels' positives and negatives.
private func levelHistograms(_ prob: Volume, _ truth: VoxelBuffer<UInt8>, operation: String) throws -> (pos: [Int], neg: [Int]) {
    let nz = prob.shape.z, ns = prob.shape.sliceCount
    var pos = [Int](repeating: 0, count: nz * 256)
    var neg = [Int](repeating: 0, count: nz * 256)
    let t = truth.pointer
    try pos.withUnsafeMutableBufferPointer { pb in
        try neg.withUnsafeMutableBufferPointer { nb in
            let pp = pb.baseAddress!, np = nb.baseAddress!
            switch prob.storage {
            case .f32(let b):
                let p = b.pointer
                try parallelSlices(nz) { z in
                    let hp = pp + z * 256, hn = np + z * 256
                    for i in (z * ns)..<((z + 1) * ns) {
                        let q = quantizeProbability(p[i])
                        if t[i] != 0 { hp[q] &+= 1 } else { hn[q] &+= 1 }
                    }
                }
            case .u8(let b):
                let p = b.pointer
                try parallelSlices(nz) { z in
                    let hp = pp + z * 256, hn = np + z * 256
                    for i in (z * ns)..<((z + 1) * ns) {
                        let q = Int(p[i])
                        if t[i] != 0 { hp[q] &+= 1 } else { hn[q] &+= 1 }
                    }
                }
            default:
                throw VolumeError.unsupportedType(operation: operation, prob.type)
            }
        }
    }
    return (pos, neg)
}

/// Counts at every level t = 0...255 from a 256-bin histogram pair (suffix sums).
private func sweepCounts(_ pos: ArraySlice<Int>, _ neg: ArraySlice<Int>) -> [Counts] {
    let p0 = pos.startIndex, n0 = neg.startIndex
    let totalPos = pos.reduce(0, &+)
    var out = [Counts](repeating: Counts(tp: 0, fp: 0, fn: 0), count: 256)
    var tp = 0, fp = 0
    for t in stride(from: 255, through: 0, by: -1) {
        tp &+= pos[p0 + t]
        fp &+= neg[n0 + t]
        out[t] = Counts(tp: tp, fp: fp, fn: totalPos - tp)
    }
    return out
}

/// True when F(a) > F(b), compared exactly as fractions 2TP/(2TP+FP+FN) (denominators > 0).
private func fGreater(_ a: Counts, _ b: Counts) -> Bool {
    let an = UInt64(2 * a.tp), ad = UInt64(2 * a.tp + a.fp + a.fn)
    let bn = UInt64(2 * b.tp), bd = UInt64(2 * b.tp + b.fp + b.fn)
    let l = an.multipliedFullWidth(by: bd), r = bn.multipliedFullWidth(by: ad)
    return l.high != r.high ? l.high > r.high : l.low > r.low
}

/// The thesis's F-score threshold sweep. `prob` is an f32 probability volume (or u8 levels),
/// `labels` any volume whose non-zero voxels are the truth. For every slice whose labels have
/// foreground, the level t in 0...255 with the largest F = 2TP/(2TP+FP+FN) is found (the
/// smallest t on a tie); the global level is the mean of those, rounded to the nearest integer
/// with halves up. Throws when the shapes differ or no slice has foreground.
public func fscore(prob: Volume, labels: Volume) throws -> FScoreResult {
    let op = "fscore"
    guard prob.shape == labels.shape else { throw VolumeError.shapeMismatch(operation: op, prob.shape, labels.shape) }
    guard prob.type == .f32 || prob.type == .u8 else { throw VolumeError.unsupportedType(operation: op, prob.type) }
    guard prob.count > 0 else { throw VolumeError.invalidArgument(operation: op, "the volume is empty") }
    let truth = try foregroundBytes(labels, what: "fscore labels")
    let (pos, neg) = try levelHistograms(prob, truth, operation: op)
    let nz = prob.shape.z
    var best = [Int?](repeating: nil, count: nz)
    var sliceCounts = [[Counts]]()
    sliceCounts.reserveCapacity(nz)
    for z in 0..<nz {
        let c = sweepCounts(pos[(z * 256)..<((z + 1) * 256)], neg[(z * 256)..<((z + 1) * 256)])
        sliceCounts.append(c)
        if c[0].tp + c[0].fn == 0 { continue }
        var bt = 0
        for t in 1..<256 where fGreater(c[t], c[bt]) { bt = t }
        best[z] = bt
    }
    let chosen = best.compactMap { $0 }
    guard !chosen.isEmpty else {
        throw VolumeError.invalidArgument(operation: op, "the labels have no foreground in any slice")
    }
    let sum = chosen.reduce(0, +), n = chosen.count
    let level = (2 * sum + n) / (2 * n)          // round(sum/n), halves up (all terms ≥ 0)

    var totPos = [Int](repeating: 0, count: 256), totNeg = [Int](repeating: 0, count: 256)
    for z in 0..<nz {
        for b in 0..<256 { totPos[b] &+= pos[z * 256 + b]; totNeg[b] &+= neg[z * 256 + b] }
    }
    let curveCounts = sweepCounts(totPos[...], totNeg[...])

    var cz = [Double](), cl = [Double](), cp = [Double](), cr = [Double](), cf = [Double]()
    var ctp = [Double](), cfp = [Double](), cfn = [Double]()
    for z in 0..<nz {
        let t = best[z] ?? level
        let c = sliceCounts[z][t]
        cz.append(Double(z)); cl.append(best[z].map(Double.init) ?? .nan)
        cp.append(c.precision); cr.append(c.recall); cf.append(c.f)
        ctp.append(Double(c.tp)); cfp.append(Double(c.fp)); cfn.append(Double(c.fn))
    }
    let perSlice = Table([("z", .number(cz)), ("level", .number(cl)), ("precision", .number(cp)),
                          ("recall", .number(cr)), ("f", .number(cf)), ("tp", .number(ctp)),
                          ("fp", .number(cfp)), ("fn", .number(cfn))])
    let curve = Table([("t", .number((0..<256).map(Double.init))),
                       ("precision", .number(curveCounts.map(\.precision))),
                       ("recall", .number(curveCounts.map(\.recall))),
                       ("f", .number(curveCounts.map(\.f)))])
    return FScoreResult(threshold: Double(level) / 255, level: level, counts: curveCounts[level],
                        perSlice: perSlice, curve: curve)
}

/// A mask (u8 0/1, kind `.mask`) of the voxels with value ≥ `t` (NaN is never ≥ t).
/// Works on any voxel type; the comparison is done in double precision.
public func threshold(_ prob: Volume, _ t: Double) throws -> Volume {
    guard t.isFinite else { throw VolumeError.invalidArgument(operation: "threshold", "the threshold must be a finite number") }
    let n = prob.count
    let out = try analysisBuffer(n, UInt8.self, what: "threshold mask", zeroed: false)
    let o = out.pointer
    let block = 1 << 16
    let blocks = (n + block - 1) / block
    switch prob.storage {
    case .f32(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = Double(p[i]) >= t ? 1 : 0 } }
    case .u8(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = Double(p[i]) >= t ? 1 : 0 } }
    case .u16(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = Double(p[i]) >= t ? 1 : 0 } }
    case .u32(let b):
        let p = b.pointer
        parallelFor(blocks) { k in for i in (k * block)..<min(n, (k + 1) * block) { o[i] = Double(p[i]) >= t ? 1 : 0 } }
    }
    try Cancellation.check()
    return prob.with(storage: .u8(out), kind: .mask)
}

/// Precision, recall, F, IoU and TP/FP/FN of `mask` against `labels` (non-zero voxels are
/// positive in both; an f32 volume counts as positive where > 0.5).
public func metrics(mask: Volume, labels: Volume) throws -> Metrics {
    guard mask.shape == labels.shape else { throw VolumeError.shapeMismatch(operation: "metrics", mask.shape, labels.shape) }
    guard mask.count > 0 else { return Metrics(counts: Counts(tp: 0, fp: 0, fn: 0)) }
    let aBuf = try foregroundBytes(mask, what: "metrics mask"), bBuf = try foregroundBytes(labels, what: "metrics labels")
    defer { withExtendedLifetime((aBuf, bBuf)) {} }
    let a = aBuf.pointer, b = bBuf.pointer
    let nz = mask.shape.z, ns = mask.shape.sliceCount
    var per = [Int](repeating: 0, count: nz * 3)
    try per.withUnsafeMutableBufferPointer { pb in
        let pp = pb.baseAddress!
        try parallelSlices(nz) { z in
            var tp = 0, fp = 0, fn = 0
            for i in (z * ns)..<((z + 1) * ns) {
                let x = a[i] != 0, y = b[i] != 0
                if x { if y { tp &+= 1 } else { fp &+= 1 } } else if y { fn &+= 1 }
            }
            pp[z * 3] = tp; pp[z * 3 + 1] = fp; pp[z * 3 + 2] = fn
        }
    }
    var c = Counts(tp: 0, fp: 0, fn: 0)
    for z in 0..<nz { c.tp += per[z * 3]; c.fp += per[z * 3 + 1]; c.fn += per[z * 3 + 2] }
    return Metrics(counts: c)
}
