import _Platform
import Testing
@testable import Learning

/// Finite-difference helpers: L = Σ r·f(x) with a fixed random r, so dL/dy = r.
struct GradCheck {
    var rng = SplitMix64.training(seed: 7)

    mutating func fill(_ t: Tensor, scale: Float = 1) {
        for i in 0..<t.count { t.pointer[i] = Float(rng.normal()) * scale }
    }

    /// Values with no near-ties or near-zeros (for ReLU and max-pool kinks): a shuffled grid with a random sign.
    mutating func fillDistinct(_ t: Tensor) {
        var vals = (0..<t.count).map { Float($0 + 1) * 0.1 }
        vals.shuffle(using: &rng)
        for i in 0..<t.count { t.pointer[i] = (rng.below(2) == 0 ? -1 : 1) * vals[i] }
    }

    static func dot(_ a: Tensor, _ r: [Float]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += Double(a.pointer[i]) * Double(r[i]) }
        return s
    }

    /// Largest |analytic − numeric| relative to max(1, max |numeric|), over every element of `x`.
    static func compare(values x: Tensor, analytic: [Float], eps: Float = 1e-2, loss: () -> Double) -> Double {
        var worst = 0.0, scale = 1.0
        var diffs: [Double] = []
        for i in 0..<x.count {
            let old = x.pointer[i]
            x.pointer[i] = old + eps
            let lp = loss()
            x.pointer[i] = old - eps
            let lm = loss()
            x.pointer[i] = old
            let num = (lp - lm) / Double(2 * eps)
            scale = max(scale, abs(num))
            diffs.append(abs(num - Double(analytic[i])))
        }
        for d in diffs { worst = max(worst, d) }
        return worst / scale
    }
}
