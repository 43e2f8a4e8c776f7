// swift-tools-version:6.0
import PackageDescription

/// Our targets build with every warning as an error (dependencies keep their own settings).
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny"), .unsafeFlags(["-warnings-as-errors"])]

let package = Package(
    name: "EcoFundLedger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ecofund", targets: ["ecofund"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // libpq, for the one job PostgresNIO cannot do: streaming COPY … TO STDOUT out of PostgreSQL (the export).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // libqrencode, for the QR code a person scans to set up their second factor (drawn as SVG by the console).
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        // GMP (Debian's libgmp-dev), to write exact fractions in lowest terms: its gcd is what lets a preview of a
        // large rule write its derivations in well under a second.
        .target(name: "CFraction", linkerSettings: [.linkedLibrary("gmp")]),
        .target(
            name: "EcoFundCore",
            dependencies: [
                "CFraction",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "BigInt", package: "BigInt"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EcoFundStore",
            dependencies: [
                "EcoFundCore",
                "CLibPQ",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: strict
        ),
        // The web pages for people: server-rendered from Mustache templates, on the same Store services as the API.
        .target(
            name: "EcoFundConsole",
            dependencies: [
                "EcoFundCore",
                "EcoFundStore",
                "EcoFundAudit",
                "EcoFundExport",
                "CQRencode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates"), .copy("Assets"), .copy("Catalogs")],
            swiftSettings: strict
        ),
        .target(
            name: "EcoFundAPI",
            dependencies: [
                "EcoFundCore",
                "EcoFundStore",
                "EcoFundExport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // The export's format, the offline verifier and the report: nothing that reaches a database, so that
        // `ecofund verify` runs on an auditor's machine with the archive alone.
        .target(
            name: "EcoFundAudit",
            dependencies: [
                "EcoFundCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: strict
        ),
        // The export's writer: the Store's snapshot in the Audit format, streamed as a ZIP.
        .target(
            name: "EcoFundExport",
            dependencies: [
                "EcoFundAudit",
                "EcoFundCore",
                "EcoFundStore",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ecofund",
            dependencies: [
                "EcoFundAPI",
                "EcoFundConsole",
                "EcoFundAudit",
                "EcoFundStore",
                "EcoFundExport",
                "EcoFundCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "EcoFundTesting",
            dependencies: [
                "EcoFundStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/EcoFundTesting",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EcoFundExportTests",
            dependencies: [
                "EcoFundAudit",
                "EcoFundExport",
                "EcoFundCore",
                "EcoFundStore",
                "EcoFundTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EcoFundCoreTests",
            dependencies: [
                "EcoFundCore", .product(name: "BigInt", package: "BigInt"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The repository's own rules: what may live where, and the deployment files against the code.
        .testTarget(name: "EcoFundLayoutTests", swiftSettings: strict),
        .testTarget(
            name: "EcoFundStoreTests",
            dependencies: ["EcoFundStore", "EcoFundTesting", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EcoFundConsoleTests",
            dependencies: [
                "EcoFundConsole",
                "EcoFundAPI",
                "EcoFundStore",
                "EcoFundTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EcoFundAPITests",
            dependencies: [
                "EcoFundAPI",
                "EcoFundAudit",
                "EcoFundStore",
                "EcoFundExport",
                "EcoFundTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
