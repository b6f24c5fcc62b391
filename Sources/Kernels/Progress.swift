import Synchronization

/// Progress of one long operation. Kernels and trainers report through it; the shell
/// installs the renderer (a bar on a terminal, sparse lines otherwise).
public final class Progress: @unchecked Sendable {
    public let label: String
    public let total: Int
    /// What the counts measure when not items, e.g. "s" for a time-limited task.
    public let unit: String
    private let done = Atomic<Int>(0)
    private let lock = Mutex<String>("")

    public init(label: String, total: Int, unit: String = "") {
        self.label = label
        self.total = max(total, 1)
        self.unit = unit
        ProgressCenter.renderer?.started(self)
    }

    public var completed: Int { done.load(ordering: .relaxed) }
    /// Extra text shown after the bar, e.g. "loss 0.231".
    public var detail: String { lock.withLock { $0 } }

    public func advance(by n: Int = 1, detail: String? = nil) {
        done.add(n, ordering: .relaxed)
        if let detail { lock.withLock { $0 = detail } }
        ProgressCenter.renderer?.updated(self)
    }

    public func set(_ value: Int, detail: String? = nil) {
        done.store(value, ordering: .relaxed)
        if let detail { lock.withLock { $0 = detail } }
        ProgressCenter.renderer?.updated(self)
    }

    public func finish() { ProgressCenter.renderer?.finished(self) }
}

public protocol ProgressRenderer: AnyObject, Sendable {
    func started(_ p: Progress)
    func updated(_ p: Progress)
    func finished(_ p: Progress)
}

public enum ProgressCenter {
    nonisolated(unsafe) public static var renderer: (any ProgressRenderer)?
}
