import _Platform
import Blocks
import Runtime
import Kernels
import Learning

/// A trained model as a shell value (`load x.emodel` / `save $m x.emodel` use `ModelValue(model)` and `.model.encode()`).
public struct ModelValue: OpaqueValue {
    public let model: Model
    public init(_ model: Model) { self.model = model }

    public var typeName: String { "model" }
    public var summary: String { model.summary }

    public var details: String {
        let m = model, a = m.architecture, r = m.record
        var lines = [model.summary]
        lines.append("architecture  unet, depth \(a.depth), width \(a.width) (doubling per level), \(a.frames) input frame(s), group norm (\(a.groups) groups), ReLU, 2×2 transposed-conv upsampling, sigmoid output")
        if a.bin > 1 { lines.append("binning       \(a.bin)×\(a.bin) block means in, probabilities interpolated back") }
        lines.append("parameters    \(m.parameterCount)")
        lines.append("normalisation (intensity − \(formatNumber(Double(m.inputMean)))) / \(formatNumber(Double(m.inputStd)))")
        lines.append("training      \(r.steps) steps, \(r.epochs) epochs, \(formatNumber((r.seconds * 10).rounded() / 10)) s, seed \(r.seed)")
        if let b = r.bestEpoch { lines.append("kept          epoch \(b) (best validation F)") }
        if !r.epochLoss.isEmpty {
            lines.append("epoch  loss     validation F")
            for (i, l) in r.epochLoss.enumerated() {
                let f = i < r.validationF.count ? formatNumber((r.validationF[i] * 10000).rounded() / 10000) : "-"
                let pad = String(repeating: " ", count: max(0, 6 - String(i + 1).count))
                lines.append("\(i + 1)\(pad) \(formatNumber((l * 10000).rounded() / 10000).padding(toLength: 8, withPad: " ", startingAt: 0)) \(f)")
            }
        }
        return lines.joined(separator: "\n")
    }

    public func field(_ name: String) -> Value? {
        let m = model, a = m.architecture, r = m.record
        switch name {
        case "depth": return .number(Double(a.depth))
        case "width": return .number(Double(a.width))
        case "frames": return .number(Double(a.frames))
        case "bin": return .number(Double(a.bin))
        case "parameters": return .number(Double(m.parameterCount))
        case "epochs": return .number(Double(r.epochs))
        case "steps": return .number(Double(r.steps))
        case "loss": return .list(r.epochLoss.map { .number($0) })
        case "validation_f": return .list(r.validationF.map { .number($0) })
        case "best_epoch": return r.bestEpoch.map { .number(Double($0)) } ?? .null
        case "mean": return .number(Double(m.inputMean))
        case "std": return .number(Double(m.inputStd))
        default: return nil
        }
    }

    public var fieldNames: [String] {
        ["depth", "width", "frames", "bin", "parameters", "epochs", "steps", "loss", "validation_f", "best_epoch", "mean", "std"]
    }

    public func digest(into d: inout Digest) {
        d.add("model")
        model.encode().withUnsafeBytes { d.add(bytes: $0) }
    }
}

