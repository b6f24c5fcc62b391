#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import _Platform
import Blocks
import Runtime
import Kernels

/// What the command line asks for.
enum Invocation: Equatable {
    case repl
    case stdinScript
    case script(path: String, args: [String])
    case code(String, args: [String])
    case replay(path: String, verify: Bool)
    /// One Slurm array task of a block-wise job.
    case worker(folder: String, task: Int?)
    case version
    case help
}

struct UsageError: Error, Equatable, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// The `emsh` command line.
public enum CLI {
    static let usage = """
    usage: emsh                           REPL on a terminal; otherwise runs the script on stdin
           emsh FILE.ems [ARG...]         runs a script; $args is the list of ARGs
           emsh -c CODE [ARG...]          runs CODE
           emsh --replay FILE [--verify]  re-runs a recorded session; --verify checks every result
           emsh --version | --help
    before any of these:
           --on local|slurm               where block-wise commands on chunked (OME-Zarr) volumes run:
                                          threads in this process (default) or a Slurm job array
           --resume                       keep the finished blocks of an earlier run of the same steps
    internal: emsh worker JOBFOLDER [TASK]  runs one array task of a block-wise job (Slurm's entry point)

    environment: EMSH_HOME (history and recorded sessions; default ~/.local/share/emsh),
                 EMSH_THREADS (worker threads; default all cores), EMSH_STDLIB (the stdlib folder),
                 EMSH_MAX_MEMORY (the memory ceiling, e.g. 8G), EMSH_WORK (block-wise results; default
                 ./emsh-work, on a file system every node sees), EMSH_EXECUTOR (local|slurm), EMSH_RESUME=1,
                 EMSH_SLURM_PARTITION, EMSH_SLURM_TIME, EMSH_SLURM_MEM, EMSH_SLURM_CPUS, EMSH_SLURM_ARGS
    exit status: 0 success, 1 a script or runtime error, 2 a usage error
    """

    /// Parses the arguments after the program name.
    static func parse(_ args: [String], stdinIsTerminal: Bool) throws -> Invocation {
        if args.first == "worker", args.count >= 2, !isFile("worker") || isFile(args[1] + "/task.json") {
            guard args.count <= 3 else { throw UsageError(message: "worker takes a job folder and an optional task index") }
            var task: Int?
            if args.count == 3 {
                guard let t = Int(args[2]), t >= 0 else { throw UsageError(message: "worker: the task index must be a whole number ≥ 0") }
                task = t
            }
            return .worker(folder: args[1], task: task)
        }
        var replayPath: String?
        var verify = false
        var i = 0
        while i < args.count {
            let a = args[i]
            switch a {
            case "--version", "-V":
                return .version
            case "--help", "-h":
                return .help
            case "-c":
                guard i + 1 < args.count else { throw UsageError(message: "-c needs the code to run") }
                guard replayPath == nil else { throw UsageError(message: "-c and --replay do not go together") }
                return .code(args[i + 1], args: Array(args[(i + 2)...]))
            case "--replay":
                guard i + 1 < args.count, !args[i + 1].hasPrefix("--") else {
                    throw UsageError(message: "--replay needs a journal file")
                }
                replayPath = args[i + 1]
                i += 2
                continue
            case "--verify":
                verify = true
            case "--":
                guard replayPath == nil else { throw UsageError(message: "unexpected arguments after --replay FILE") }
                guard i + 1 < args.count else { throw UsageError(message: "-- needs a script file") }
                return .script(path: args[i + 1], args: Array(args[(i + 2)...]))
            case "-":
                guard replayPath == nil else { throw UsageError(message: "unexpected argument '-' after --replay FILE") }
                return .stdinScript
            default:
                if a.hasPrefix("-") {
                    let known = ["--version", "--help", "--replay", "--verify", "-c", "--on", "--resume"]
                    let hint = closest(to: a, in: known).map { " (did you mean \($0)?)" } ?? ""
                    throw UsageError(message: "unknown option '\(a)'\(hint)")
                }
                guard replayPath == nil else { throw UsageError(message: "unexpected argument '\(a)' after --replay FILE") }
                guard !verify else { throw UsageError(message: "--verify goes with --replay FILE") }
                return .script(path: a, args: Array(args[(i + 1)...]))
            }
            i += 1
        }
        if let replayPath { return .replay(path: replayPath, verify: verify) }
        if verify { throw UsageError(message: "--verify goes with --replay FILE") }
        return stdinIsTerminal ? .repl : .stdinScript
    }

