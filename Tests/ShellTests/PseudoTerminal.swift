import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Drives a program through a pseudo-terminal, the way a user at a terminal would: the child gets
/// the terminal as its controlling terminal (new session), so Ctrl-C typed as `\u{3}` reaches it as
/// SIGINT through the line discipline. `expect` waits until text appears on the screen.
final class PseudoTerminal {
    let pid: pid_t
    private let master: Int32
    /// Every byte the program wrote so far.
    private(set) var raw: [UInt8] = []
    /// Offset into `screen` after the last `expect` match.
    private var mark: String.Index?
    private var exitStatus: Int32?

    /// - directory: the child's working folder (default: the test's); columns × rows: the terminal's size.
    init(_ executable: String, arguments: [String] = [], environment: [String: String], directory: String? = nil,
         columns: UInt16 = 100, rows: UInt16 = 30) throws {
        var m: Int32 = -1, slave: Int32 = -1
        guard openpty(&m, &slave, nil, nil, nil) == 0 else { throw TestSetupError("no pseudo-terminal: errno \(errno)") }
        defer { close(slave) }
        _ = fcntl(m, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        var nameBuf = [CChar](repeating: 0, count: 128)
        guard ttyname_r(slave, &nameBuf, nameBuf.count) == 0 else { close(m); throw TestSetupError("ttyname failed") }
        var ws = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(m, UInt(TIOCSWINSZ), &ws)
        master = m

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // After setsid, opening the terminal makes it the child's controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, nameBuf, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        let setsid: Int32 = 0x80   // POSIX_SPAWN_SETSID
        posix_spawnattr_setflags(&attr, Int16(setsid | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)

        // With a working folder, /bin/sh changes to it, then becomes the program (same process).
        let words = directory.map { ["/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", $0, executable] + arguments }
            ?? [executable] + arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, words[0], &actions, &attr, argv, envp)
        guard rc == 0 else { close(m); throw TestSetupError("posix_spawn \(executable) failed: \(rc)") }
        pid = child
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var st: Int32 = 0
            waitpid(pid, &st, 0)
        }
        close(master)
    }

    /// Types text (use `\u{3}` for Ctrl-C, `\u{4}` for Ctrl-D, `\t` for Tab, `\u{1B}[A` for arrow-up).
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            off += n
        }
    }

    /// Reads what the program wrote for up to `seconds`, returning early once `until` is true.
    /// False on timeout, or when the child closed the terminal before `until` held.
    @discardableResult
    func pump(seconds: Double, until: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        var buf = [UInt8](repeating: 0, count: 65536)
        while !until() {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return false }
            var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
            let r = poll(&fds, 1, Int32(min(left, 0.05) * 1000) + 1)
            if r > 0 {
                let n = read(master, &buf, buf.count)
                if n > 0 { raw.append(contentsOf: buf[0..<n]) } else { return until() }   // EIO: the child closed the terminal
            }
        }
        return true
    }

    /// Everything shown so far, without escape sequences, carriage returns and bells.
    var screen: String { PseudoTerminal.clean(raw) }

    /// Waits until `text` appears after the previous match; moves past it. False on timeout.
    @discardableResult
    func expect(_ text: String, timeout: Double = 10) -> Bool {
        var found: Range<String.Index>?
        pump(seconds: timeout) {
            let s = screen
            let from = mark.map { min($0, s.endIndex) } ?? s.startIndex
            found = s.range(of: text, range: from..<s.endIndex)
            if let found { mark = found.upperBound }
            return found != nil
        }
        return found != nil
    }

    /// Reads for a while (lets the program settle).
    func settle(_ seconds: Double = 0.2) { pump(seconds: seconds) { false } }

    /// The screen after the last match.
    var rest: String {
        let s = screen
        return String(s[(mark.map { min($0, s.endIndex) } ?? s.startIndex)...])
    }

    /// Waits for the child to end; its exit status, or nil (killed by a signal, or still running).
    func waitForExit(timeout: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            settle(0.05)
            var st: Int32 = 0
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid {
                let status: Int32 = (st & 0x7f) == 0 ? (st >> 8) & 0xff : -1
                exitStatus = status
                settle(0.1)   // what it wrote last
                return status >= 0 ? status : nil
            }
        }
        return nil
    }

    static func clean(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B, i + 1 < bytes.count {
                let n = bytes[i + 1]
                if n == UInt8(ascii: "[") {
                    i += 2
                    while i < bytes.count && !(0x40...0x7E).contains(bytes[i]) { i += 1 }
                    i += 1
                    continue
                }
                if n == UInt8(ascii: "]") {
                    i += 2
                    while i < bytes.count && bytes[i] != 0x07 && bytes[i] != 0x1B { i += 1 }
                    i += 1
                    continue
                }
                i += 2
                continue
            }
            if b != 0x0D && b != 0x07 { out.append(b) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
