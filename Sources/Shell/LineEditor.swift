#if canImport(Glibc)
@preconcurrency import Glibc
#endif
@preconcurrency import CReadline
import Kernels
import Synchronization

/// Ctrl-C, the self-pipe way: readline's own signal handling is off (`rl_catch_signals = 0`); the
/// SIGINT handler only sets flags and writes a byte to a pipe, and readline reads its input
/// through `rl_getc_function`, which polls the terminal and the pipe. At the prompt a Ctrl-C
/// abandons the line; during a command it sets `Cancellation`, which long loops poll.
enum Interrupt {
    static let pending = Atomic<Bool>(false)
    /// Ctrl-C presses since the last clear: the third one during a command that does not stop ends emsh.
    static let presses = Atomic<Int>(0)
    nonisolated(unsafe) static var pipeRead: Int32 = -1
    nonisolated(unsafe) static var pipeWrite: Int32 = -1
    nonisolated(unsafe) private static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        // Initialise every global the handler touches before the handler can run.
        pending.store(false, ordering: .relaxed)
        presses.store(0, ordering: .relaxed)
        Cancellation.reset()
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        pipeRead = fds[0]
        pipeWrite = fds[1]
        var sa = sigaction()
        sa.__sigaction_handler.sa_handler = sigintHandler
        sigemptyset(&sa.sa_mask)
        sa.sa_flags = SA_RESTART
        sigaction(SIGINT, &sa, nil)
    }

    /// Forgets a Ctrl-C: resets the flags and empties the pipe.
    static func clear() {
        pending.store(false, ordering: .relaxed)
        presses.store(0, ordering: .relaxed)
        Cancellation.reset()
        drainPipe()
    }

    static func drainPipe() {
        guard pipeRead >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: 64)
        while read(pipeRead, &buf, buf.count) > 0 {}
    }
}

private let sigintHandler: @convention(c) (Int32) -> Void = { _ in
    Interrupt.pending.store(true, ordering: .relaxed)
    Cancellation.cancel()
    var byte: UInt8 = 3
    _ = write(Interrupt.pipeWrite, &byte, 1)
    if Interrupt.presses.add(1, ordering: .relaxed).newValue >= 3 {
        // A command that never polls the flag: the third Ctrl-C ends emsh (async-signal-safe calls only).
        let message: StaticString = "\nemsh: interrupted three times; exiting\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
        _exit(130)
    }
}

/// The readline prompt: line editing, history and completion.
enum LineEditor {
    nonisolated(unsafe) static var completer: Completer?
    /// Set when a Ctrl-C ended the last `readLine`: the returned text is to be dropped.
    nonisolated(unsafe) private(set) static var interruptedAtPrompt = false
    nonisolated(unsafe) private static var candidates: [String] = []
    nonisolated(unsafe) private static var candidateIndex = 0

    static func setUp(completer: Completer) {
        self.completer = completer
        Interrupt.install()
        rl_readline_name = UnsafePointer(strdup("emsh"))
        rl_catch_signals = 0
        rl_getc_function = getcHook
        rl_attempted_completion_function = completionHook
        // `$`, `.` and `-` belong to the word being completed ($var.field, --option).
        rl_completer_word_break_characters = UnsafePointer(strdup(" \t\n\"'(){}[];|,="))
        rl_completer_quote_characters = UnsafePointer(strdup("\""))
        using_history()
    }

    /// One line, or nil at end of input (Ctrl-D on an empty line).
    static func readLine(prompt: String) -> String? {
        interruptedAtPrompt = false
        Interrupt.clear()
        guard let p = readline(prompt) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func addHistory(_ entry: String) { add_history(entry) }

    /// Called from the getc hook when the pipe says Ctrl-C: show `^C`, end the line, drop it.
    fileprivate static func interruptLine() -> Int32 {
        Interrupt.clear()
        interruptedAtPrompt = true
        rl_point = rl_end
        rl_insert_text("^C")
        rl_redisplay()
        return 10   // newline: readline returns the line, which the REPL drops
    }

    fileprivate static func completions(text: String, start: Int, end: Int) -> [String]? {
        guard let completer, let buf = rl_line_buffer else { return nil }
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(buf).assumingMemoryBound(to: UInt8.self), count: Int(rl_end)))
        switch completer.complete(lineBytes: bytes, start: start, end: end) {
        case .files: return nil
        case .words(let w): return w
        }
    }

    fileprivate static func next(_ state: Int32) -> String? {
        if state == 0 { candidateIndex = 0 }
        guard candidateIndex < candidates.count else { return nil }
        defer { candidateIndex += 1 }
        return candidates[candidateIndex]
    }

    fileprivate static func setCandidates(_ c: [String]) { candidates = c }
}

/// readline's input: one byte from the terminal, or a Ctrl-C from the self-pipe.
private let getcHook: @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32 = { stream in
    let fd = stream.map { fileno($0) } ?? 0
    var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
               pollfd(fd: Interrupt.pipeRead, events: Int16(POLLIN), revents: 0)]
    while true {
        fds[0].revents = 0; fds[1].revents = 0
        let r = poll(&fds, Interrupt.pipeRead >= 0 ? 2 : 1, -1)
        if r < 0 {
            if errno == EINTR { continue }
            return EOF
        }
        if Interrupt.pipeRead >= 0 && fds[1].revents & Int16(POLLIN) != 0 {
            return LineEditor.interruptLine()
        }
        if fds[0].revents != 0 {
            var c: UInt8 = 0
            let n = read(fd, &c, 1)
            if n == 1 { return Int32(c) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            return EOF
        }
    }
}

/// Completion: our own words (commands, options, variables, fields), or readline's file names.
private let completionHook: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, end in
    let word = text.map { String(cString: $0) } ?? ""
    guard let words = LineEditor.completions(text: word, start: Int(start), end: Int(end)) else {
        rl_attempted_completion_over = 0
        return nil
    }
    rl_attempted_completion_over = 1
    let matching = words.filter { $0.hasPrefix(word) }
    if matching.isEmpty { return nil }
    // Fields and folders-to-be continue: no space after `$rec.` completions that end in `.`.
    LineEditor.setCandidates(matching)
    return rl_completion_matches(text, generatorHook)
}

private let generatorHook: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
    guard let s = LineEditor.next(state) else { return nil }
    return strdup(s)
}
