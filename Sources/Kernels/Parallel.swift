import Dispatch
import Synchronization

/// Worker-thread count for kernels; set once at start-up from `EMSH_THREADS`.
public enum Threads {
    private static let stored = Atomic<Int>(0)
    public static var count: Int {
        get {
            let n = stored.load(ordering: .relaxed)
            return n > 0 ? n : defaultCount
        }
        set { stored.store(max(1, newValue), ordering: .relaxed) }
    }
    public static var defaultCount: Int {
        if let s = getenvString("EMSH_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, sysconfCores())
    }
}

/// Runs `body(i)` for i in 0..<count across `Threads.count` workers (chunked, in order within a chunk).
/// The body may capture unsafe pointers: callers guarantee disjoint writes.
public func parallelFor(_ count: Int, threads: Int = Threads.count, _ body: (Int) -> Void) {
    if count <= 0 { return }
    let workers = min(threads, count)
    if workers <= 1 {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { escaping in
        nonisolated(unsafe) let work = escaping
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            // Contiguous chunks keep results independent of scheduling.
            let lo = count * w / workers, hi = count * (w + 1) / workers
            for i in lo..<hi { work(i) }
        }
    }
}

/// Like `parallelFor` but hands each worker its index range (for per-worker scratch buffers).
public func parallelChunks(_ count: Int, threads: Int = Threads.count, _ body: (_ worker: Int, _ range: Range<Int>) -> Void) {
    if count <= 0 { return }
    let workers = min(threads, count)
    if workers <= 1 { body(0, 0..<count); return }
    withoutActuallyEscaping(body) { escaping in
        nonisolated(unsafe) let work = escaping
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            work(w, (count * w / workers)..<(count * (w + 1) / workers))
        }
    }
}

/// Runs `body(range)` over `0..<total` in blocks of about `block` elements, in parallel,
/// polling cancellation between blocks; throws `CancelledError` when interrupted.
func parallelBlocks(_ total: Int, block: Int = 1 << 16, _ body: (Range<Int>) -> Void) throws {
    try Cancellation.check()
    if total <= 0 { return }
    let b = max(block, 1)
    let n = (total + b - 1) / b
    parallelFor(n) { i in
        if Cancellation.isCancelled { return }
        body((i * b)..<min(total, (i + 1) * b))
    }
    try Cancellation.check()
}

/// Runs `body(z)` for every slice in parallel, polling cancellation between slices.
func parallelSlices(_ count: Int, _ body: (Int) -> Void) throws {
    try Cancellation.check()
    parallelFor(count) { z in
        if Cancellation.isCancelled { return }
        body(z)
    }
    try Cancellation.check()
}