    /// Runs emsh with the process's arguments (without the program name); returns the exit status.
    /// Takes `--on local|slurm` and `--resume` off the front of the arguments and applies them.
    static func takeExecutionOptions(_ args: [String]) throws -> [String] {
        var rest = args[...]
        while let a = rest.first {
            if a == "--resume" {
                Execution.resume = true
                rest = rest.dropFirst()
            } else if a == "--on" {
                guard rest.count >= 2, let kind = ExecutorKind(rawValue: rest[rest.startIndex + 1]) else {
                    throw UsageError(message: "--on takes " + ExecutorKind.allCases.map(\.rawValue).joined(separator: " or "))
                }
                Execution.kind = kind
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        return Array(rest)
    }

    public static func main(_ args: [String]) -> Int32 {
        let invocation: Invocation
        do {
            invocation = try parse(try takeExecutionOptions(args), stdinIsTerminal: isatty(0) == 1)
        } catch {
            Output.err("emsh: \(error)\nusage: emsh [FILE.ems [ARG...] | -c CODE [ARG...] | --replay FILE [--verify]] (see emsh --help)\n")
            return 2
        }
        configureThreads()
        switch invocation {
        case .worker(let folder, let task):
            do {
                try Worker.run(folder: folder, task: task)
                return 0
            } catch {
                Output.err("emsh worker: \(error)\n")
                Output.flush()
                return 1
            }
        case .version:
            Output.out("emsh \(emshVersion)\n")
            Output.flush()
            return 0
        case .help:
            Output.out(usage + "\n")
            Output.flush()
            return 0
        case .repl:
            return REPL().run()
        case .stdinScript:
            let text: String
            do { text = try withUserErrors { try readTextFile("/dev/stdin") } } catch {
                Output.err("emsh: \(error)\n")
                return 2
            }
            let engine = Engine()
            engine.interpreter.setVariable("args", .list([]))
            return engine.runScript(text, file: "<stdin>")
        case .code(let code, let rest):
            let engine = Engine()
            engine.interpreter.setVariable("args", .list(rest.map { .string($0) }))
            return engine.runScript(code, file: "<-c>")
        case .script(let path, let rest):
            guard isFile(path) else {
                Output.err("emsh: cannot run \(path): " + (isFolder(path) ? "it is a folder" : "no such file") + "\n")
                return 2
            }
            let text: String
            do { text = try withUserErrors { try readTextFile(path) } } catch {
                Output.err("emsh: \(error)\n")
                return 2
            }
            let engine = Engine()
            engine.interpreter.setVariable("args", .list(rest.map { .string($0) }))
            return engine.runScript(text, file: path)
        case .replay(let path, let verify):
            guard isFile(path) else {
                Output.err("emsh: cannot replay \(path): \(isFolder(path) ? "it is a folder, not a session file" : "no such file")\n")
                return 2
            }
            let engine = Engine()
            engine.interpreter.setVariable("args", .list([]))
            defer { Output.flush() }
            do {
                _ = try engine.session.replay(path: path, verify: verify)
                return 0
            } catch let e as ExitRequest {
                return e.code
            } catch {
                Output.err(engine.interpreter.render(error))
                return 1
            }
        }
    }

    /// `EMSH_THREADS` → `Threads.count` (OpenBLAS threads are the learning module's business).
    static func configureThreads() {
        guard let s = Env.get("EMSH_THREADS") else { return }
        if let n = Int(s), n > 0 {
            Threads.count = n
        } else {
            Output.err("warning: EMSH_THREADS=\(s) is not a positive integer; using all cores\n")
        }
    }
}
