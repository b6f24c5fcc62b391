import _Platform
import Testing
import Foundation
import Kernels
import CBLAS
@testable import Learning

/// Timings for scripts/bench.d/learning.py: runs only with EMSH_BENCH=1 (release build), asserts nothing about time.
@Suite("learning benchmark", .enabled(if: ProcessInfo.processInfo.environment["EMSH_BENCH"] == "1"))
struct LearningBench {
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    /// CPU seconds of the whole process (all threads): comparable across runs on a loaded machine.
    func cpu() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    @Test("train step, conv share of sgemm peak, 1024² inference")
    func bench() throws {
        BLAS.configure()
        let threads = Threads.count
        let only = ProcessInfo.processInfo.environment["EMSH_BENCH_ONLY"]
        func part(_ name: String) -> Bool { only == nil || only == name }
        // sgemm peak: 2048³ on all threads.
        openblas_set_num_threads(Int32(threads))
        let n = part("peak") ? 2048 : 64
        let a = [Float](repeating: 0.001, count: n * n), b = a
        var c = [Float](repeating: 0, count: n * n)
        var peak = 0.0
        for _ in 0..<3 {
            let t0 = now()
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                sgemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
            } } }
            peak = max(peak, 2 * Double(n * n * n) / (now() - t0) / 1e9)
        }
        openblas_set_num_threads(1)
        print("BENCH sgemm_peak_gflops \(fixed(peak, 1)) threads \(threads)")

        // Training step: batch 8, 128×128, depth 4, width 16.
        let arch = Architecture(depth: 4, width: 16, frames: 1, groups: 8)
        let net = UNet(arch)
        net.initialise(seed: 1)
        var rng = SplitMix64.training(seed: 3)
        let x = Tensor(8, 1, 128, 128)
        for i in 0..<x.count { x.pointer[i] = Float(rng.normal()) }
        let target = (0..<(8 * 128 * 128)).map { _ in Float(rng.below(2)) }
        let grad = Tensor()
        let loss = SegmentationLoss()
        var opt = AdamW()
        let params = net.params
        func step() {
            net.zeroGrad()
            let y = net.forward(x)
            _ = target.withUnsafeBufferPointer { loss.evaluate(logits: y, target: $0.baseAddress!, grad: grad) }
            net.backward(grad)
            opt.update(params, lr: 1e-3)
        }
        if part("train") {
        for _ in 0..<3 { step() }
        var times: [Double] = []
        for _ in 0..<10 { let t0 = now(); step(); times.append(now() - t0) }
        times.sort()
        print("BENCH train_step_ms \(fixed(times[times.count / 2] * 1000, 1)) min \(fixed(times[0] * 1000, 1))")

        // Forward-only pass (the training shapes) to split time.
        var ft: [Double] = []
        for _ in 0..<5 { let t0 = now(); _ = net.forward(x); ft.append(now() - t0) }
        print("BENCH train_forward_ms \(fixed(ft.sorted()[2] * 1000, 1))")
        }
        if part("conv") {

        // Convolution layers alone on the same shapes: forward + backward, FLOPs / time vs the sgemm peak.
        var convFlops = 0.0, convTime = 0.0
        var shapes: [(Int, Int, Int)] = []   // (in, out, size)
        for l in 0..<3 {
            let c = arch.channels(l), s = 128 >> l
            shapes.append((l == 0 ? 1 : arch.channels(l - 1), c, s)); shapes.append((c, c, s))
            shapes.append((2 * c, c, s)); shapes.append((c, c, s))
        }
        shapes.append((64, 128, 16)); shapes.append((128, 128, 16))
        for (cin, cout, s) in shapes {
            let conv = Conv2D(name: "c", inC: cin, outC: cout, k: 3, bias: false)
            conv.needsInputGrad = cin != 1
            let xin = Tensor(8, cin, s, s), gy = Tensor(8, cout, s, s)
            for i in 0..<xin.count { xin.pointer[i] = Float(rng.normal()) }
            for i in 0..<gy.count { gy.pointer[i] = Float(rng.normal()) }
            for _ in 0..<2 { _ = conv.forward(xin); _ = conv.backward(gy) }
            var best = Double.infinity
            for _ in 0..<5 {
                let t0 = now(); _ = conv.forward(xin); _ = conv.backward(gy); best = min(best, now() - t0)
            }
            let f = 2.0 * Double(8 * s * s * cout * cin * 9) * (conv.needsInputGrad ? 3 : 2)
            convFlops += f; convTime += best
            print("BENCH conv \(cin)->\(cout) \(s)x\(s): \(fixed(f / best / 1e9, 1)) GFLOP/s")
        }
        let convRate = convFlops / convTime / 1e9
        print("BENCH conv_gflops \(fixed(convRate, 1)) share_of_peak \(fixed(convRate / peak, 3))")
        }
        if part("infer") {

        // Inference on one 1024×1024 slice (tile 512, overlap 32).
        let slice = VoxelBuffer<UInt8>(zeroed: 1024 * 1024)
        for i in 0..<slice.count { slice.pointer[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let vol = Volume(shape: Shape(z: 1, y: 1024, x: 1024), storage: .u8(slice))
        var model = try Model(architecture: arch, seed: 1)
        model.inputMean = 128; model.inputStd = 64
        for (name, tile, overlap) in [("infer_1024_ms", 1024, 0), ("infer_1024_tiled_ms", 512, 32)] {
            _ = try infer(models: [model], volume: vol, tile: tile, overlap: overlap)
            var it: [(Double, Double)] = []
            for _ in 0..<3 {
                let t0 = now(), c0 = cpu()
                _ = try infer(models: [model], volume: vol, tile: tile, overlap: overlap)
                it.append((now() - t0, cpu() - c0))
            }
            let med = it.sorted { $0.0 < $1.0 }[1]
            print("BENCH \(name) \(fixed(med.0 * 1000, 1)) cpu_ms \(fixed(med.1 * 1000, 1))")
        }
        }
    }
}
