// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "abuse-ingest",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "abuse-ingest", targets: ["AbuseIngest"]),
        .executable(name: "abuse-bench", targets: ["AbuseBench"]),
        .executable(name: "abuse-fuzz", targets: ["AbuseFuzz"]),
        .library(name: "Primitives", targets: ["Primitives"]),
        .library(name: "LogParsers", targets: ["LogParsers"]),
        .library(name: "RegistryClient", targets: ["RegistryClient"]),
        .library(name: "EnforcementEngine", targets: ["EnforcementEngine"]),
        .library(name: "Evidence", targets: ["Evidence"]),
        .library(name: "RegistryServer", targets: ["RegistryServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The service (serve) and its client (ship).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // The staff review UI: bcrypt and TOTP, and server-rendered templates.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // PostgreSQL as the shared store of several hosts (issue 17); SQLite stays the default.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "SystemZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "SystemIsal", providers: [.apt(["libisal-dev"])]),
        // Streams ISPs ship beside gzip (FORMATS.md §10), told apart by their magic bytes.
        .systemLibrary(name: "SystemZstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "SystemLzma", providers: [.apt(["liblzma-dev"])]),
        .systemLibrary(name: "SystemBzip2", providers: [.apt(["libbz2-dev"])]),
        // Header only: the compiler's prefetch hint, which Swift does not expose.
        .systemLibrary(name: "CPrefetch"),
        .systemLibrary(name: "CBatchSocket"),
        // AF_XDP sockets and their XDP program (`serve-dns --xdp`): the kernel's ring ABI.
        .target(name: "CXDPSocket"),
        // Header only: Linux's sync_file_range (writeback of uploads while they arrive).
        .systemLibrary(name: "CFileSync"),
        // Values every module shares: addresses, networks, times, JSON, digests, the clock.
        .target(name: "Primitives", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LogParsers", dependencies: ["Primitives", "SystemZlib", "SystemIsal", "SystemZstd", "SystemLzma", "SystemBzip2"]),
        .target(
            name: "RegistryClient",
            dependencies: [
                "Primitives", "CPrefetch", "CBatchSocket", "CXDPSocket",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "EnforcementEngine",
            dependencies: [
                "Primitives", "LogParsers", "RegistryClient", "SystemZlib", "SystemIsal", "CPrefetch",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Evidence bundles: export, reports (ARF, X-ARF), signing, verification, zip.
        .target(
            name: "Evidence",
            dependencies: [
                "Primitives", "LogParsers", "RegistryClient", "EnforcementEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        // The registry as one service (serve): HTTP intake for ISPs and its client (ship),
        // the ingest worker, evaluation, rules reloads, DNS, metrics, public lookups.
        .target(
            name: "RegistryServer",
            dependencies: [
                "Primitives", "LogParsers", "RegistryClient", "EnforcementEngine", "CFileSync",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                "Evidence",
            ]
        ),
        // The demo's world and its deterministic generator (demo, tests, benchmarks).
        .target(
            name: "Demo",
            dependencies: ["Primitives", "LogParsers", "RegistryClient", "EnforcementEngine", "Evidence", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "AbuseIngest",
            dependencies: [
                "Primitives", "LogParsers", "RegistryClient", "EnforcementEngine", "Evidence", "Demo", "RegistryServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "AbuseBench",
            dependencies: [
                "Primitives", "LogParsers", "SystemZlib", "RegistryClient", "EnforcementEngine", "Demo",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/AbuseBench"
        ),
        // Fuzz targets (scripts/fuzz builds abuse-fuzz with -sanitize=fuzzer,address).
        .target(name: "FuzzTargets", dependencies: ["LogParsers", "RegistryClient", "EnforcementEngine"], path: "Fuzz/FuzzTargets"),
        .executableTarget(name: "AbuseFuzz", dependencies: ["FuzzTargets"], path: "Fuzz/AbuseFuzz"),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "TestSupport"]),
        .testTarget(
            name: "LogParsersTests",
            dependencies: ["LogParsers", "Primitives", "TestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EnforcementTests",
            dependencies: [
                "EnforcementEngine", "Evidence", "Demo", "TestSupport", .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(name: "IngestTests", dependencies: ["EnforcementEngine", "Demo", "AbuseIngest", "TestSupport"]),
        .testTarget(name: "RegistryClientTests", dependencies: ["RegistryClient", "TestSupport"]),
        .target(
            name: "TestSupport",
            dependencies: [
                "RegistryClient", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "RegistryServerTests",
            dependencies: [
                "RegistryServer", "EnforcementEngine", "Primitives", "AbuseIngest", "TestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(
            name: "AbuseIngestCLITests", dependencies: ["AbuseIngest", "EnforcementEngine", "Demo", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
