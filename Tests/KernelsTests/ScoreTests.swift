import Testing
@testable import Kernels

/// A 1×1×n-per-slice f32 volume of q/255 values and a u8 label volume.
private func sweepFixture(_ q: [[Int]], _ l: [[UInt8]]) -> (Volume, Volume) {
    let nz = q.count, nx = q[0].count
    let p = VoxelBuffer<Float>(q.flatMap { $0 }.map { Float($0) / 255 })
    let t = VoxelBuffer<UInt8>(l.flatMap { $0 })
    let shape = Shape(z: nz, y: 1, x: nx)
    return (Volume(shape: shape, storage: .f32(p)), Volume(shape: shape, kind: .mask, storage: .u8(t)))
}

@Test func quantisationRoundsHalvesAwayFromZero() {
    #expect(quantizeProbability(0.5) == 128)        // 127.5 → 128
    #expect(quantizeProbability(0) == 0)
    #expect(quantizeProbability(1) == 255)
    #expect(quantizeProbability(-0.2) == 0)
    #expect(quantizeProbability(.nan) == 0)
    #expect(quantizeProbability(Float(100) / 255) == 100)
}

// Slice 0: positives q 200, 100; negatives 150, 50. F: t ≤ 50 → 4/6, 51...100 → 4/5 (best, t = 51),
//          101...150 → 2/4, 151...200 → 2/3, > 200 → 0.
// Slice 1: no foreground (one negative at q 255): not part of the level.
// Slice 2: a tie: positives 200, 100; negatives 150, 120. t ≤ 100 → 4/6, 101...120 → 2/5,
//          121...150 → 2/4, 151...200 → 2/3 = 4/6: the smallest best t is 0.
// Level = round((51 + 0) / 2) = round(25.5) = 26 (halves up).
// At 26: slice 0 TP 2 FP 2, slice 1 FP 1, slice 2 TP 2 FP 2 → TP 4, FP 5, FN 0.
@Test func fscoreMatchesHandCounts() throws {
    let (p, l) = sweepFixture([[200, 100, 150, 50], [255, 0, 0, 0], [200, 150, 120, 100]],
                              [[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]])
    let r = try fscore(prob: p, labels: l)
    #expect(r.level == 26)
    #expect(r.threshold == 26.0 / 255)
    #expect(r.counts == Counts(tp: 4, fp: 5, fn: 0))
    #expect(r.precision == 4.0 / 9)
    #expect(r.recall == 1)
    #expect(r.f == 8.0 / 13)
    let lv = r.perSlice.numbers("level") ?? []
    #expect(lv.count == 3 && lv[0] == 51 && lv[1].isNaN && lv[2] == 0)
    #expect(r.perSlice.numbers("tp") == [2, 0, 2])
    #expect(r.perSlice.numbers("fp") == [1, 1, 2])
    #expect(r.perSlice.numbers("fn") == [0, 0, 0])
    #expect(r.perSlice.numbers("f")?[0] == 0.8)
    #expect(r.perSlice.numbers("precision")?[1] == 0)   // slice 1 at the global level: TP 0, FP 1
    #expect(r.perSlice.numbers("recall")?[1] == 1)      // no foreground: recall defined as 1
    // The curve over all slices: t = 0 takes all 12 voxels, t = 255 only slice 1's voxel.
    #expect(r.curve.rowCount == 256)
    #expect(r.curve.numbers("precision")?[0] == 4.0 / 12)
    #expect(r.curve.numbers("f")?[255] == 0)
    #expect(r.curve.numbers("precision")?[255] == 0)
    #expect(r.curve.numbers("recall")?[201] == 0)
    #expect(r.curve.numbers("f")?[101] == 0.4)          // slice 0 TP1 FP1 FN1, slice 1 FP1, slice 2 TP1 FP2 FN1
}

@Test func fscoreRejectsEmptyLabelsAndShapeMismatch() {
    let (p, l) = sweepFixture([[10, 20]], [[0, 0]])
    #expect(throws: VolumeError.self) { try fscore(prob: p, labels: l) }
    let (q, _) = sweepFixture([[10, 20, 30]], [[0, 0, 0]])
    #expect(throws: VolumeError.self) { try fscore(prob: q, labels: l) }
}

@Test func thresholdKeepsValuesAtOrAbove() throws {
    let (p, _) = sweepFixture([[0, 100, 128, 255]], [[0, 0, 0, 0]])
    let m = try threshold(p, Double(Float(128) / 255))
    #expect(m.kind == .mask)
    #expect(m.u8?.array == [0, 0, 1, 1])
}

@Test func metricsCountsAndRatios() throws {
    let shape = Shape(z: 1, y: 1, x: 5)
    let m = Volume(shape: shape, kind: .mask, storage: .u8(VoxelBuffer([1, 1, 0, 0, 1])))
    let l = Volume(shape: shape, kind: .labels, storage: .u32(VoxelBuffer([7, 0, 3, 0, 7])))
    let r = try metrics(mask: m, labels: l)
    #expect(r.counts == Counts(tp: 2, fp: 1, fn: 1))
    #expect(r.precision == 2.0 / 3 && r.recall == 2.0 / 3 && r.f == 4.0 / 6 && r.iou == 0.5)
    let e = try metrics(mask: Volume(zeros: shape, type: .u8), labels: Volume(zeros: shape, type: .u8))
    #expect(e.precision == 1 && e.recall == 1 && e.f == 1 && e.iou == 1)
}
