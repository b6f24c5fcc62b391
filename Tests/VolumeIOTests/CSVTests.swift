import _Platform
import Foundation
import Kernels
import Testing
@testable import VolumeIO
import TestSupport

@Suite struct CSVTests {
    @Test func roundTripWithQuotesCommasAndNewlines() throws {
        let d = TempDir()
        let t = Table([
            ("id", .number([1, 2, 3])),
            ("volume_um3", .number([0.25, 1e-7, -3.5])),
            ("note", .string(["plain", "a, \"quoted\" one", "two\nlines"])),
            ("odd name, with comma", .number([.nan, .infinity, 0])),
        ])
        try CSV.write(t, to: d.file("t.csv"))
        let text = String(decoding: readFile(d.file("t.csv")), as: UTF8.self)
        #expect(text.hasPrefix("id,volume_um3,note,\"odd name, with comma\"\n1,0.25,plain,nan\n"))
        let r = try CSV.read(path: d.file("t.csv"))
        #expect(r.names == t.names)
        #expect(r.numbers("id") == [1, 2, 3])
        #expect(r.numbers("volume_um3") == [0.25, 1e-7, -3.5])
        #expect(r.column("note") == .string(["plain", "a, \"quoted\" one", "two\nlines"]))
        let odd = try #require(r.numbers("odd name, with comma"))
        #expect(odd[0].isNaN && odd[1] == .infinity && odd[2] == 0)
    }

    @Test func numericOnlyWhenEveryCellParses() throws {
        let r = try CSV.parse("\u{FEFF}a,b,c\r\n1,x,2\r\n3,4,-5e2\r\n", name: "n.csv")
        #expect(r.names == ["a", "b", "c"])
        #expect(r.numbers("a") == [1, 3])
        #expect(r.column("b") == .string(["x", "4"]))
        #expect(r.numbers("c") == [2, -500])
        // Empty cells make a column of strings.
        #expect(try CSV.parse("a,b\n1,\n2,3\n").column("b") == .string(["", "3"]))
    }

    @Test func malformedCSVNamesFileAndLine() {
        #expect(errorText { _ = try CSV.parse("a,b\n1,2\n3\n", name: "r.csv") } == "r.csv: line 3: 1 fields, the header has 2")
        #expect(errorText { _ = try CSV.parse("a,b\n1,\"open\n2,3\n", name: "q.csv") } == "q.csv: line 2: unterminated quoted field")
        #expect(errorText { _ = try CSV.parse("", name: "e.csv") } == "e.csv: empty CSV file (no header row)")
        #expect(errorText { _ = try CSV.parse("a,a\n1,2\n", name: "d.csv") }?.contains("duplicate column") == true)
        #expect(errorText { _ = try CSV.parse("a\n\"x\"y\n", name: "g.csv") }?.hasPrefix("g.csv: line 2:") == true)
        #expect(errorText { _ = try CSV.read(path: "/nonexistent/t.csv") }?.hasPrefix("/nonexistent/t.csv: cannot open") == true)
    }

    @Test func quotedNewlineKeepsLineNumbersRight() {
        let e = errorText { _ = try CSV.parse("a,b\n\"x\ny\",1\n2\n", name: "l.csv") }
        #expect(e == "l.csv: line 4: 1 fields, the header has 2")
    }

    @Test func headerOnlyGivesEmptyColumns() throws {
        let t = try CSV.parse("a,b\n")
        #expect(t.names == ["a", "b"] && t.rowCount == 0)
    }
}

@Test func csvRefusesInvalidUTF8NamingTheLine() {
    let bytes: [UInt8] = Array("a,b\n1,2\n".utf8) + [0xff, 0xfe, 0x2c, 0x33, 0x0a]
    #expect(throws: IOError.self) { _ = try CSV.parse(bytes, name: "bad.csv") }
    do { _ = try CSV.parse(bytes, name: "bad.csv"); Issue.record("accepted") } catch {
        #expect("\(error)" == "bad.csv: line 3: not UTF-8 text (is this a CSV file?)")
    }
}
