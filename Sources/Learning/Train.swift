import _Platform
import Foundation
import Kernels

/// How long to train.
public enum TrainDuration: Sendable, Equatable {
    case epochs(Int)
    case steps(Int)
    case minutes(Double)
}

/// Everything `train` needs besides the images and labels.
public struct TrainConfig: Sendable {
    /// The network (ignored when continuing `from` a model: its architecture is kept).
    public var architecture = Architecture()
    /// Square patch side in pixels (a multiple of 2^(depth−1); reduced to fit small slices).
    public var patch = 128
    public var batch = 8
    public var duration: TrainDuration = .epochs(10)
    /// Peak learning rate: linear warm-up over the first 5 %, then cosine decay to 1 %.
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 1e-4
    /// 8 = random rotations/flips (and z-flip for multi-frame input); 1 = none.
    public var augment = 8
    /// Intensity and geometry augmentation and foreground oversampling (`augment` sets its rotations/flips).
    public var augmentation = Augmentation()
    /// Weight of foreground pixels in the cross-entropy.
    public var positiveWeight: Float = 1
    /// Weight of the (1 − soft Dice) term.
    public var diceWeight: Float = 1
    public var seed: UInt64 = 0
    /// Validation images and labels: validation F after every epoch, the best epoch's weights kept.
    public var validation: (images: Volume, labels: Volume)? = nil
    /// Continue training this model (transfer learning).
    public var from: Model? = nil
    /// Keep the contracting path (encoder blocks and bottleneck) fixed.
    public var freezeEncoder = false
    /// Tile used for validation inference (whole slices up to this size: fewer pixels than overlapping tiles).
    public var validationTile = 1024

    public init() {}
}

