import Foundation

/// The numbers of signing in (DESIGN.md "The console"): how long a session, a code and a lock last, and how many
/// failures lock an account. The schema holds the same numbers (Schema/010), and a test holds the two together.
public enum SignInPolicy {
    /// A session unused this long ends.
    public static let idleSeconds: Int64 = 30 * 60
    /// A session ends this long after it began, however busy.
    public static let absoluteSeconds: Int64 = 12 * 60 * 60
    /// A session's last use is written at most this often: reading a page costs no write within it. The idle time
    /// of a session is therefore measured to within this much.
    public static let touchIntervalSeconds: Int64 = 60
    /// An activation code works this long after it is issued.
    public static let activationSeconds: Int64 = 72 * 60 * 60
    /// This many failed sign-ins (password or second-factor code) within ``failureWindowSeconds`` lock the account…
    public static let failuresBeforeLock = 5
    public static let failureWindowSeconds: Int64 = 15 * 60
    /// …for this long.
    public static let lockSeconds: Int64 = 15 * 60

    /// Whether a session with these times may still be used at `now`. SQL's twin is `session_is_live`.
    public static func isLive(createdAt: Date, lastSeenAt: Date, endedAt: Date?, now: Date) -> Bool {
        endedAt == nil && lastSeenAt > now.addingTimeInterval(-TimeInterval(idleSeconds))
            && createdAt > now.addingTimeInterval(-TimeInterval(absoluteSeconds))
    }
}

extension Role {
    /// Whether a person of this role gives a time-based code (RFC 6238) as well as a password. SQL's twin is
    /// `role_needs_second_factor`.
    public var needsSecondFactor: Bool {
        switch self {
        case .approver, .admin: true
        case .finance, .assessor, .auditor: false
        }
    }
}
