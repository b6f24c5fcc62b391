#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif
import _Platform
import Foundation

/// What a finished program left: its exit status, its output and whether it was killed for taking too long.
public struct SubprocessResult: Sendable {
    /// The exit code; 128 + N when a signal N ended the program (as a shell reports it).
    public let status: Int32
    public let stdout: String
    public let stderr: String
    /// The timeout ran out and the program was killed (SIGKILL).
    public let timedOut: Bool
    public var succeeded: Bool { status == 0 && !timedOut }
}

/// A program that could not be started (not found, not executable, a bad working folder).
public struct SubprocessError: Error, CustomStringConvertible, Sendable {
    public let program: String
    public let reason: String
    public var description: String { "cannot run \(program): \(reason)" }
}

/// Runs a program to its end with posix_spawn: `argv[0]` is looked up on PATH, `environment` is added
/// to (and overrides) this process's environment, stdin is /dev/null, stdout and stderr are captured.
/// After `timeout` seconds the program is killed and `timedOut` is set.
public func runSubprocess(_ argv: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                          timeout: Double? = nil) throws -> SubprocessResult {
    guard let program = argv.first, !program.isEmpty else {
        throw SubprocessError(program: "", reason: "empty command")
    }
    var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
    guard closeOnExecPipe(&outPipe) == 0 else { throw SubprocessError(program: program, reason: errnoMessage()) }
    guard closeOnExecPipe(&errPipe) == 0 else {
        close(outPipe[0]); close(outPipe[1])
        throw SubprocessError(program: program, reason: errnoMessage())
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    if let dir = workingDirectory {
        guard let addchdir = glibcAddChdir else {
            throw SubprocessError(program: program, reason: "posix_spawn_file_actions_addchdir_np is missing (glibc < 2.29)")
        }
        _ = addchdir(&actions, dir)
    }
    // The child gets default signal handling (the shell may ignore or catch SIGINT/SIGPIPE).
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT); sigaddset(&defaults, SIGPIPE); sigaddset(&defaults, SIGTERM)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigdefault(&attr, &defaults)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let envStrings = env.map { "\($0.key)=\($0.value)" }

    var pid: pid_t = 0
    let spawned = withCStrings(argv) { cArgs in
        withCStrings(envStrings) { cEnv in
            posix_spawnp(&pid, program, &actions, &attr, cArgs, cEnv)
        }
    }
    close(outPipe[1]); close(errPipe[1])
    if spawned != 0 {
        close(outPipe[0]); close(errPipe[0])
        throw SubprocessError(program: program, reason: String(cString: strerror(spawned)))
    }

    // Read both pipes until they close, or until the deadline.
    var out = [UInt8](), err = [UInt8]()
    var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
               pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
    let deadline = timeout.map { monotonicSeconds() + $0 }
    var timedOut = false
    var buffer = [UInt8](repeating: 0, count: 65536)
    while fds.contains(where: { $0.fd >= 0 }) {
        var wait: Int32 = -1
        if let deadline {
            let left = deadline - monotonicSeconds()
            if left <= 0 { timedOut = true; break }
            wait = Int32(min(left * 1000, 1_000_000).rounded(.up))
        }
        let r = poll(&fds, nfds_t(fds.count), wait)
        if r < 0 { if errno == EINTR { continue }; break }
        for k in fds.indices where fds[k].fd >= 0 && fds[k].revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(fds[k].fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if k == 0 { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                close(fds[k].fd); fds[k].fd = -1
            }
        }
    }
    if timedOut { kill(pid, SIGKILL) }
    for f in fds where f.fd >= 0 { close(f.fd) }

    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
    let status: Int32 = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    return SubprocessResult(status: status, stdout: String(decoding: out, as: UTF8.self),
                            stderr: String(decoding: err, as: UTF8.self), timedOut: timedOut)
}

/// Seconds on a clock that never jumps.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

// pipe2 and posix_spawn_file_actions_addchdir_np are GNU extensions the Glibc module does not declare.
private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
private let glibcPipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
private let glibcAddChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
    .map { unsafeBitCast($0, to: AddChdir.self) }

/// A pipe whose ends close on exec (atomically with pipe2, so a program spawned by another thread at the
/// same moment never inherits them and holds our read end open).
private func closeOnExecPipe(_ fds: inout [Int32]) -> Int32 {
    if let p = glibcPipe2 { return fds.withUnsafeMutableBufferPointer { p($0.baseAddress!, O_CLOEXEC) } }
    guard pipe(&fds) == 0 else { return -1 }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC); _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return 0
}


/// A NULL-terminated C array of C strings, alive during `body`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return body(pointers + [nil])
}
