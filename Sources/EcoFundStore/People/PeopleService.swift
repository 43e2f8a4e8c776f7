import EcoFundCore
import Foundation
import Logging
import PostgresNIO

/// People who sign in to the console, as admins manage them: create (with an activation code shown once), list,
/// deactivate, a new activation code, a second factor reset. A person whose role moves money (finance, approver,
/// admin) — and a new code for one — waits for a second admin (``AccessService``), whose approval shows the code.
public struct PeopleService: Sendable {
    public static let page = PageLimit(itemsDefault: 100, itemsMax: 500)

    let database: Database
    let tokens: TokenService
    var logger: Logger { database.logger }

    public init(database: Database, tokens: TokenService) {
        self.database = database
        self.tokens = tokens
    }

    /// People by login name, a page at a time.
    public func list(cursor: String?, limit: Int?, by principal: Principal) async throws -> Page<Person> {
        try principal.authorize(.managePeople)
        let count = try Self.page.items(limit)
        let skip = try cursor.map { text throws(ValidationError) in try Cursor.decode(text, .person) } ?? 0
        let rows = try await database.read { connection in
            try await PersonRepository.list(skip: skip, limit: count + 1, on: connection, logger: logger)
        }
        let next = rows.count > count ? Cursor.encode(.person, skip + Int64(count)) : nil
        return Page(items: Array(rows.prefix(count)), nextCursor: next)
    }

    public func person(_ id: UUID, by principal: Principal) async throws -> Person {
        try principal.authorize(.managePeople)
        guard
            let found = try await database.read({ connection in
                try await PersonRepository.find(id, on: connection, logger: logger)
            })
        else { throw StoreError(.notFound, "no user \(id.text)") }
        return found
    }

