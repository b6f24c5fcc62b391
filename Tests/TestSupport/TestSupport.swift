import Foundation

// What every test target shares: where the package is, and fresh temporary folders.

/// The package root (the folder holding Package.swift), from this file's path
/// (Tests/TestSupport/TestSupport.swift).
public let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// `packageRoot` as a URL.
public let packageRootURL = URL(fileURLWithPath: packageRoot)

/// A fresh, empty folder under the temporary directory, named after `tag` (the caller removes it).
public func temporaryFolder(_ tag: String) throws -> String {
    let path = NSTemporaryDirectory() + "emsh-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return (path as NSString).standardizingPath
}

/// A fresh temporary folder, removed when the object is released.
public final class TempDir {
    public let path: String
    public init(_ tag: String = "test") {
        path = (try? temporaryFolder(tag)) ?? NSTemporaryDirectory()
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }
}
