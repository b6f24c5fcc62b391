#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Kernels
import Synchronization

/// Draws `Progress` reports on standard error: a live bar on a terminal
/// (`train ▕████▌    ▏ 45% 120/266 loss 0.21 · ETA 1:23`), and otherwise at most one line
/// per 10 % — nothing at all for tasks shorter than a second.
public final class ProgressBar: ProgressRenderer {
    private struct Task {
        var start: Double
        var lastDraw: Double = 0
        var drawn = false
        var lastDecile = 0
    }

    private let isTerminal: Bool
    private let fd: Int32
    private let tasks = Mutex<[ObjectIdentifier: Task]>([:])
    /// A terminal bar appears only after this long (short tasks don't flicker).
    let delay: Double
    /// Minimum seconds between two redraws of the terminal bar.
    let interval = 0.1

    /// - Parameters:
    ///   - fd: where to draw (standard error).
    ///   - terminal: draw a live bar (default: whether `fd` is a terminal).
    public init(fd: Int32 = 2, terminal: Bool? = nil, delay: Double = 0.25) {
        self.fd = fd
        self.isTerminal = terminal ?? (isatty(fd) == 1)
        self.delay = delay
    }

    public func started(_ p: Progress) {
        let now = Env.now()
        tasks.withLock { $0[ObjectIdentifier(p)] = Task(start: now) }
    }

    public func updated(_ p: Progress) {
        let now = Env.now()
        let line: String? = tasks.withLock { all in
            guard var t = all[ObjectIdentifier(p)] else { return nil }
            let elapsed = now - t.start
            defer { all[ObjectIdentifier(p)] = t }
            if isTerminal {
                guard elapsed >= delay, now - t.lastDraw >= interval else { return nil }
                t.lastDraw = now; t.drawn = true
                return "\r" + ProgressBar.barLine(p, elapsed: elapsed, final: false, columns: columns()) + "\u{1B}[K"
            }
            let decile = Int(10 * Double(min(p.completed, p.total)) / Double(p.total))
            guard decile > t.lastDecile, elapsed >= 1 else { return nil }
            t.lastDecile = decile; t.drawn = true
            return ProgressBar.plainLine(p, elapsed: elapsed, final: false) + "\n"
        }
        if let line { emit(line) }
    }

    public func finished(_ p: Progress) {
        let now = Env.now()
        let line: String? = tasks.withLock { all in
            guard let t = all.removeValue(forKey: ObjectIdentifier(p)), t.drawn else { return nil }
            // Off a terminal the 100 % line may already be out; an interrupted task ends at what it did.
            if !isTerminal, t.lastDecile >= 10 { return nil }
            if isTerminal {
                return "\r" + ProgressBar.barLine(p, elapsed: now - t.start, final: true, columns: columns()) + "\u{1B}[K\n"
            }
            return ProgressBar.plainLine(p, elapsed: now - t.start, final: true) + "\n"
        }
        if let line { emit(line) }
    }

    private func emit(_ s: String) {
        if fd == 2 { fflush(stdout) }
        writeFully(fd, s)
    }

    private func columns() -> Int {
        var ws = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col >= 40 { return Int(ws.ws_col) }
        return 80
    }

    /// `train ▕████▌    ▏ 45% 120/266 loss 0.21 · ETA 1:23` (cut to fit `columns`).
    static func barLine(_ p: Progress, elapsed: Double, final: Bool, columns: Int = 80) -> String {
        let done = min(p.completed, p.total)
        let fraction = Double(done) / Double(p.total)
        let width = 20
        let eighths = Int((fraction * Double(width * 8)).rounded(.down))
        let partial: [String] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var bar = String(repeating: "█", count: eighths / 8)
        if eighths / 8 < width {
            bar += partial[eighths % 8]
            bar += String(repeating: " ", count: width - eighths / 8 - (eighths % 8 > 0 ? 1 : 0))
        }
        var s = "\(p.label) ▕\(bar)▏ \(Int((fraction * 100).rounded(.down)))% \(done)/\(p.total)\(p.unit.isEmpty ? "" : " " + p.unit)"
        let detail = p.detail
        if !detail.isEmpty { s += " " + detail }
        s += " · " + timing(done: done, total: p.total, elapsed: elapsed, final: final)
        if s.count > columns - 1 { s = String(s.prefix(columns - 2)) + "…" }
        return s
    }

    /// `train 45% 120/266 loss 0.21 · ETA 1:23`
    static func plainLine(_ p: Progress, elapsed: Double, final: Bool) -> String {
        let done = min(p.completed, p.total)
        var s = "\(p.label) \(Int((100 * Double(done) / Double(p.total)).rounded(.down)))% \(done)/\(p.total)\(p.unit.isEmpty ? "" : " " + p.unit)"
        if !p.detail.isEmpty { s += " " + p.detail }
        return s + " · " + timing(done: done, total: p.total, elapsed: elapsed, final: final)
    }

    static func timing(done: Int, total: Int, elapsed: Double, final: Bool) -> String {
        if final || done >= total { return clock(elapsed) }
        guard done > 0 else { return "ETA --:--" }
        return "ETA " + clock(elapsed * Double(total - done) / Double(done))
    }

    /// `1:23`, `1:02:03`.
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        if s >= 3600 { return "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" }
        return "\(s / 60):\(two(s % 60))"
    }
}
