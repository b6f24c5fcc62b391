import _Platform
import Foundation

/// Errors of the learning module; the description is the user-facing message.
public enum LearningError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A bad argument or configuration.
    case invalid(String)
    /// A model file that cannot be read (the name says which file).
    case badModel(name: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let m): m
        case .badModel(let name, let reason): "\(name): not a valid emsh model: \(reason)"
        }
    }
}

/// One named weight tensor of a model (row-major float32, PyTorch layouts).
public struct ModelTensor: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]
    public init(name: String, shape: [Int], values: [Float]) { self.name = name; self.shape = shape; self.values = values }
}

/// What happened while a model was trained.
public struct TrainingRecord: Sendable, Equatable {
    /// Mean training loss of every epoch (a partial last epoch included).
    public var epochLoss: [Double] = []
    /// Validation F (fscore's global level) after every epoch; empty without validation data.
    public var validationF: [Double] = []
    /// The epoch (1-based) whose weights were kept, when validation chose them.
    public var bestEpoch: Int? = nil
    public var steps: Int = 0
    public var seconds: Double = 0
    public var seed: UInt64 = 0
    /// Training runs this model continued from (`from:`), counted.
    public var generations: Int = 1
    public init() {}

    public var epochs: Int { epochLoss.count }
    public var lastLoss: Double? { epochLoss.last }
}

/// A trained network: architecture, weights, input normalisation and training record.
public struct Model: Sendable {
    public static let formatVersion = "emsh 0.1"

    public var name: String
    public var architecture: Architecture
    /// Input normalisation: the network sees (intensity − mean) / std.
    public var inputMean: Float
    public var inputStd: Float
    public var record: TrainingRecord
    public internal(set) var tensors: [ModelTensor]

    init(name: String, architecture: Architecture, inputMean: Float, inputStd: Float, record: TrainingRecord,
         tensors: [ModelTensor]) {
        self.name = name; self.architecture = architecture; self.inputMean = inputMean; self.inputStd = inputStd
        self.record = record; self.tensors = tensors
    }

    /// A freshly initialised (untrained) model.
    public init(architecture: Architecture, seed: UInt64 = 0, inputMean: Float = 0, inputStd: Float = 1) throws {
        try architecture.validate()
        let net = UNet(architecture)
        net.initialise(seed: seed)
        var record = TrainingRecord()
        record.seed = seed
        record.generations = 0
        self.init(name: "unet", architecture: architecture, inputMean: inputMean, inputStd: inputStd, record: record,
                  tensors: [])
        capture(net)
    }

    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.values.count } }

    /// Copies the network's weights into the model.
    mutating func capture(_ net: UNet) {
        tensors = net.params.map { ModelTensor(name: $0.name, shape: $0.shape, values: $0.value.array) }
    }

    /// A network holding this model's weights.
    func makeNetwork() throws -> UNet {
        let net = UNet(architecture)
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in net.params {
            guard let t = byName[p.name], t.shape == p.shape, t.values.count == p.count else {
                throw LearningError.badModel(name: name, reason: "tensor \(p.name) is missing or has the wrong shape")
            }
            p.value.copy(from: t.values)
        }
        return net
    }

    /// Names and shapes of the parameters a U-Net of this architecture has, in saved order (no allocation).
    static func expectedShapes(_ a: Architecture) -> [(String, [Int])] {
        func block(_ name: String, _ inC: Int, _ c: Int) -> [(String, [Int])] {
            [(name + ".conv1.weight", [c, inC, 3, 3]), (name + ".norm1.weight", [c]), (name + ".norm1.bias", [c]),
             (name + ".conv2.weight", [c, c, 3, 3]), (name + ".norm2.weight", [c]), (name + ".norm2.bias", [c])]
        }
        let levels = a.depth - 1
        var out: [(String, [Int])] = []
        for l in 0..<levels { out += block("enc\(l)", l == 0 ? a.frames : a.channels(l - 1), a.channels(l)) }
        out += block("bottom", levels == 0 ? a.frames : a.channels(levels - 1), a.channels(levels))
        for l in (0..<levels).reversed() {
            out += [("up\(l).weight", [a.channels(l + 1), a.channels(l), 2, 2]), ("up\(l).bias", [a.channels(l)])]
            out += block("dec\(l)", 2 * a.channels(l), a.channels(l))
        }
        return out + [("head.weight", [1, a.width, 1, 1]), ("head.bias", [1])]
    }

    /// Architecture, parameter count, epochs and last loss, e.g. for `show`.
    public var summary: String {
        let a = architecture
        let widths = (0..<a.depth).map { String(a.channels($0)) }.joined(separator: "/")
        var s = "model unet depth \(a.depth) · widths \(widths) · \(a.frames) frame\(a.frames == 1 ? "" : "s")"
        if a.bin > 1 { s += " · binned \(a.bin)×\(a.bin)" }
        s += " · \(formatCount(Double(parameterCount))) parameters"
        s += " · \(record.epochs) epoch\(record.epochs == 1 ? "" : "s"), \(record.steps) step\(record.steps == 1 ? "" : "s")"
        if let l = record.lastLoss { s += " · last loss \(fixed(l, 4))" }
        if let best = record.validationF.max() { s += " · best validation F \(fixed(best, 3))" }
        return s
    }

    /// The training curve: per-epoch loss and (when validated) validation F.
    public var curve: (loss: [Double], validationF: [Double]) { (record.epochLoss, record.validationF) }
}

