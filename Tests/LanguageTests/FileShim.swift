import Foundation

func getpidValue() -> Int32 { ProcessInfo.processInfo.processIdentifier }

enum FileManagerShim {
    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
