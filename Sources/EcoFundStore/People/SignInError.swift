import EcoFundCore
import Foundation

/// A sign-in, activation or second-factor step refused. What it says never tells a stranger whether a login name
/// exists: a wrong name and a wrong password are the same failure.
public struct SignInError: Error, Hashable, Sendable, CustomStringConvertible, ProblemDescribing {
    public enum Reason: Hashable, Sendable {
        /// The login name or the password is wrong (or the person is deactivated or has not activated yet).
        case wrongCredentials
        /// Too many failures: no sign-in until then.
        case locked(until: Date)
        /// The second-factor code is wrong or old.
        case wrongCode
        /// The activation code is unknown, used or expired.
        case unknownActivationCode
        /// The current password given to change it is wrong.
        case wrongCurrentPassword
        /// The session has ended, or was never there.
        case noSession
    }

    public let reason: Reason
    public init(_ reason: Reason) { self.reason = reason }

    /// A stable name for the reason: the console's message key, the problem's kind.
    public var kind: String {
        switch reason {
        case .wrongCredentials: "wrong-credentials"
        case .locked: "locked"
        case .wrongCode: "wrong-code"
        case .unknownActivationCode: "unknown-activation-code"
        case .wrongCurrentPassword: "wrong-current-password"
        case .noSession: "no-session"
        }
    }

    /// The field the person fixes.
    public var pointer: String {
        switch reason {
        case .wrongCredentials, .locked: "/password"
        case .wrongCode: "/code"
        case .unknownActivationCode: "/activationCode"
        case .wrongCurrentPassword: "/currentPassword"
        case .noSession: ""
        }
    }

    public var description: String {
        switch reason {
        case .wrongCredentials: "the login name or the password is wrong"
        case .locked(let until): "the account is locked after too many failed sign-ins, until \(until)"
        case .wrongCode: "the code is wrong or has expired"
        case .unknownActivationCode: "the activation code is unknown, used or expired"
        case .wrongCurrentPassword: "the current password is wrong"
        case .noSession: "not signed in"
        }
    }

    public var problem: ProblemFacts {
        switch reason {
        case .noSession: ProblemFacts(status: 401, kind: kind, detail: description)
        case .locked: ProblemFacts(status: 423, kind: kind, detail: description, pointer: pointer)
        default: ProblemFacts(status: 422, kind: kind, detail: description, pointer: pointer)
        }
    }
}
