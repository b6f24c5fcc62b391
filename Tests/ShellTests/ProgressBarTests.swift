import Testing
@testable import Shell
import Kernels

/// The progress line's text: bar, percentage, counts, detail and time.
@Suite struct ProgressBarTests {
    @Test func barLineAtHalfWay() {
        let p = Progress(label: "train", total: 200)
        p.set(100, detail: "loss 0.21")
        let line = ProgressBar.barLine(p, elapsed: 30, final: false)
        #expect(line == "train ▕██████████          ▏ 50% 100/200 loss 0.21 · ETA 0:30")
    }

    @Test func partialBlocksAndFinalTime() {
        let p = Progress(label: "infer", total: 160)
        p.set(9)
        // 9/160 of 20 cells = 1.125 cells: one full block and one eighth.
        #expect(ProgressBar.barLine(p, elapsed: 1, final: false).hasPrefix("infer ▕█▏                  ▏ 5% 9/160 · ETA"))
        #expect(ProgressBar.barLine(p, elapsed: 3725, final: true).hasSuffix("100% 160/160 · 1:02:05"))
    }

    @Test func plainLinesForPipes() {
        let p = Progress(label: "fit", total: 10)
        p.set(3)
        #expect(ProgressBar.plainLine(p, elapsed: 6, final: false) == "fit 30% 3/10 · ETA 0:14")
        #expect(ProgressBar.clock(59.6) == "1:00")
    }
}
