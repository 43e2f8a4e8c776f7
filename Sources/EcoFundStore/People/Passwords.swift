import HummingbirdBcrypt
import NIOPosix

/// Bcrypt at cost 12 (DESIGN.md "The console"), on NIO's blocking thread pool: one hash takes a few hundred
/// milliseconds of CPU, which must not stall the threads that serve requests.
enum Passwords {
    static let cost: UInt8 = 12
    /// A hash of a password nobody has, verified when the login name is unknown so that a wrong name takes as long as
    /// a wrong password.
    static let decoy = "$2b$12$C6UzMDM.H6dfI/f/IKxGhuP2QmkjLhA8qRC6EqbSGFqEErvrcDXGi"

    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String?) async throws -> Bool {
        let matches = try await NIOThreadPool.singleton.runIfActive {
            Bcrypt.verify(password, hash: hash ?? decoy)
        }
        return hash != nil && matches
    }
}
