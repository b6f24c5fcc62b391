import Kernels
import VolumeIO

/// `fit` pass 1 (and `stats`): per-object moments and border flags of every block.
struct FitMomentsTask: BlockTask {
    static let kind = "fit-moments"
    let grid: BlockGrid
    let input: StoreRef
    var label: String { "fit 1/2" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open()
        let global = src.shape
        return { b in
            let box = grid.box(b)
            return FitMomentsTask.partial(try fitMoments(try src.read(box), origin: box.origin, global: global))
        }
    }

    static func moments(_ p: Partial) -> FitMoments {
        var m = FitMoments()
        m.ids = p["ids"].map { UInt32($0) }
        m.sums = p["sums"]
        m.border = p["border"].map { $0 != 0 ? 1 : 0 }
        return m
    }

    static func partial(_ m: FitMoments) -> Partial {
        var p = Partial()
        p["ids"] = m.ids.map { Double($0) }
        p["sums"] = m.sums
        p["border"] = m.border.map { Double($0) }
        return p
    }
}

/// `fit` pass 2: per-object surface sums of every block, read with a one-voxel halo, in the
/// frames of the merged moments (kept in a file of the job).
struct FitSurfacesTask: BlockTask {
    static let kind = "fit-surfaces"
    let grid: BlockGrid
    let input: StoreRef
    let momentsFile: String
    var label: String { "fit 2/2" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let src = try input.open()
        let global = src.shape
        let moments = try Partial(jobFile: momentsFile, missing: "the merged moments are missing")
        let frames = FitFrames(FitMomentsTask.moments(moments), spacing: src.spacing)
        return { b in
            let box = grid.box(b)
            let outer = box.grown(by: (1, 1, 1), within: global)
            let s = try fitSurfaces(try src.read(outer), core: box.relative(to: outer), origin: outer.origin,
                                    global: global, frames: frames)
            var p = Partial()
            p["ids"] = s.ids.map { Double($0) }
            p["sums"] = s.sums
            return p
        }
    }

    /// A block's result read back.
    static func surfaces(_ p: Partial) -> FitSurfaces {
        var s = FitSurfaces()
        s.ids = p["ids"].map { UInt32($0) }
        s.sums = p["sums"]
        return s
    }
}
