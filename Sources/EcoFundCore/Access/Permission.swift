/// Something a caller may be allowed to do: the one table of who may do what (DESIGN.md, "Users and what they do").
///
/// Every Store service asks ``Principal/authorize(_:)`` before it acts, so every front end (the API, the console, the
/// command line) gets the same answer; a page may ask ``Principal/may(_:)`` to decide what to offer, but the service
/// decides. Checks that depend on the data (a finance official's own jurisdiction, a proposer's own run) are made by
/// the service that holds the data, on top of this table.
public enum Permission: String, CaseIterable, Hashable, Sendable {
    /// Reference data, accounts, contributions, commitments, reports, scores, rules and runs.
    case readBooks
    case changeReferenceData
    case recordContributions
    case reverseContributions
    case recordCommitments
    case defineSchemes
    case openPeriods
    case enterScores
    case finalizePeriods
    case reopenPeriods
    case publishRules
    case previewAllocations
    case proposeRuns
    case approveRuns
    case rejectRuns
    case cancelRuns
    case postRuns
    case confirmPayments
    /// Record money a recipient returns against what a settlement clawed back.
    case recordRecoveries
    case readAuditLog
    case exportBooks
    case manageTokens
    /// Create people, deactivate them, give them new activation codes, reset their second factor.
    case managePeople
    /// Ask for a token of a role that moves money, or for a change of someone's role.
    case requestAccess
    /// Approve or reject what another admin asked.
    case decideAccess

    /// The roles that hold the permission. `admin` is listed where it is allowed, never implied.
    public var roles: Set<Role> {
        switch self {
        case .readBooks: Set(Role.allCases)
        case .changeReferenceData, .publishRules, .manageTokens, .managePeople, .requestAccess, .decideAccess: [.admin]
        case .recordContributions, .reverseContributions, .recordCommitments: [.finance, .admin]
        case .defineSchemes, .openPeriods, .enterScores, .finalizePeriods, .reopenPeriods: [.assessor, .admin]
        case .previewAllocations: [.finance, .approver, .admin]
        case .proposeRuns: [.finance, .approver]
        case .approveRuns, .rejectRuns, .cancelRuns, .postRuns, .confirmPayments, .recordRecoveries: [.approver]
        case .readAuditLog: [.auditor, .admin]
        case .exportBooks: [.auditor]
        }
    }

    /// What the permission lets one do, as the end of "role … may not …".
    public var action: String {
        switch self {
        case .readBooks: "read the books"
        case .changeReferenceData: "change reference data"
        case .recordContributions: "record contributions"
        case .reverseContributions: "reverse contributions"
        case .recordCommitments: "record commitments"
        case .defineSchemes: "define indicator schemes"
        case .openPeriods: "open assessment periods"
        case .enterScores: "enter assessment scores"
        case .finalizePeriods: "finalize assessment periods"
        case .reopenPeriods: "reopen assessment periods"
        case .publishRules: "publish allocation rules"
        case .previewAllocations: "preview allocations"
        case .proposeRuns: "propose disbursement runs"
        case .approveRuns: "approve disbursement runs"
        case .rejectRuns: "reject disbursement runs"
        case .cancelRuns: "cancel disbursement runs"
        case .postRuns: "post disbursement runs"
        case .confirmPayments: "confirm payments"
        case .recordRecoveries: "record recoveries"
        case .readAuditLog: "read the audit log"
        case .exportBooks: "export the books"
        case .manageTokens: "issue or revoke tokens"
        case .managePeople: "create or deactivate people"
        case .requestAccess: "ask for tokens or role changes"
        case .decideAccess: "approve or reject access requests"
        }
    }
}

extension Principal {
    /// Whether the caller's role holds `permission`.
    public func may(_ permission: Permission) -> Bool { permission.roles.contains(role) }

    /// Demands `permission` of the caller's role.
    public func authorize(_ permission: Permission) throws(AuthorizationError) {
        guard may(permission) else { throw AuthorizationError("role \(role.rawValue) may not \(permission.action)") }
    }

    /// Demands that a `finance` caller acts for `jurisdiction`; other roles pass.
    public func requireActsFor(_ jurisdiction: String, to action: String, at pointer: String? = nil)
        throws(AuthorizationError)
    {
        if role == .finance, self.jurisdiction != jurisdiction {
            throw AuthorizationError(
                "a finance official of \(self.jurisdiction ?? "no jurisdiction") may not \(action) for \(jurisdiction)",
                at: pointer)
        }
    }
}

extension RunStatus.Action {
    /// What a caller needs to take this action on a run.
    public var permission: Permission {
        switch self {
        case .approve: .approveRuns
        case .reject: .rejectRuns
        case .cancel: .cancelRuns
        case .post: .postRuns
        case .confirmPayment: .confirmPayments
        }
    }
}
