import Foundation
import Kernels
import Runtime
import VolumeIO
import Learning
import Language
import Commands

/// The fuzz targets: each takes arbitrary bytes and must either succeed or throw — never crash,
/// hang or trip a sanitizer. The `emsh-fuzz` executable drives them under libFuzzer, and a test
/// replays the committed corpus (Fuzz/corpus/<target>/) through them.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case png, tiff, csv, model, script

    /// Runs one input. Returns true when it was accepted, false when it was refused with an error.
    @discardableResult
    public func run(_ data: [UInt8]) -> Bool {
        switch self {
        case .png: return withTempFile(data, ext: "png") { _ = try PNG.read(path: $0) }
        case .tiff: return withTempFile(data, ext: "tif") { _ = try TIFF.read(paths: [$0]) }
        case .csv: return withTempFile(data, ext: "csv") { _ = try CSV.read(path: $0) }
        case .model: return attempt { _ = try Model.decode(data, name: "fuzz.emodel") }
        case .script: return ScriptFuzzer.shared.run(data)
        }
    }

    private func attempt(_ body: () throws -> Void) -> Bool {
        do { try body(); return true } catch { return false }
    }

    private func withTempFile(_ data: [UInt8], ext: String, _ body: (String) throws -> Void) -> Bool {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(dir)/emsh-fuzz-\(getpid()).\(ext)"
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return false }
        defer { unlink(path) }
        return attempt { try body(path) }
    }
}

/// Runs arbitrary text as an emsh script with only side-effect-free commands available and a
/// watchdog that cancels a run after 200 ms (random programs may loop forever).
final class ScriptFuzzer: @unchecked Sendable {
    static let shared = ScriptFuzzer()
    private let registry: Registry
    private let started = NSLock()
    private var deadline: Date?

    private init() {
        let safe: Set<String> = ["print", "str", "len", "keys"]
        registry = Registry(allCommands.filter { safe.contains($0.name) })
        let thread = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: 0.02)
                self.started.lock()
                let d = self.deadline
                self.started.unlock()
                if let d, Date() > d { Cancellation.cancel() }
            }
        }
        thread.start()
    }

    func run(_ data: [UInt8]) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        let interpreter = Interpreter(registry: registry, write: { _ in }, warn: { _ in })
        started.lock(); deadline = Date().addingTimeInterval(0.2); started.unlock()
        defer {
            started.lock(); deadline = nil; started.unlock()
            Cancellation.reset()
        }
        do {
            let program = try interpreter.parse(text, file: "<fuzz>")
            for s in program.statements { _ = try interpreter.execute(s) }
            return true
        } catch {
            _ = interpreter.render(error)
            return false
        }
    }
}
