// swift-tools-version:6.0
import PackageDescription

let tools = ["mkgefs", "gefs-fsck", "gefs-logdump", "gefs-arenadump", "gefs-replay", "gefs-restore"]

let package = Package(
    name: "gefs-tools",
    products: [.library(name: "GefsCore", targets: ["GefsCore"])]
        + tools.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        // gefs9.00's hash (FORMAT-9FRONT.md §2): a C entry point over Debian's libmetrohash-dev.
        .target(name: "CMetroHash", linkerSettings: [.linkedLibrary("metrohash")]),
        .target(
            name: "GefsCore",
            dependencies: [
                "CXXHash", "CMetroHash",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .target(
            name: "ToolSupport",
            dependencies: [
                "GefsCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ] + tools.map {
        .executableTarget(
            name: $0,
            dependencies: [
                "GefsCore", "ToolSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        )
    } + [
        // Fuzz targets (scripts/fuzz.sh builds gefs-fuzz with --sanitize=fuzzer -D GEFS_FUZZ).
        .target(name: "GefsFuzz", dependencies: ["GefsCore"]),
        .executableTarget(name: "gefs-fuzz", dependencies: ["GefsCore", "GefsFuzz"]),
        // Seeded synthetic inputs (long allocation logs) shared by the tests and gefs-bench-log.
        .target(name: "GefsSynthetic", dependencies: ["GefsCore"]),
        .target(name: "TestSupport", dependencies: ["GefsCore", "GefsSynthetic"], path: "Tests/TestSupport"),
        .testTarget(name: "GefsCoreTests", dependencies: ["GefsCore", "GefsSynthetic", "TestSupport", "GefsFuzz"]),
        .testTarget(
            name: "ToolTests",
            dependencies: ["GefsCore", "TestSupport", "ToolSupport"] + tools.map { .target(name: $0) }
        ),
    ],
    swiftLanguageModes: [.v5]
)

// scripts/bench.sh's input generator: a one-arena image with a long allocation log. Not a product.
package.targets.append(.executableTarget(name: "gefs-bench-log", dependencies: ["GefsCore", "GefsSynthetic"]))

// scripts/bench.sh's hash floor: a format's block hash over a file on one core. Not a product.
package.targets.append(.executableTarget(name: "gefs-bench-hash", dependencies: ["GefsCore"]))
