// swift-tools-version:6.0
// emsh: a shell and scripting language for serial-block-face EM volumes.
// Floors, top to bottom (arrows point down only):
//   emsh → Shell → Language, Commands → Runtime, Blocks → VolumeIO, Learning → Kernels
// The C libraries sit behind system-library shims that only VolumeIO, Learning and Shell import.
import PackageDescription

let package = Package(
    name: "emsh",
    products: [
        .executable(name: "emsh", targets: ["emsh"]),
        .executable(name: "emsh-fuzz", targets: ["emsh-fuzz"]),
    ],
    targets: [
        // C libraries (module maps + small inline shims).
        .systemLibrary(name: "CReadline", path: "Sources/CReadline"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng16"),
        .systemLibrary(name: "CTIFF", path: "Sources/CTIFF", pkgConfig: "libtiff-4"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas"),
        // OME-Zarr chunk codecs (zlib/gzip come from libdeflate, linked through CTIFF).
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CBlosc", path: "Sources/CBlosc", pkgConfig: "blosc"),

        // libpng's low-level API behind a C function that owns the setjmp (longjmp must not cross Swift frames).
        .target(name: "PNGCodec", dependencies: ["CPNG"]),

        // The one copy of what every floor needs from the system: whole-file reads, atomic writes,
        // number and byte formatting, trimming and quoting, SplitMix64, the FNV digest, label colours,
        // index ranges. Imports only the C library.
        .target(name: "_Platform"),

        // Vector bodies (SSE2/AVX2/AVX-512, chosen at run time) for kernels Swift cannot express portably.
        // Optimised in debug builds too: the tests train networks through the convolution kernels here.
        .target(name: "KernelsSIMD", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        // The volume type and pure numeric code; imports only KernelsSIMD.
        .target(name: "Kernels", dependencies: ["_Platform", "KernelsSIMD"]),
        // PNG / TIFF / CSV / OME-Zarr readers and writers.
        .target(name: "VolumeIO", dependencies: ["_Platform", "Kernels", "CTIFF", "PNGCodec", "CZstd", "CBlosc"]),
        // Tensors, layers, U-Net, training and inference over OpenBLAS.
        .target(name: "Learning", dependencies: ["_Platform", "Kernels", "KernelsSIMD", "CBLAS"]),
        // Volumes larger than memory: block grids, block tasks, in-process and Slurm execution.
        .target(name: "Blocks", dependencies: ["_Platform", "Kernels", "VolumeIO", "Learning"]),
        // Values, the command declaration, argument coercion, errors.
        .target(name: "Runtime", dependencies: ["_Platform", "Kernels"], exclude: ["COMMANDS.md"]),
        // Lexer, parser, AST, diagnostics, interpreter.
        .target(name: "Language", dependencies: ["_Platform", "Kernels", "Runtime"]),
        // Every command, one file per topic, and the one registry list.
        .target(name: "Commands", dependencies: ["_Platform", "Runtime", "Kernels", "VolumeIO", "Learning", "Blocks"]),
        // REPL, completion, journal, script runner, CLI.
        .target(name: "Shell", dependencies: ["_Platform", "Kernels", "Language", "Commands", "Runtime", "Blocks", "CReadline"]),
        .executableTarget(name: "emsh", dependencies: ["Shell"]),

        // Fuzzing: the targets as a library (replayed by a test), and a libFuzzer driver (scripts/fuzz).
        .target(name: "CFuzzer"),
        .target(name: "FuzzTargets", dependencies: ["Kernels", "Runtime", "VolumeIO", "Learning", "Language", "Commands"]),
        .executableTarget(name: "emsh-fuzz", dependencies: ["FuzzTargets", "CFuzzer"]),

        // What every test target shares: the package root and temporary folders.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "KernelsTests", dependencies: ["_Platform", "Kernels", "KernelsSIMD"], exclude: ["Fixtures"]),
        .testTarget(name: "VolumeIOTests", dependencies: ["TestSupport", "_Platform", "VolumeIO", "Kernels", "CTIFF"]),
        .testTarget(name: "LearningTests", dependencies: ["_Platform", "Learning", "Kernels", "CBLAS"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime"]),
        .testTarget(name: "LanguageTests", dependencies: ["TestSupport", "_Platform", "Language", "Commands", "Runtime", "Kernels"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "CommandsTests", dependencies: ["TestSupport", "_Platform", "Commands", "Language", "Runtime", "Kernels"]),
        .testTarget(name: "ShellTests", dependencies: ["TestSupport", "_Platform", "Shell", "Commands", "Runtime", "Kernels"]),
        .testTarget(name: "FuzzTests", dependencies: ["TestSupport", "FuzzTargets"]),
        .testTarget(name: "BlocksTests", dependencies: ["TestSupport", "_Platform", "Blocks", "Kernels", "VolumeIO", "Learning"]),
    ]
)
