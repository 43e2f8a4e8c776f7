import EcoFundCore
import EcoFundStore
import Foundation
import OpenAPIRuntime

/// People who sign in to the console: translation only, the rules live in ``PeopleService``.
extension Handlers {
    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        let page = try await people.list(
            cursor: input.query.cursor, limit: input.query.limit, by: try RequestScope.caller())
        return .ok(.init(body: .json(.init(items: page.items.map(Wire.person), nextCursor: page.nextCursor))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        let caller = try RequestScope.caller()
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let new = try NewPerson(subject: body.subject, role: body.role.rawValue, jurisdiction: body.jurisdiction)
        let issued = try await people.create(
            new, by: caller, idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        switch issued.value {
        case .issued(let person, let activation):
            return .created(
                .init(headers: .init(cacheControl: .noStore), body: .json(Wire.personIssued(person, activation))))
        case .pending(let request):
            return .accepted(.init(body: .json(Wire.accessRequest(request))))
        }
    }

    func deactivateUser(_ input: Operations.DeactivateUser.Input) async throws -> Operations.DeactivateUser.Output {
        guard case .json(let body) = input.body else { preconditionFailure("only JSON bodies are declared") }
        let person = try await people.deactivate(
            try Wire.id(input.path.id), reason: body.reason, by: try RequestScope.caller())
        return .ok(.init(body: .json(Wire.person(person))))
    }

    func issueActivationCode(_ input: Operations.IssueActivationCode.Input) async throws
        -> Operations.IssueActivationCode.Output
    {
        let issued = try await people.newActivationCode(
            for: try Wire.id(input.path.id), by: try RequestScope.caller(),
            idempotencyKey: try IdempotencyKey.parse(input.headers.idempotencyKey))
        switch issued.value {
        case .issued(let person, let activation):
            return .created(
                .init(headers: .init(cacheControl: .noStore), body: .json(Wire.personIssued(person, activation))))
        case .pending(let request):
            return .accepted(.init(body: .json(Wire.accessRequest(request))))
        }
    }
}

extension Wire {
    static func person(_ person: Person) -> Components.Schemas.Person {
        .init(
            id: person.id.text, subject: person.subject, role: role(person.role), jurisdiction: person.jurisdiction,
            createdAt: person.createdAt, activated: person.activated, secondFactor: person.secondFactor,
            activationExpiresAt: person.activationExpiresAt, lockedUntil: person.lockedUntil,
            deactivatedAt: person.deactivatedAt)
    }

    static func personIssued(_ person: Person, _ activation: ActivationCode) -> Components.Schemas.PersonIssued {
        .init(
            person: self.person(person),
            activation: .init(subject: activation.subject, expiresAt: activation.expiresAt, code: activation.code))
    }
}