    /// Creates a person with an activation code, or — for a role that moves money — asks a second admin.
    public func create(_ new: NewPerson, by principal: Principal, idempotencyKey: IdempotencyKey?) async throws
        -> Keyed<PersonIssue>
    {
        try principal.authorize(.managePeople)
        let needsApproval = AccessRequest.needsApproval(new.role)
        if needsApproval { try principal.authorize(.requestAccess) }
        let code = Secret.activationCode()
        let keyed = try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "createPerson", request: new, principal: principal, on: connection,
                logger: logger
            ) { () async throws -> PersonIssue in
                if try await UserRepository.find(subject: new.subject, on: connection, logger: logger) != nil {
                    throw StoreError(.conflict, "\(new.subject) is already a user")
                }
                guard needsApproval else {
                    let (person, activation) = try await Self.insert(
                        new, code: code, actor: principal.subject, on: connection, logger: logger)
                    return .issued(person, activation)
                }
                return .pending(
                    try await AccessService.ask(
                        .person, subject: new.subject, role: new.role, jurisdiction: new.jurisdiction,
                        lifetimeDays: nil, by: principal, on: connection, logger: logger))
            }
        }
        guard !keyed.replayed, case .issued(let person, let activation) = keyed.value else { return keyed }
        return Keyed(value: .issued(person, activation.revealing(code)), replayed: false)
    }

    /// A new activation code for someone (who then sets a new password and second factor); every session of theirs
    /// ends. For a role that moves money, a request that a second admin decides.
    public func newActivationCode(for id: UUID, by principal: Principal, idempotencyKey: IdempotencyKey?) async throws
        -> Keyed<PersonIssue>
    {
        try principal.authorize(.managePeople)
        let code = Secret.activationCode()
        let keyed = try await database.transaction { connection in
            try await Idempotency.run(
                key: idempotencyKey, operation: "newActivationCode:\(id)", request: ["user": id.text],
                principal: principal, on: connection, logger: logger
            ) { () async throws -> PersonIssue in
                guard let person = try await PersonRepository.find(id, forUpdate: true, on: connection, logger: logger)
                else { throw StoreError(.notFound, "no user \(id.text)") }
                guard person.deactivatedAt == nil else {
                    throw StoreError(.conflict, "\(person.subject) is deactivated; deactivated people stay so")
                }
                guard !AccessRequest.needsApproval(person.role) else {
                    try principal.authorize(.requestAccess)
                    return .pending(
                        try await AccessService.ask(
                            .person, subject: person.subject, role: person.role, jurisdiction: person.jurisdiction,
                            lifetimeDays: nil, by: principal, on: connection, logger: logger))
                }
                let activation = try await Self.recode(
                    person, code: code, actor: principal.subject, on: connection, logger: logger)
                return .issued(try await Self.reread(id, on: connection, logger: logger), activation)
            }
        }
        tokens.forgetRecentlyChecked()
        guard !keyed.replayed, case .issued(let person, let activation) = keyed.value else { return keyed }
        return Keyed(value: .issued(person, activation.revealing(code)), replayed: false)
    }

    /// Deactivates someone: their sessions end and their tokens are revoked at once, and they stay deactivated. No
    /// second admin is needed to take access away; an admin cannot deactivate themselves.
    public func deactivate(_ id: UUID, reason: String, by principal: Principal) async throws -> Person {
        try principal.authorize(.managePeople)
        try Text.validate(reason, at: "/reason", lengthMax: 500)
        guard id != principal.userID else {
            throw MakerCheckerError(detail: "\(principal.subject) may not deactivate themselves")
        }
        let person = try await database.transaction { connection in
            guard let person = try await PersonRepository.find(id, forUpdate: true, on: connection, logger: logger)
            else { throw StoreError(.notFound, "no user \(id.text)") }
            guard person.deactivatedAt == nil else { return person }
            try await PersonRepository.deactivate(id, on: connection, logger: logger)
            try await AuditRepository.record(
                "user.deactivated", actor: principal.subject,
                payload: ["user": id.text, "subject": person.subject, "reason": reason], on: connection,
                logger: logger)
            return try await Self.reread(id, on: connection, logger: logger)
        }
        tokens.forgetRecentlyChecked()
        return person
    }

    /// Clears someone's second factor: at their next sign-in they set up a new one (their sessions end).
    public func resetSecondFactor(of id: UUID, by principal: Principal) async throws -> Person {
        try principal.authorize(.managePeople)
        return try await database.transaction { connection in
            guard let person = try await PersonRepository.find(id, forUpdate: true, on: connection, logger: logger)
            else { throw StoreError(.notFound, "no user \(id.text)") }
            guard person.deactivatedAt == nil else {
                throw StoreError(.conflict, "\(person.subject) is deactivated; deactivated people stay so")
            }
            try await PersonRepository.setSecondFactorSecret(id, secret: nil, on: connection, logger: logger)
            try await AuditRepository.record(
                "user.secondfactor.reset", actor: principal.subject,
                payload: ["user": id.text, "subject": person.subject], on: connection, logger: logger)
            return try await Self.reread(id, on: connection, logger: logger)
        }
    }

    /// The first people, from the command line (the schema's owner), where there is no caller yet.
    public func bootstrap(_ new: NewPerson) async throws -> ActivationCode {
        let code = Secret.activationCode()
        let activation = try await database.transaction { connection in
            if try await UserRepository.find(subject: new.subject, on: connection, logger: logger) != nil {
                throw StoreError(.conflict, "\(new.subject) is already a user")
            }
            return try await Self.insert(new, code: code, actor: "cli", on: connection, logger: logger).1
        }
        return activation.revealing(code)
    }

    /// Inserts the person with the code's hash and its audit event, in the caller's transaction.
    static func insert(
        _ new: NewPerson, code: String, actor: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (Person, ActivationCode) {
        let id = UUID()
        guard
            let expiresAt = try await PersonRepository.insert(
                id: id, person: new, activationHash: Secret.hash(code), on: connection, logger: logger)
        else { throw StoreError(.conflict, "\(new.subject) is already a user") }
        try await AuditRepository.record(
            "user.created", actor: actor,
            payload: [
                "id": id.text, "subject": new.subject, "role": new.role.rawValue,
                "jurisdiction": new.jurisdiction ?? "", "activationExpiresAt": UTCTime.text(expiresAt),
            ],
            on: connection, logger: logger)
        return (
            try await reread(id, on: connection, logger: logger),
            ActivationCode(subject: new.subject, expiresAt: expiresAt, code: nil)
        )
    }

    /// Gives an existing person a new code, with its audit event, in the caller's transaction.
    static func recode(
        _ person: Person, code: String, actor: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> ActivationCode {
        let expiresAt = try await PersonRepository.newActivation(
            person.id, hash: Secret.hash(code), on: connection, logger: logger)
        try await AuditRepository.record(
            "user.activationcode.issued", actor: actor,
            payload: ["user": person.id.text, "subject": person.subject, "expiresAt": UTCTime.text(expiresAt)],
            on: connection, logger: logger)
        return ActivationCode(subject: person.subject, expiresAt: expiresAt, code: nil)
    }

    static func reread(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> Person {
        guard let person = try await PersonRepository.find(id, on: connection, logger: logger) else {
            preconditionFailure("user \(id.text) vanished inside its own transaction")
        }
        return person
    }
}
