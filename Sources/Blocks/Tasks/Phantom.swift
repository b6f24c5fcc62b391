import Kernels
import VolumeIO

/// A phantom rendered straight into stores, block by block (every voxel depends only on its place):
/// the image, the labels in placement order (renumbered afterwards when some placed objects are
/// hidden), the mask and the contour (from a block rendered with a halo of the contour's width).
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
        let w = PhantomDefaults.contourWidth
        return { b in
            let box = grid.box(b)
            let outer = box.grown(by: (0, w, w), within: renderer.size)
            let (wideImage, wideLabels) = try renderer.render(outer)
            let core = box.relative(to: outer)
            let img = try crop(wideImage, z: core.z, y: core.y, x: core.x)
            let lab = try crop(wideLabels, z: core.z, y: core.y, x: core.x)
            try stores[0].write(img, at: box)
            try stores[1].write(lab, at: box)
            try stores[2].write(try voxelwise(.gt, lab, 0, scalarOnLeft: false), at: box)
            // The contour works slice by slice within `w` voxels and only compares labels, so the
            // placement ids and a halo of w serve.
            let outline = try Kernels.contour(wideLabels, width: w)
            try stores[3].write(try crop(outline, z: core.z, y: core.y, x: core.x), at: box)
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
