import Foundation
import Testing
@testable import Kernels

/// `meanShiftMode` computes its Gaussian weights by recurrence: it must agree with the direct
/// formula (one exp per bin) to far below the 1e-4 convergence tolerance.
@Test func meanShiftMatchesDirectWeights() {
    var s: UInt64 = 5
    var counts = [Double](repeating: 0, count: 256)
    for i in 0..<256 {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        let bump = 5000 * exp(-0.5 * pow((Double(i) - 97.3) / 9, 2)) + 3000 * exp(-0.5 * pow((Double(i) - 171.8) / 6, 2))
        counts[i] = (bump + Double(s >> 54)).rounded()
    }
    func direct(_ start: Double, _ h: Double) -> Double {
        var x = start
        let r = Int(4 * h + 1)
        for _ in 0..<300 {
            let c = Int(x.rounded())
            var sw = 0.0, swx = 0.0
            for i in max(0, c - r)...min(255, c + r) {
                let d = Double(i) - x
                let w = exp(-0.5 * d * d / (h * h)) * counts[i]
                sw += w
                swx += w * Double(i)
            }
            let nx = swx / sw
            if abs(nx - start) > h { return start }
            if abs(nx - x) < 1e-4 { return nx }
            x = nx
        }
        return x
    }
    for start in [95.0, 99.0, 170.0, 174.0, 2.0, 253.0] {
        #expect(abs(meanShiftMode(counts, from: start, bandwidth: 5) - direct(start, 5)) < 1e-9)
    }
}
