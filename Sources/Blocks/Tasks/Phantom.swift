import Kernels
import VolumeIO

/// A phantom rendered straight into stores, slab by slab: the image, the labels in placement
/// order (renumbered afterwards when some placed objects are hidden), the mask and the contour.
struct PhantomTask: BlockTask {
    static let kind = "phantom"
    let grid: BlockGrid
    let size: [Int]
    let seed: UInt64
    let drift: Double
    let spacing: [Double]
    let image: StoreRef
    let labels: StoreRef
    let mask: StoreRef
    let contour: StoreRef
    var label: String { "phantom" }

    func makeRunner() throws -> @Sendable (Int) throws -> Partial? {
        let stores = try [image, labels, mask, contour].map { try $0.open() }
        let renderer = PhantomRenderer(size: Shape(z: size[0], y: size[1], x: size[2]), seed: seed, drift: drift,
                                       spacing: Spacing(x: spacing[0], y: spacing[1], z: spacing[2]))
        return { b in
            let box = grid.box(b)
            let (img, lab) = try renderer.render(slices: box.z)
            try stores[0].write(img, at: box)
            try stores[1].write(lab, at: box)
            try stores[2].write(try voxelwise(.gt, lab, 0, scalarOnLeft: false), at: box)
            // The contour works slice by slice and only compares labels, so placement ids serve.
            try stores[3].write(try Kernels.contour(lab, width: PhantomDefaults.contourWidth), at: box)
            // The placement ids present in this slab.
            var present = Set<UInt32>()
            if let p = lab.u32?.pointer {
                var last: UInt32 = 0
                for i in 0..<lab.count where p[i] != last { last = p[i]; if last != 0 { present.insert(last) } }
            }
            var r = Partial()
            r["present"] = present.sorted().map { Double($0) }
            return r
        }
    }
}
