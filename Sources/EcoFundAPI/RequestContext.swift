import EcoFundCore
import EcoFundStore

/// What the authentication middleware learned about the current request, for the handlers below it.
public enum RequestScope {
    /// The authenticated caller; `nil` only on the public health routes.
    @TaskLocal static var principal: Principal?
    /// The request's id, put on every log line written while it is handled (``JSONLogHandler``).
    @TaskLocal public static var requestID: String?

    /// The caller of a route that requires authentication.
    static func caller() throws -> Principal {
        guard let principal else { throw AuthenticationError("no caller on an authenticated route") }
        return principal
    }
}
