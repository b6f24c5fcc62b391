// swift-tools-version:6.0
// emsh: a shell and scripting language for serial-block-face EM volumes.
// Floors, top to bottom (arrows point down only):
//   emsh → Shell → Language, Commands → Runtime, VolumeIO, Learning, Blocks → Kernels
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

        // libpng's low-level API behind a C function that owns the setjmp (longjmp must not cross Swift frames).
        .target(name: "PNGCodec", dependencies: ["CPNG"]),

        // Vector bodies (SSE2/AVX2, chosen at run time) for kernels Swift cannot express portably.
        .target(name: "KernelsSIMD"),
        // The volume type and pure numeric code; imports only KernelsSIMD.
        .target(name: "Kernels", dependencies: ["KernelsSIMD"]),
        // PNG / TIFF / CSV readers and writers.
        .target(name: "VolumeIO", dependencies: ["Kernels", "CPNG", "CTIFF", "PNGCodec"]),
        // Tensors, layers, U-Net, training and inference over OpenBLAS.
        .target(name: "Learning", dependencies: ["Kernels", "CBLAS"]),
        // Values, the command declaration, argument coercion, errors.
        .target(name: "Runtime", dependencies: ["Kernels"], exclude: ["COMMANDS.md"]),
        // Lexer, parser, AST, diagnostics, interpreter.
        .target(name: "Language", dependencies: ["Runtime"]),
        // Every command, one file per topic, and the one registry list.
        .target(name: "Commands", dependencies: ["Runtime", "Kernels", "VolumeIO", "Learning"]),
        // REPL, completion, journal, script runner, CLI.
        .target(name: "Shell", dependencies: ["Language", "Commands", "Runtime", "CReadline"]),
        .executableTarget(name: "emsh", dependencies: ["Shell"]),
        // Block-wise execution: subprocesses and the Slurm job-array executor.
        .target(name: "Blocks", dependencies: ["Kernels"]),

        // Fuzzing: the targets as a library (replayed by a test), and a libFuzzer driver (scripts/fuzz).
        .target(name: "CFuzzer"),
        .target(name: "FuzzTargets", dependencies: ["Kernels", "Runtime", "VolumeIO", "Learning", "Language", "Commands"]),
        .executableTarget(name: "emsh-fuzz", dependencies: ["FuzzTargets", "CFuzzer"]),

        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "KernelsSIMD"], exclude: ["Fixtures"]),
        .testTarget(name: "VolumeIOTests", dependencies: ["VolumeIO", "Kernels"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Kernels"]),
        .testTarget(name: "LanguageTests", dependencies: ["Language", "Commands", "Runtime", "Shell"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "CommandsTests", dependencies: ["Commands", "Language", "Runtime", "Kernels"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell"]),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "BlocksTests", dependencies: ["Blocks"]),
    ]
)
