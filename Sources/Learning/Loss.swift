import _Platform
import Foundation

/// Sigmoid + binary cross-entropy (positives weighted by `positiveWeight`) + `diceWeight` × (1 − soft Dice),
/// over a (n, 1, h, w) logit tensor and a 0/1 target of the same size.
struct SegmentationLoss {
    var positiveWeight: Float = 1
    var diceWeight: Float = 1
    var smooth: Float = 1

    /// Returns the loss and writes dL/dlogits into `grad`.
    func evaluate(logits: Tensor, target: UnsafePointer<Float>, grad: Tensor) -> Float {
        let n = logits.count
        grad.reshape(like: logits)
        let z = UnsafePointer(logits.pointer), g = grad.pointer
        let invN = 1 / Double(n)
        var bce = 0.0, sumPT = 0.0, sumP = 0.0, sumT = 0.0
        for i in 0..<n {
            let zi = Double(z[i]), t = Double(target[i])
            // log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z)
            let sp = max(zi, 0) + log1p(exp(-abs(zi)))        // softplus(z)
            let spNeg = sp - zi                                 // softplus(−z)
            bce += Double(positiveWeight) * t * spNeg + (1 - t) * sp
            let p = 1 / (1 + exp(-zi))
            sumPT += p * t; sumP += p; sumT += t
            g[i] = Float((Double(positiveWeight) * t * (p - 1) + (1 - t) * p) * invN)
        }
        bce *= invN
        var loss = bce
        if diceWeight > 0 {
            let s = Double(smooth)
            let num = 2 * sumPT + s, den = sumP + sumT + s
            loss += Double(diceWeight) * (1 - num / den)
            let dw = Double(diceWeight)
            for i in 0..<n {
                let p = 1 / (1 + exp(-Double(z[i]))), t = Double(target[i])
                let dDdp = (2 * t * den - num) / (den * den)
                g[i] += Float(-dw * dDdp * p * (1 - p))
            }
        }
        return Float(loss)
    }
}

/// Adam with decoupled weight decay (AdamW).
struct AdamW {
    var beta1: Float = 0.9
    var beta2: Float = 0.999
    var eps: Float = 1e-8
    var weightDecay: Float = 1e-4
    private(set) var step = 0

    init(weightDecay: Float = 1e-4) { self.weightDecay = weightDecay }

    mutating func update(_ params: [Param], lr: Float) {
        step += 1
        let bc1 = 1 - Float(Foundation.pow(Double(beta1), Double(step)))
        let bc2 = 1 - Float(Foundation.pow(Double(beta2), Double(step)))
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
        for p in params where !p.frozen {
            let x = p.value.pointer, g = UnsafePointer(p.grad.pointer), m = p.m.pointer, v = p.v.pointer
            let decay = p.decays ? wd : 0
            for i in 0..<p.count {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                let mh = m[i] / bc1, vh = v[i] / bc2
                x[i] -= lr * (mh / (vh.squareRoot() + eps) + decay * x[i])
            }
        }
    }
}

extension SplitMix64 {
    /// Training's generator (initialisation, patches, augmentation): the seed is offset by one
    /// step so that models trained since the first release keep their exact weights.
    static func training(seed: UInt64) -> SplitMix64 { SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }
}
