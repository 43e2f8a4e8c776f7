/// A disbursement run's lifecycle (DESIGN.md "Disbursement runs"):
/// `proposed` → `approved` (by another user) → `posted` → `paid`; `rejected` and `cancelled` end a run that has not
/// posted. Repeating a transition that already happened is not an error: it changes nothing.
public enum RunStatus: String, Hashable, Sendable, Codable, CaseIterable {
    case proposed, approved, posted, paid, rejected, cancelled

    public enum Action: String, Sendable {
        case approve, reject, cancel, post, confirmPayment
    }

    /// What an action does from this status.
    public enum Outcome: Hashable, Sendable {
        /// Move to the status.
        case moveTo(RunStatus)
        /// The action already took effect: answer with the run as it is, write nothing.
        case alreadyDone
        /// Record a payment; the run becomes `paid` when every recipient is paid.
        case recordPayment
    }

    public func outcome(of action: Action) -> Result<Outcome, RunTransitionError> {
        switch (action, self) {
        case (.approve, .proposed): .success(.moveTo(.approved))
        case (.approve, .approved), (.approve, .posted), (.approve, .paid): .success(.alreadyDone)
        case (.reject, .proposed): .success(.moveTo(.rejected))
        case (.reject, .rejected): .success(.alreadyDone)
        case (.cancel, .proposed), (.cancel, .approved): .success(.moveTo(.cancelled))
        case (.cancel, .cancelled): .success(.alreadyDone)
        case (.post, .approved): .success(.moveTo(.posted))
        case (.post, .posted), (.post, .paid): .success(.alreadyDone)
        case (.confirmPayment, .posted): .success(.recordPayment)
        case (.approve, .rejected), (.approve, .cancelled), (.reject, .approved), (.reject, .posted),
            (.reject, .paid), (.reject, .cancelled), (.cancel, .posted), (.cancel, .paid), (.cancel, .rejected),
            (.post, .proposed), (.post, .rejected), (.post, .cancelled), (.confirmPayment, .proposed),
            (.confirmPayment, .approved), (.confirmPayment, .paid), (.confirmPayment, .rejected),
            (.confirmPayment, .cancelled):
            .failure(RunTransitionError(action: action, status: self))
        }
    }
}

/// An action the run's status does not allow (409).
public struct RunTransitionError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public let action: RunStatus.Action
    public let status: RunStatus

    public var description: String {
        switch (action, status) {
        case (.post, .proposed): "the run is proposed; it must be approved before it is posted"
        case (.confirmPayment, .proposed), (.confirmPayment, .approved):
            "the run is \(status.rawValue); payments are confirmed after it is posted"
        case (.confirmPayment, .paid): "every recipient of the run is already paid"
        default: "a \(status.rawValue) run cannot be \(action.pastTense)"
        }
    }

    public var problem: ProblemFacts { ProblemFacts(status: 409, kind: "conflict", detail: description) }
}

extension RunStatus.Action {
    var pastTense: String {
        switch self {
        case .approve: "approved"
        case .reject: "rejected"
        case .cancel: "cancelled"
        case .post: "posted"
        case .confirmPayment: "paid"
        }
    }
}