/// Trains a U-Net on `images` (any voxel type) and `labels` (non-zero = foreground) of the same shape.
///
/// Random square patches (half of them around a foreground pixel) with random rotations/flips, any-angle rotation and
/// scaling, and grey-level jitter, noise and blur (`Augmentation`); sigmoid + cross-entropy + Dice loss; AdamW with a
/// cosine schedule; per-epoch validation F (fscore's rule) when validation data is given, keeping the best
/// epoch. Same seed and thread count give identical weights (for epochs/steps; minutes depends on speed).
/// Ctrl-C (`Cancellation`) ends training early and returns the model trained so far.
///
///     var c = TrainConfig(); c.duration = .minutes(15); c.validation = (valImages, valLabels)
///     let model = try train(images: img, labels: lab, config: c)
public func train(images: Volume, labels: Volume, config: TrainConfig) throws -> Model {
    guard images.shape == labels.shape else {
        throw LearningError.invalid("train: images \(images.shape) and labels \(labels.shape) differ in shape")
    }
    guard images.count > 0 else { throw LearningError.invalid("train: the images are empty") }
    guard config.batch >= 1, config.batch <= 256 else { throw LearningError.invalid("batch must be 1…256 (got \(config.batch))") }
    guard config.augment == 1 || config.augment == 8 else { throw LearningError.invalid("augment must be 1 or 8 (got \(config.augment))") }
    try config.augmentation.validate()
    guard config.learningRate > 0, config.learningRate <= 10 else {
        throw LearningError.invalid("lr must be above 0 and at most 10 (got \(config.learningRate))")
    }
    switch config.duration {
    case .epochs(let n): guard n >= 1 else { throw LearningError.invalid("epochs must be at least 1") }
    case .steps(let n): guard n >= 1 else { throw LearningError.invalid("steps must be at least 1") }
    case .minutes(let m):
        guard m > 0, m <= 1_000_000 else { throw LearningError.invalid("minutes must be above 0 and at most 1000000 (got \(m))") }
    }
    try requireFinite(images, what: "train: the training images")
    if let v = config.validation { try requireFinite(v.images, what: "train: the validation images") }
    if let v = config.validation, v.images.shape != v.labels.shape {
        throw LearningError.invalid("train: validation images \(v.images.shape) and labels \(v.labels.shape) differ in shape")
    }
    BLAS.configure()

    // The network: fresh or continued.
    let arch = config.from?.architecture ?? config.architecture
    try arch.validate()
    var model: Model
    let net: UNet
    if let from = config.from {
        model = from
        net = try from.makeNetwork()
        model.record.generations += 1
    } else {
        model = Model(name: "unet", architecture: arch, inputMean: 0, inputStd: 1, record: TrainingRecord(), tensors: [])
        net = UNet(arch)
        net.initialise(seed: config.seed)
    }
    net.freezeEncoder = config.freezeEncoder
    model.record.seed = config.seed

    // Data: a binned network trains on the block means and the blocks' majority labels.
    let binned = arch.bin > 1
    let allSlices = Array(0..<images.shape.z)
    let trainImages = binned ? try binnedSlices(images, slices: allSlices, bin: arch.bin) : images
    let trainLabels = binned ? try binnedSlices(labels, slices: allSlices, bin: arch.bin, majority: true) : labels
    let stats = intensityStatistics(trainImages)
    model.inputMean = stats.mean; model.inputStd = stats.std
    let data = try FloatVolume(trainImages, mean: stats.mean, std: stats.std, what: "training images")
    try MemoryBudget.check(trainLabels.count * 4, what: "training labels")
    let truth = foreground(trainLabels)
    let shape = trainImages.shape
    let m = arch.sizeMultiple
    let p = min(config.patch, shape.y, shape.x) / m * m
    guard p >= m else {
        if config.patch < m {
            throw LearningError.invalid("train: --patch \(config.patch) is smaller than this network's smallest patch, \(m) (2^(depth − 1))")
        }
        let binning = binned ? " (binned \(arch.bin)×\(arch.bin))" : ""
        throw LearningError.invalid("train: slices of \(shape.y)×\(shape.x)\(binning) are smaller than the network's minimum patch \(m)")
    }
    let batch = config.batch
    try MemoryBudget.check(arch.activationBytes(batch: batch, size: p), what: "training a batch of \(batch) patches of \(p)²")
    let stepsPerEpoch = max(1, (shape.count + batch * p * p - 1) / (batch * p * p))
    let totalSteps: Int? = switch config.duration {
    case .epochs(let n): n * stepsPerEpoch
    case .steps(let n): n
    case .minutes: nil
    }
    let limit: Double? = if case .minutes(let mins) = config.duration { mins * 60 } else { nil }

    let input = Tensor(batch, arch.frames, p, p)
    let target = Tensor(batch, 1, p, p)
    let grad = Tensor()
    let loss = SegmentationLoss(positiveWeight: config.positiveWeight, diceWeight: config.diceWeight)
    var optimizer = AdamW(weightDecay: config.weightDecay)
    let params = net.params
    var augmentation = config.augmentation
    augmentation.dihedral = config.augment == 8
    var sampler = PatchSampler(data: data.data, truth: truth, shape: shape, frames: arch.frames, patch: p,
                               augmentation: augmentation, seed: config.seed)

    let validation: (images: Volume, labels: Volume)? = config.validation
    var best: (f: Double, epoch: Int, weights: [[Float]])? = nil

    let progressTotal = totalSteps ?? Int(limit ?? 1)
    // A time limit counts seconds, not steps.
    let progress = Kernels.Progress(label: "train", total: progressTotal, unit: totalSteps == nil ? "s" : "")
    defer { progress.finish() }
    let start = DispatchTime.now().uptimeNanoseconds
    func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    var step = 0
    var epochLossSum = 0.0, epochSteps = 0
    var epoch = 0
    let epochsTotal: Int? = totalSteps.map { ($0 + stepsPerEpoch - 1) / stepsPerEpoch }

    func endEpoch() throws {
        guard epochSteps > 0 else { return }
        epoch += 1
        model.record.epochLoss.append(epochLossSum / Double(epochSteps))
        epochLossSum = 0; epochSteps = 0
        if let v = validation {
            let pred = Predictor(net: net, mean: stats.mean, std: stats.std)
            let prob = try predict([pred], volume: v.images, tile: config.validationTile, overlap: 32, tta: 1, progress: nil)
            let f = (try? fscore(prob: prob, labels: v.labels).f) ?? 0
            model.record.validationF.append(f)
            if best == nil || f > best!.f {
                best = (f, epoch, params.map(\.value.array))
            }
        }
    }

    do {
        while true {
            if let totalSteps, step >= totalSteps { break }
            if let limit, elapsed() >= limit { break }
            try Cancellation.check()
            // Schedule position in [0, 1].
            let frac: Double = if let totalSteps { Double(step) / Double(totalSteps) } else { elapsed() / (limit ?? 1) }
            let lr = config.learningRate * Float(learningRateFactor(min(frac, 1)))

            // A batch of random, augmented patches.
            sampler.fill(input: input, target: target)
            net.zeroGrad()
            let logits = net.forward(input)
            // Ctrl-C between the passes drops this unfinished step (the weights are still the last step's).
            try Cancellation.check()
            let l = loss.evaluate(logits: logits, target: target.pointer, grad: grad)
            net.backward(grad)
            try Cancellation.check()
            optimizer.update(params, lr: lr)
            step += 1
            model.record.steps += 1
            epochLossSum += Double(l); epochSteps += 1

            let secs = elapsed()
            let rate = Double(step) / max(secs, 1e-9)
            let epochText = epochsTotal.map { "epoch \(epoch + 1)/\($0)" } ?? "epoch \(epoch + 1)"
            let detail = "\(epochText) · loss \(fixed(Double(l), 4)) · \(fixed(rate, 1)) steps/s"
                + (model.record.validationF.last.map { " · val F \(fixed($0, 3))" } ?? "")
            if limit != nil { progress.set(min(Int(secs), progressTotal), detail: detail) } else { progress.advance(detail: detail) }
            if step % stepsPerEpoch == 0 { try endEpoch() }
        }
        try endEpoch()
        if limit != nil { progress.set(progressTotal) }  // the time is up: the bar ends at 100 %
    } catch is CancelledError {
        // Ctrl-C: keep what was trained so far (the partial epoch's loss, no validation).
        if epochSteps > 0 { model.record.epochLoss.append(epochLossSum / Double(epochSteps)) }
    }
    model.record.seconds += elapsed()
    if let best {
        for (p, w) in zip(params, best.weights) { p.value.copy(from: w) }
        model.record.bestEpoch = best.epoch
    }
    model.capture(net)
    return model
}

/// Linear warm-up over the first 5 % of training, then cosine decay from 1 to 0.01.
func learningRateFactor(_ t: Double) -> Double {
    let warm = 0.05
    if t < warm { return 0.1 + 0.9 * t / warm }
    let u = (t - warm) / (1 - warm)
    return 0.01 + 0.99 * 0.5 * (1 + cos(Double.pi * u))
}
