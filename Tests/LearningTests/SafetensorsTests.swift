import Testing
import Foundation
@testable import Learning

@Suite("safetensors model files")
struct SafetensorsTests {
    func sample() throws -> Model {
        var m = try Model(architecture: Architecture(depth: 2, width: 4, frames: 3, groups: 2), seed: 4, inputMean: 121.5, inputStd: 33.25)
        m.record.epochLoss = [0.9, 0.5]
        m.record.validationF = [0.6, 0.7]
        m.record.bestEpoch = 2
        m.record.steps = 40
        return m
    }

    /// Splits a file into its header JSON text and data.
    func split(_ b: [UInt8]) -> (String, [UInt8]) {
        var n = 0
        for i in 0..<8 { n |= Int(b[i]) << (8 * i) }
        return (String(decoding: b[8..<(8 + n)], as: UTF8.self), Array(b[(8 + n)...]))
    }

    func join(_ header: String, _ data: [UInt8]) -> [UInt8] {
        let h = Array(header.utf8)
        let out: [UInt8] = (0..<8).map { UInt8((h.count >> (8 * $0)) & 0xFF) }
        return out + h + data
    }

    @Test("encode/decode round trip keeps every tensor, the architecture, normalisation and record")
    func roundTrip() throws {
        let m = try sample()
        let bytes = m.encode()
        let (header, data) = split(bytes)
        #expect(header.utf8.count % 8 == 0)
        #expect(data.count == m.parameterCount * 4)
        let d = try Model.decode(bytes, name: "m.emodel")
        #expect(d.tensors == m.tensors)
        #expect(d.architecture == m.architecture)
        #expect(d.inputMean == 121.5 && d.inputStd == 33.25)
        #expect(d.record == m.record)
        #expect(d.encode() == bytes)
        // The header is plain safetensors JSON.
        let json = try JSONSerialization.jsonObject(with: Data(header.utf8)) as! [String: Any]
        let head = json["head.weight"] as! [String: Any]
        #expect(head["dtype"] as? String == "F32")
        #expect((head["shape"] as? [Int]) == [1, 4, 1, 1])
    }

    @Test("truncated or lying files are refused with a message naming the file")
    func refused() throws {
        let bytes = try sample().encode()
        let (header, data) = split(bytes)
        func refuses(_ b: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try Model.decode(b, name: "bad.emodel")
                Issue.record("accepted a bad file (\(fragment))", sourceLocation: sourceLocation)
            } catch {
                let text = "\(error)"
                #expect(text.hasPrefix("bad.emodel:") && text.contains(fragment), "\(text)", sourceLocation: sourceLocation)
            }
        }
        refuses(Array(bytes.prefix(5)), "shorter than")
        refuses(Array(bytes.prefix(bytes.count - 4)), "outside")
        var huge = bytes; huge[6] = 1
        refuses(huge, "header length")
        refuses(join("{\"a\": [1,", data), "not valid JSON")
        refuses(join(header.replacingOccurrences(of: "\"F32\"", with: "\"F16\""), data), "only F32")
        refuses(join(header.replacingOccurrences(of: "\"shape\":[1,4,1,1]", with: "\"shape\":[1,4,1,2]"), data), "needs")
        // head.bias (the last tensor) pointed into head.weight's bytes: overlap.
        let last = data.count
        refuses(join(header.replacingOccurrences(of: "[\(last - 4),\(last)]", with: "[\(last - 8),\(last - 4)]"), data), "overlaps")
        refuses(join(header.replacingOccurrences(of: "\\\"depth\\\":2", with: "\\\"depth\\\":3"), data), "missing")
        var nan = bytes; nan[nan.count - 1] = 0x7F; nan[nan.count - 2] = 0xC0
        refuses(nan, "NaN")
    }
}
