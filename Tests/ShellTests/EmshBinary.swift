import Foundation
#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// The `emsh` executable under test and a way to run it.
///
/// The binary is looked up next to the test bundle (the same build folder: `swift test` builds the
/// `emsh` product together with the tests, and `scripts/test` runs `swift build` first), then in
/// `.build/debug` of the package. Tests that need it fail with a clear message when it is missing.
enum Emsh {
    static let binary: String? = {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = (exe as NSString).deletingLastPathComponent
            for _ in 0..<4 {
                candidates.append(dir + "/emsh")
                dir = (dir as NSString).deletingLastPathComponent
            }
        }
        candidates.append(packageRoot + "/.build/debug/emsh")
        return candidates.first { path in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
                && FileManager.default.isExecutableFile(atPath: path)
        }
    }()

    static func requireBinary() throws -> String {
        guard let b = binary else {
            throw TestSetupError("the emsh executable was not found next to the test bundle or in .build/debug (run `swift build` first)")
        }
        return b
    }

    /// The environment for a child emsh: its own EMSH_HOME and HOME, no user inputrc, the package's stdlib.
    static func environment(home: String, extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["EMSH_HOME"] = home
        env["HOME"] = home
        env["INPUTRC"] = "/dev/null"
        env["TERM"] = "xterm"
        env["EMSH_STDLIB"] = packageRoot + "/stdlib"
        env["EMSH_THREADS"] = "1"
        env.removeValue(forKey: "COLORTERM")
        for (k, v) in extra { env[k] = v }
        return env
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs emsh with arguments (and optional stdin text) to completion.
    static func run(_ arguments: [String], stdin: String? = nil, home: String? = nil, directory: String? = nil,
                    environment extra: [String: String] = [:]) throws -> Result {
        let binary = try requireBinary()
        let folder = try temporaryFolder("run")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outPath = folder + "/out", errPath = folder + "/err", inPath = folder + "/in"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((stdin ?? "").utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.environment = environment(home: home ?? folder + "/home", extra: extra)
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        try p.run()
        p.waitUntilExit()
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: p.terminationStatus, stdout: out, stderr: err)
    }
}

extension Emsh {
    /// Runs a shell command line to completion (for Slurm's squeue and scancel in tests).
    static func shell(_ command: String) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

struct TestSetupError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
