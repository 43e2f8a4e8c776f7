import Crypto
import EcoFundAPI
import EcoFundStore
import EcoFundTesting
import Foundation
import HTTPTypes
import Logging
import Synchronization
import Testing

/// What an operator relies on: `/metrics`, request ids, JSON log lines, and reports read through `DATABASE_READ_URL`.
@Suite struct OperationsTests {
    /// The value of one sample line of a Prometheus exposition (`name{labels} value`), if present.
    static func sample(_ exposition: String, _ series: String) -> String? {
        exposition.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map {
            String($0.dropFirst(series.count + 1))
        }
    }

    @Test func metricsCountRequestsByRouteAndReadTheLedgerAndTheSealer() async throws {
        try await APIHarness.with { api in
            for index in 0..<3 {
                let reply = try await api.call(
                    .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "m-\(index)",
                    json: APIHarness.contribution(amount: "10.00", reference: "M-\(index)"))
                #expect(reply.status == 201)
            }
            let missing = try await api.call(.get, "/v1/contributions/\(UUID())", token: api.tokens.auditor)
            #expect(missing.status == 404)
            // Not on the API's port: on a listener of its own.
            #expect(try await api.call(.get, "/metrics", token: nil).status == 404)
            let scrape = try await api.call(.get, "/metrics", token: nil, port: api.metricsPort)
            #expect(scrape.status == 200)
            #expect(scrape.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(decoding: scrape.body, as: UTF8.self)
            #expect(
                Self.sample(text, #"ecofund_http_requests_total{method="POST",route="/v1/contributions",status="201"}"#)
                    == "3", "\(text)")
            // A path's id is not a label of its own: the route's pattern is.
            #expect(text.contains(#"route="/v1/contributions/{id}",status="404"} 1"#), "\(text)")
            // Gauges are written as Prometheus floats: "3.0".
            #expect(!text.contains(#"route="/v1/contributions/\#(UUID())"#))
            #expect(
                text.contains(
                    #"ecofund_http_request_duration_seconds_count{method="POST",route="/v1/contributions"} 3"#))
            // Counted by the database as entries are written (Schema/009), not per scrape.
            #expect(Self.sample(text, #"ecofund_ledger_entries{kind="contribution"}"#) == "3.0")
            #expect(Self.sample(text, #"ecofund_ledger_entries{kind="payment"}"#) == "0.0")
            // No server here runs the sealer, so every event is waiting for it.
            let events = try await api.count("audit_events")
            #expect(Self.sample(text, "ecofund_audit_unsealed_events") == "\(events).0")
            #expect(Self.sample(text, "ecofund_db_up") == "1.0")
            #expect(Self.sample(text, "ecofund_db_pool_connections_max") == "\(Database.connectionsMaxDefault).0")
            #expect(Self.sample(text, "ecofund_db_pool_waiting") == "0.0")
            // The counters move.
            _ = try await api.call(
                .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "m-3",
                json: APIHarness.contribution(amount: "10.00", reference: "M-3"))
            let again = String(
                decoding: try await api.call(.get, "/metrics", token: nil, port: api.metricsPort).body, as: UTF8.self)
            #expect(
                Self.sample(
                    again, #"ecofund_http_requests_total{method="POST",route="/v1/contributions",status="201"}"#)
                    == "4")
            #expect(Self.sample(again, #"ecofund_ledger_entries{kind="contribution"}"#) == "4.0")
        }
    }

    @Test func everyResponseCarriesARequestIdAndASensibleOneIsKept() async throws {
        try await APIHarness.with { api in
            let fresh = try await api.call(.get, "/healthz", token: nil)
            let id = try #require(fresh.headers[HTTPField.Name("X-Request-Id")!])
            #expect(UUID(uuidString: id) != nil)
            let kept = try await api.call(
                .get, "/v1/jurisdictions", token: api.tokens.auditor,
                headers: [HTTPField.Name("X-Request-Id")!: "lb-7f3a.2"])
            #expect(kept.headers[HTTPField.Name("X-Request-Id")!] == "lb-7f3a.2")
            let replaced = try await api.call(
                .get, "/v1/jurisdictions", token: api.tokens.auditor,
                headers: [HTTPField.Name("X-Request-Id")!: "a\"b"])
            #expect(UUID(uuidString: replaced.headers[HTTPField.Name("X-Request-Id")!] ?? "") != nil)
        }
    }

    /// With `DATABASE_READ_URL` set, the trial balance and the audit export are read there, while writes go to
    /// `DATABASE_URL`. The read database here is another, empty one, so the answers differ from the books'.
    @Test func reportsAndExportsAreReadThroughTheReadURL() async throws {
        try await TestDatabase.with { replica in
            try await APIHarness.with(
                signingKey: Curve25519.Signing.PrivateKey().rawRepresentation, readDatabaseURL: replica.appURL
            ) { api in
                #expect(
                    try await api.call(
                        .post, "/v1/contributions", token: api.tokens.financeBeijing, key: "r-1",
                        json: APIHarness.contribution(amount: "500.00", reference: "READ-URL-1")
                    ).status == 201)
                #expect(try await api.balanceFen("fund:cash") == 50_000)
                let trial = try await api.call(.get, "/v1/reports/trial-balance", token: api.tokens.auditor)
                #expect(trial.status == 200)
                #expect((trial.json["totalDebit"] as? [String: Any])?["amount"] as? String == "0.00")
                // Exported from the books, the sealed contribution would be in the archive.
                let export = try await api.call(.get, "/v1/audit/export", token: api.tokens.auditor)
                #expect(export.status != 500)
                #expect(!String(decoding: export.body, as: UTF8.self).contains("READ-URL-1"), "\(export.status)")
            }
        }
    }
}

@Suite struct JSONLogHandlerTests {
    /// Each record is one line holding one JSON object, with the request id of the request it was written under;
    /// line breaks and quotes in messages and metadata stay inside their strings.
    @Test func eachRecordIsOneJSONObjectOnOneLine() throws {
        let lines = Mutex<[String]>([])
        let writer = LineWriter { line in lines.withLock { $0.append(String(decoding: line, as: UTF8.self)) } }
        var logger = Logger(label: "ecofund") { label in JSONLogHandler(label: label, output: writer) }
        logger[metadataKey: "server"] = "a"
        logger.info("plain")
        RequestScope.$requestID.withValue("req-1") {
            logger.warning(
                "two\nlines \"quoted\"", metadata: ["status": "503", "nested": ["k": .array(["x", "y\u{1}"])]])
        }
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().firstIndex(of: "\n") == nil })
        let objects = try written.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects[0]["message"] as? String == "plain")
        #expect(objects[0]["level"] as? String == "info")
        #expect(objects[0]["server"] as? String == "a")
        #expect(objects[0]["request_id"] == nil)
        let time = try #require(objects[0]["time"] as? String)
        // UTCTime's form: 2026-12-01T09:30:00.123456Z.
        #expect(time.count == 27 && time.hasSuffix("Z") && time.dropFirst(19).hasPrefix("."), "\(time)")
        #expect(objects[1]["message"] as? String == "two\nlines \"quoted\"")
        #expect(objects[1]["request_id"] as? String == "req-1")
        #expect(objects[1]["status"] as? String == "503")
        #expect(((objects[1]["nested"] as? [String: Any])?["k"] as? [String]) == ["x", "y\u{1}"])
    }
}
