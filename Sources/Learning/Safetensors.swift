import _Platform
import Foundation

extension Model {
    /// The model as a safetensors file (`.emodel`): an 8-byte little-endian header length, a JSON header
    /// (per tensor: dtype "F32", shape, data_offsets; `__metadata__`: architecture, normalisation, training
    /// record and emsh version, each a JSON string), then the raw little-endian float32 data.
    public func encode() -> [UInt8] {
        var header = "{\"__metadata__\":{"
        header += "\"architecture\":" + quoted(architectureJSON, .json) + ","
        header += "\"emsh_version\":" + quoted(Model.formatVersion, .json) + ","
        header += "\"format\":\"pt\","
        header += "\"normalization\":" + quoted(normalizationJSON, .json) + ","
        header += "\"training\":" + quoted(trainingJSON, .json) + "}"
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            header += "," + quoted(t.name, .json) + ":{\"dtype\":\"F32\",\"shape\":["
            header += t.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            offset += bytes
        }
        header += "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + h.count + offset)
        var n = UInt64(h.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        for t in tensors {
            for v in t.values {
                var bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Reads a safetensors model, validating the header against the bytes; `name` (the file) names errors.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Model {
        func fail(_ reason: String) -> LearningError { .badModel(name: name, reason: reason) }
        guard bytes.count >= 8 else { throw fail("file is \(bytes.count) bytes, shorter than the 8-byte header length") }
        var len: UInt64 = 0
        for i in 0..<8 { len |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard len >= 2, len <= UInt64(bytes.count - 8) else {
            throw fail("header length \(len) does not fit in the file of \(bytes.count) bytes")
        }
        let headerEnd = 8 + Int(len)
        let dataCount = bytes.count - headerEnd
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let dict = json as? [String: Any] else { throw fail("header is not a JSON object") }
        guard let metaAny = dict["__metadata__"] else { throw fail("header has no __metadata__ (not written by emsh)") }
        guard let meta = metaAny as? [String: Any] else { throw fail("__metadata__ is not an object") }
        var metadata: [String: String] = [:]
        for (k, v) in meta {
            guard let s = v as? String else { throw fail("__metadata__ value \"\(k)\" is not a string") }
            metadata[k] = s
        }
        // Tensor entries.
        struct Entry { let name: String; let shape: [Int]; let start: Int; let end: Int }
        var entries: [Entry] = []
        for (key, value) in dict where key != "__metadata__" {
            guard let t = value as? [String: Any] else { throw fail("entry \(key) is not an object") }
            guard let dtype = t["dtype"] as? String else { throw fail("tensor \(key) has no dtype") }
            guard dtype == "F32" else { throw fail("tensor \(key) has dtype \(dtype); only F32 is supported") }
            guard let shapeAny = t["shape"] as? [Any] else { throw fail("tensor \(key) has no shape") }
            var shape: [Int] = []
            var elements = 1
            for d in shapeAny {
                guard let v = jsonInt(d), v >= 0 else { throw fail("tensor \(key) has an invalid shape") }
                shape.append(v)
                let (r, o) = elements.multipliedReportingOverflow(by: v)
                guard !o, r <= Int(Int32.max) else { throw fail("tensor \(key) is too large") }
                elements = r
            }
            guard let offs = t["data_offsets"] as? [Any], offs.count == 2, let a = jsonInt(offs[0]), let b = jsonInt(offs[1])
            else { throw fail("tensor \(key) has no valid data_offsets") }
            guard a >= 0, a <= b, b <= dataCount else {
                throw fail("tensor \(key) data [\(a), \(b)) lies outside the \(dataCount) data bytes")
            }
            guard b - a == elements * 4 else {
                throw fail("tensor \(key) holds \(b - a) bytes but its shape \(shape) needs \(elements * 4)")
            }
            entries.append(Entry(name: key, shape: shape, start: a, end: b))
        }
        let sorted = entries.sorted { ($0.start, $0.end, $0.name) < ($1.start, $1.end, $1.name) }
        var end = 0
        for e in sorted {
            guard e.start >= end else { throw fail("tensor \(e.name) overlaps another tensor") }
            end = e.end
        }
        // Metadata.
        guard let archText = metadata["architecture"] else { throw fail("metadata has no architecture") }
        let arch = try parseArchitecture(archText, fail)
        var mean: Float = 0, std: Float = 1
        if let normText = metadata["normalization"] {
            guard let n = parseObject(normText), let m = n["mean"].flatMap(jsonDouble), let s = n["std"].flatMap(jsonDouble),
                  m.isFinite, s.isFinite, s > 0 else { throw fail("normalization metadata is invalid") }
            mean = Float(m); std = Float(s)
        }
        var record = TrainingRecord()
        if let trainText = metadata["training"] {
            guard let t = parseObject(trainText) else { throw fail("training metadata is not a JSON object") }
            record.epochLoss = (t["epoch_loss"] as? [Any])?.compactMap(jsonDouble) ?? []
            record.validationF = (t["validation_f"] as? [Any])?.compactMap(jsonDouble) ?? []
            record.bestEpoch = t["best_epoch"].flatMap(jsonInt)
            record.steps = t["steps"].flatMap(jsonInt) ?? 0
            record.seconds = t["seconds"].flatMap(jsonDouble) ?? 0
            record.seed = t["seed"].flatMap(jsonInt).map { UInt64(truncatingIfNeeded: $0) } ?? 0
            record.generations = t["generations"].flatMap(jsonInt) ?? 1
        }
        // The tensors must be exactly the architecture's parameters.
        let byName = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let expected = expectedShapes(arch)
        let expectedNames = Set(expected.map(\.0))
        if let extra = entries.first(where: { !expectedNames.contains($0.name) }) {
            throw fail("unexpected tensor \(extra.name) for this architecture")
        }
        var tensors: [ModelTensor] = []
        for (tname, shape) in expected {
            guard let e = byName[tname] else { throw fail("tensor \(tname) is missing") }
            guard e.shape == shape else { throw fail("tensor \(tname) has shape \(e.shape), expected \(shape)") }
            let count = (e.end - e.start) / 4
            var values = [Float](repeating: 0, count: count)
            let base = headerEnd + e.start
            var finite = true
            values.withUnsafeMutableBufferPointer { vb in
                for i in 0..<count {
                    let o = base + 4 * i
                    let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
                    let v = Float(bitPattern: bits)
                    if !v.isFinite { finite = false }
                    vb[i] = v
                }
            }
            guard finite else { throw fail("tensor \(tname) contains NaN or infinite values") }
            tensors.append(ModelTensor(name: tname, shape: shape, values: values))
        }
        return Model(name: name, architecture: arch, inputMean: mean, inputStd: std, record: record, tensors: tensors)
    }

    var architectureJSON: String {
        let a = architecture
        return "{\"arch\":\"unet\",\"depth\":\(a.depth),\"width\":\(a.width),\"frames\":\(a.frames),\"groups\":\(a.groups),"
            + (a.bin > 1 ? "\"bin\":\(a.bin)," : "")  // absent = 1: models saved before binning keep their bytes
            + "\"norm\":\"group\",\"activation\":\"relu\",\"upsampling\":\"transposed_conv2x2\",\"output\":\"sigmoid\"}"
    }

    var normalizationJSON: String { "{\"mean\":\(jsonNumber(Double(inputMean))),\"std\":\(jsonNumber(Double(inputStd)))}" }

    var trainingJSON: String {
        let r = record
        var s = "{\"epoch_loss\":[" + r.epochLoss.map(jsonNumber).joined(separator: ",") + "],"
        s += "\"validation_f\":[" + r.validationF.map(jsonNumber).joined(separator: ",") + "],"
        if let b = r.bestEpoch { s += "\"best_epoch\":\(b)," }
        s += "\"steps\":\(r.steps),\"seconds\":\(jsonNumber(r.seconds)),\"seed\":\(Int64(bitPattern: r.seed)),"
        s += "\"generations\":\(r.generations)}"
        return s
    }
}

private func parseArchitecture(_ text: String, _ fail: (String) -> LearningError) throws -> Architecture {
    guard let o = parseObject(text) else { throw fail("architecture metadata is not a JSON object") }
    if let kind = o["arch"] as? String, kind != "unet" { throw fail("unknown architecture \(kind)") }
    guard let depth = o["depth"].flatMap(jsonInt), let width = o["width"].flatMap(jsonInt),
          let frames = o["frames"].flatMap(jsonInt) else { throw fail("architecture metadata lacks depth, width or frames") }
    let groups = o["groups"].flatMap(jsonInt) ?? 8
    let bin = o["bin"].flatMap(jsonInt) ?? 1
    let a = Architecture(depth: depth, width: width, frames: frames, groups: groups, bin: bin)
    do { try a.validate() } catch { throw fail("architecture: \(error)") }
    return a
}

private func parseObject(_ text: String) -> [String: Any]? {
    guard let data = text.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: data) else { return nil }
    return o as? [String: Any]
}

private func jsonInt(_ v: Any) -> Int? {
    if let i = v as? Int { return i }
    if let d = v as? Double, d.rounded() == d, abs(d) < 9e15 { return Int(d) }
    return nil
}

private func jsonDouble(_ v: Any) -> Double? {
    if let d = v as? Double { return d }
    if let i = v as? Int { return Double(i) }
    return nil
}

func jsonNumber(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }

