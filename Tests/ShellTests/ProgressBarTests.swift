import Testing
#if canImport(Glibc)
import Glibc
#endif
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
        // Interrupted: the last line says what was done, with the time taken.
        #expect(ProgressBar.barLine(p, elapsed: 3725, final: true).hasSuffix("5% 9/160 · 1:02:05"))
        p.set(160)
        #expect(ProgressBar.barLine(p, elapsed: 3725, final: true).hasSuffix("100% 160/160 · 1:02:05"))
    }

    @Test func plainLinesForPipes() {
        let p = Progress(label: "fit", total: 10)
        p.set(3)
        #expect(ProgressBar.plainLine(p, elapsed: 6, final: false) == "fit 30% 3/10 · ETA 0:14")
        #expect(ProgressBar.clock(59.6) == "1:00")
    }

    @Test func offATerminalTheLastLineIsWrittenOnce() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]) }
        let bar = ProgressBar(fd: fds[1], terminal: false)
        let p = Progress(label: "fit", total: 4)
        bar.started(p)
        usleep(1_100_000)  // plain lines start after a second
        p.set(4)
        bar.updated(p)
        bar.finished(p)
        close(fds[1])
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.hasPrefix("fit 100% 4/4") == true)
    }
}
