import Synchronization

/// Thrown by long loops when the user pressed Ctrl-C.
public struct CancelledError: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "interrupted" }
}

/// The process-wide cancellation flag. The shell's SIGINT handler sets it; long loops poll it
/// with `try Cancellation.check()` and the shell resets it after each statement.
public enum Cancellation {
    private static let flag = Atomic<Bool>(false)
    public static var isCancelled: Bool { flag.load(ordering: .relaxed) }
    public static func cancel() { flag.store(true, ordering: .relaxed) }
    public static func reset() { flag.store(false, ordering: .relaxed) }
    public static func check() throws { if isCancelled { throw CancelledError() } }
}