let modelCommands: [Command] = [
    Command(
        name: "train", topic: .learning,
        summary: "train a 2D U-Net on images and labels (returns a model)",
        help: """
        Trains a U-Net (depth levels including the bottleneck, WIDTH channels doubling per level, group
        normalisation, ReLU) on random square patches of IMAGES with LABELS (non-zero = foreground), with the 8
        rotations/flips as augmentation (and z-flip for multi-frame input). --intensity, --noise and --blur jitter
        the grey levels of each patch (never its labels); --deform adds any-angle rotation and scaling (images and
        labels alike, bilinear); --foreground draws that share of patches around a labelled pixel. --frames 3|5
        feeds consecutive slices as channels (reflected at the volume's ends). --bin 2 trains on the means of 2×2
        pixel blocks (and the blocks' majority labels) and makes infer bin the same way and interpolate the
        probabilities back: for slices sampled finer than they are sharp (most SBF-SEM), a step then covers 4× the
        area and the network sees twice the context; --patch counts binned pixels. Loss: sigmoid + binary
        cross-entropy + Dice; optimiser AdamW (weight decay 1e-4) with a 5 % warm-up and cosine decay from --lr
        (to the end of --minutes, too). One epoch = as many patches as the volume has pixels. Give at most one of
        --epochs (default 10), --steps, --minutes.
        --validate [IMAGES, LABELS] computes the validation F (fscore's rule) after every epoch and keeps the best
        epoch's weights. The input normalisation (mean, std of IMAGES) is stored in the model. --from MODEL continues
        training a model (transfer learning; its architecture is kept), --freeze encoder keeps its contracting path
        (encoder blocks and bottleneck) fixed. Same --seed and thread count (EMSH_THREADS) give identical weights
        (with --epochs or --steps). Ctrl-C stops early and returns the model trained so far.
        """,
        positionals: [
            .positional("images", .volume, "the training images (any voxel type)"),
            .positional("labels", .mask, "the training labels (non-zero = foreground), same shape"),
        ],
        options: [
            .option("arch", .choice(of: NetworkKind.self), "the network", default: .string("unet")),
            .option("frames", .choice(of: FrameCount.self), "consecutive slices as input channels", default: .string("1")),
            .option("depth", .int, "resolution levels including the bottleneck", default: .number(4), in: .between(1, 7)),
            .option("width", .int, "channels of the first level (doubling per level)", default: .number(16), in: .between(1, 256)),
            .option("bin", .int, "average BIN×BIN pixel blocks before the network (infer does the same)", default: .number(1), in: .between(1, 8)),
            .option("patch", .int, "patch side in pixels (multiple of 2^(depth-1))", default: .number(128), in: .between(1, 4096)),
            .option("batch", .int, "patches per step", default: .number(8), in: .between(1, 256)),
            .option("epochs", .int, "train this many epochs (default 10)", in: .atLeast(1)),
            .option("steps", .int, "train this many steps", in: .atLeast(1)),
            .option("minutes", .number, "train for this many minutes", in: .above(0, atMost: 1_000_000)),
            .option("lr", .number, "peak learning rate", default: .number(1e-3), in: .above(0, atMost: 10)),
            .option("augment", .choice(of: FoldCount.self), "8 = random rotations/flips, 1 = none", default: .string("8")),
            .option("intensity", .number, "brightness/contrast/gamma jitter amplitude (0 = off)", default: .number(0.3), in: .between(0, 1)),
            .option("noise", .number, "largest Gaussian noise sigma, in image standard deviations (0 = off)", default: .number(0.1), in: .between(0, 10)),
            .option("blur", .number, "largest Gaussian blur sigma in pixels, on half the patches (0 = off)", default: .number(1), in: .between(0, 16)),
            .option("deform", .number, "any-angle rotation and scale by up to ×(1 + d) (0 = rotations/flips only)", default: .number(0.2), in: .between(0, 1)),
            .option("foreground", .number, "share of patches drawn around a foreground pixel", default: .number(0.5), in: .between(0, 1)),
            .option("from", .model, "continue training this model"),
            .option("freeze", .choice(of: FrozenPart.self), "keep the contracting path fixed (with --from)"),
            .option("validate", .listOf(.volume), "[IMAGES, LABELS] scored after every epoch; the best epoch is kept"),
            .option("seed", .int, "random seed (weights, patches, augmentation)", default: .number(0), in: .atLeast(0)),
        ],
        examples: [
            Example("p = phantom --size [2, 32, 32]; m = train $p.image $p.mask --depth 2 --width 4 --patch 16 --batch 2 --steps 2; print $m",
                    "a tiny network for two steps", expect: "model unet"),
            Example("p = phantom --size [2, 32, 32]; m = train $p.image $p.mask --depth 2 --width 4 --patch 16 --batch 2 --steps 2 --intensity 0.3 --noise 0.1 --blur 1 --deform 0.2 --foreground 0.5; print $m.steps",
                    "grey-level jitter, deformation and foreground-centred patches (the augmentation options)", expect: "2"),
            Example("p = phantom --size [2, 64, 64]; m = train $p.image $p.mask --bin 2 --depth 2 --width 4 --patch 16 --batch 2 --steps 2; print (infer $m $p.image).shape",
                    "a network on 2×2-binned slices: infer still answers on every pixel", expect: "[2, 64, 64]"),
        ],
        run: { args, host in
            let images = try args.volume("images"), labels = try args.volume("labels")
            var c = TrainConfig()
            c.architecture = Architecture(depth: try args.int("depth"), width: try args.int("width"),
                                          frames: try args.choice("frames", as: FrameCount.self).rawValue,
                                          bin: try args.int("bin"))
            c.patch = try args.int("patch")
            c.batch = try args.int("batch")
            let durations = ["epochs", "steps", "minutes"].filter { args.has($0) }
            if durations.count > 1 { throw args.failure("give at most one of --epochs, --steps, --minutes") }
            if args.has("epochs") { c.duration = .epochs(try args.int("epochs")) }
            if args.has("steps") { c.duration = .steps(try args.int("steps")) }
            if args.has("minutes") { c.duration = .minutes(try args.number("minutes")) }
            let lr = try args.number("lr")
            c.learningRate = Float(lr)
            c.augment = try args.choice("augment", as: FoldCount.self).rawValue
            c.augmentation.intensity = Float(try args.number("intensity"))
            c.augmentation.noise = Float(try args.number("noise"))
            c.augmentation.blur = Float(try args.number("blur"))
            c.augmentation.deform = Float(try args.number("deform"))
            c.augmentation.foreground = Float(try args.number("foreground"))
            let seed = try args.int("seed")
            c.seed = UInt64(seed)
            if args.has("from") { c.from = try args.object("from", as: ModelValue.self).model }
            if args.has("freeze") {
                guard c.from != nil else { throw args.error("freeze", "--freeze needs --from MODEL") }
                c.freezeEncoder = true
            }
            if args.has("validate") {
                let l = try args.list("validate")
                guard l.count == 2, case .volume(let vi) = l[0], case .volume(let vl) = l[1] else {
                    throw args.error("validate", "--validate takes [IMAGES, LABELS]")
                }
                c.validation = (vi, vl)
            }
            return .object(ModelValue(try train(images: images, labels: labels, config: c)))
        }
    ),
    Command(
        name: "infer", topic: .learning,
        summary: "probability map of a model (or an ensemble) on a volume",
        help: """
        Predicts every slice of IMAGES with MODEL, or with a list of models as an ensemble (their probabilities are
        averaged; they may use different frame counts, e.g. a 1-, 3- and 5-frame model). Slices of any size are
        processed in square tiles of --tile pixels overlapping by --overlap and blended with a smooth window, so
        memory is bounded by the tile. --tta 8 averages the 8 rotations/flips of every tile. The result is an f32
        volume in [0, 1] with the images' spacing.
        """,
        positionals: [
            .positional("model", .either([.model, .listOf(.model)]), "a model or a list of models (ensemble)"),
            .positional("images", .lazy(.volume), "the images to predict (a chunked volume runs slab by slab)"),
        ],
        options: [
            .option("tta", .choice(of: FoldCount.self), "test-time augmentation: 8 rotations/flips averaged", default: .string("1")),
            .option("tile", .int, "tile side in pixels", default: .number(512), in: .between(8, 4096)),
            .option("overlap", .int, "tile overlap in pixels", default: .number(32), in: .atLeast(0)),
        ],
        examples: [
            Example("p = phantom --size [2, 32, 32]; m = train $p.image $p.mask --depth 2 --width 4 --patch 16 --batch 2 --steps 1; infer $m $p.image --tta 8",
                    "predict with 8-fold test-time augmentation", expect: "f32"),
        ],
        run: { args, host in
            var models: [Model] = []
            switch args["model"] {
            case .object(let o)?:
                if let m = o as? ModelValue { models = [m.model] }
            case .list(let l)?:
                for v in l { if case .object(let o) = v, let m = o as? ModelValue { models.append(m.model) } }
            default: break
            }
            guard !models.isEmpty else { throw args.error("model", "expected a model or a list of models") }
            let tile = try args.int("tile"), overlap = try args.int("overlap"), tta = try args.choice("tta", as: FoldCount.self).rawValue
            if let c = args.chunked("images") {
                return .object(ChunkedValue(try blockCall(args) {
                    try Blockwise.infer(models: models, c, tile: tile, overlap: overlap, tta: tta)
                }))
            }
            let v = try args.volume("images")
            return .volume(try infer(models: models, volume: v, tile: tile, overlap: overlap, tta: tta))
        }
    ),
]

/// The networks `train --arch` can build.
enum NetworkKind: String, CaseIterable { case unet }

/// Consecutive slices a network sees as input channels (`train --frames`).
enum FrameCount: Int, CaseIterable { case one = 1, three = 3, five = 5 }

/// Rotations/flips used for training augmentation (`--augment`) and test-time averaging (`--tta`).
enum FoldCount: Int, CaseIterable { case one = 1, eight = 8 }

/// The part of a pretrained network `train --freeze` keeps fixed.
enum FrozenPart: String, CaseIterable { case encoder }
