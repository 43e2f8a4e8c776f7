import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// Jurisdictions and their reference figures; contributors get their revenue account here.
public struct JurisdictionService: Sendable {
    let database: Database
    var logger: Logger { database.logger }

    public init(database: Database) { self.database = database }

    public func list(by principal: Principal) async throws -> [Jurisdiction] {
        try principal.authorize(.readBooks)
        return try await database.read { connection in
            try await JurisdictionRepository.select(code: nil, on: connection, logger: logger)
        }
    }

    public func get(_ code: String, by principal: Principal) async throws -> Jurisdiction {
        try principal.authorize(.readBooks)
        guard
            let found = try await database.read({ connection in
                try await JurisdictionRepository.select(code: code, on: connection, logger: logger).first
            })
        else {
            throw StoreError(.notFound, "no jurisdiction \(code)")
        }
        return found
    }

    /// Creates or updates a jurisdiction (admin). `contributor: true` opens its `contributions:{code}` account;
    /// accounts are never closed, so `false` leaves an existing one as it is.
    public func put(_ jurisdiction: Jurisdiction, contributor: Bool, by principal: Principal) async throws
        -> Jurisdiction
    {
        try principal.authorize(.changeReferenceData)
        try jurisdiction.validate()
        return try await database.transaction { connection in
            try await Self.upsert(
                jurisdiction, contributor: contributor, actor: principal.subject, on: connection, logger: logger)
            return jurisdiction
        }
    }

    static func upsert(
        _ jurisdiction: Jurisdiction, contributor: Bool, actor: String,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        if let parent = jurisdiction.parent {
            guard
                try await JurisdictionRepository.select(code: parent, on: connection, logger: logger).first?.level
                    == .province
            else {
                throw ValidationError(.unknownReference, at: "/parent", "\(parent) is not a known province")
            }
        }
        try await JurisdictionRepository.upsert(jurisdiction, on: connection, logger: logger)
        if contributor {
            try await JournalRepository.openAccount(
                .contributions(jurisdiction.code), on: connection, logger: logger)
        }
        try await AuditRepository.record(
            "jurisdiction.updated", actor: actor,
            payload: JurisdictionEvent(jurisdiction: jurisdiction, contributor: contributor),
            on: connection, logger: logger)
    }
}

struct JurisdictionEvent: Encodable, Sendable {
    let jurisdiction: Jurisdiction
    let contributor: Bool
}
