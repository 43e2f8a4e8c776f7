import EcoFundCore
import Logging
import PostgresNIO
import Synchronization

/// The accounts this server has seen open, so that a write naming one does not ask PostgreSQL again.
///
/// The one thing ``Database`` remembers between calls, and safe to: an account, once open, stays open (the schema
/// refuses UPDATE and DELETE on `accounts`), so a code seen here is open on every server for ever. A code not seen is
/// looked up, and remembered only if found; a closed code is never remembered. Asking costs a round trip inside the
/// write's transaction, and under load that round trip is the commit queue's (DESIGN.md "Writing under load").
public final class OpenAccounts: Sendable {
    private let seen = Mutex(Set<String>())

    public init() {}

    /// True when this server has seen `account` open; false says only that it has not, without asking.
    func isKnownOpen(_ account: AccountCode) -> Bool {
        let code = account.description
        return seen.withLock { $0.contains(code) }
    }

    /// True when `account` is open, from memory or from `account_balances` (the row every open account has).
    func contains(_ account: AccountCode, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        if isKnownOpen(account) { return true }
        let code = account.description
        guard try await JournalRepository.currentBalances([account], on: connection, logger: logger)[code] != nil
        else { return false }
        seen.withLock { _ = $0.insert(code) }
        return true
    }
}
