import Foundation
import Testing

/// The deployment files cannot be run here (no container engine, no cluster), so they are kept honest by checks:
/// every configuration variable they name is one `ecofund` reads, and they agree with it on port and health paths.
@Suite struct DeployFilesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// The files under Deploy/, as (path, text).
    static func deployFiles() throws -> [(String, String)] {
        let deploy = root.appendingPathComponent("Deploy")
        let enumerator = try #require(FileManager.default.enumerator(at: deploy, includingPropertiesForKeys: nil))
        var files: [(String, String)] = []
        for case let url as URL in enumerator where !url.hasDirectoryPath {
            if let text = try? String(contentsOf: url, encoding: .utf8) {
                files.append((url.path.replacingOccurrences(of: root.path + "/", with: ""), text))
            }
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// `DATABASE_…`, `ECOFUND_…` and `LOG_…` names in a text.
    static func variables(in text: String) -> Set<String> {
        let pattern = try! Regex(#"\b(?:DATABASE|ECOFUND|LOG)_[A-Z_]*[A-Z]\b"#)
        return Set(text.matches(of: pattern).map { String(text[$0.range]) })
    }

    @Test func everyVariableTheDeployFilesNameIsOneTheServiceReads() throws {
        // What the service reads: `values["NAME"]`, `environment["NAME"]` or `integer("NAME"` anywhere in Sources/.
        var read = Set<String>()
        let sources = try #require(
            FileManager.default.enumerator(
                at: Self.root.appendingPathComponent("Sources"), includingPropertiesForKeys: nil))
        let lookup = try Regex(#"(?:values\[|environment\[|integer\(\s*)"([A-Z_]+)""#)
        for case let url as URL in sources where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for match in text.matches(of: lookup) {
                if let name = match.output[1].substring { read.insert(String(name)) }
            }
        }
        #expect(
            read.isSuperset(of: ["DATABASE_URL", "DATABASE_READ_URL", "ECOFUND_SIGNING_KEY", "LOG_FORMAT"]), "\(read)")
        let files = try Self.deployFiles()
        #expect(files.count >= 7, "\(files.map(\.0))")
        for (path, text) in files {
            let unknown = Self.variables(in: text).subtracting(read)
            #expect(unknown.isEmpty, "\(path) names \(unknown.sorted()), which ecofund does not read")
        }
        // And each variable the service reads is explained to operators.
        let readme = try Self.text("Deploy/README.md")
        for name in read { #expect(readme.contains(name), "Deploy/README.md does not explain \(name)") }
    }

    @Test func portsAndHealthPathsAgreeWithTheService() throws {
        let kubernetes = try Self.text("Deploy/kubernetes/ecofund.yaml")
        #expect(kubernetes.contains("path: /healthz") && kubernetes.contains("path: /readyz"))
        #expect(kubernetes.contains("containerPort: 8080") && kubernetes.contains("prometheus.io/path: /metrics"))
        #expect(kubernetes.contains("containerPort: 9464") && kubernetes.contains(#"prometheus.io/port: "9464""#))
        let container = try Self.text("Deploy/Containerfile")
        #expect(container.contains("EXPOSE 8080") && container.contains("http://127.0.0.1:8080/readyz"))
        #expect(try Self.text("Deploy/compose.yaml").contains("8080:8080"))
        // The routes the probes call are the service's own.
        let openapi = try Self.text("Sources/EcoFundAPI/openapi.yaml")
        #expect(openapi.contains("  /healthz:") && openapi.contains("  /readyz:"))
        #expect(try Self.text("Sources/EcoFundAPI/Application.swift").contains(#"router.get("metrics")"#))
    }
}
