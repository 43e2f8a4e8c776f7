import EcoFundCore
import NIOCore
import PostgresNIO

/// A calendar date bound as PostgreSQL's `date` (binary: days since 2000-01-01), so a comparison with a `date`
/// column needs no cast.
extension CalendarDate: PostgresEncodable, PostgresNonThrowingEncodable {
    /// 2000-01-01, PostgreSQL's day zero, counted from 1970-01-01.
    static let postgresEpochDays: Int64 = 10_957

    public static var psqlType: PostgresDataType { .date }
    public static var psqlFormat: PostgresFormat { .binary }

    public func encode<JSONEncoder: PostgresJSONEncoder>(
        into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>
    ) {
        byteBuffer.writeInteger(Int32(daysSinceEpoch - Self.postgresEpochDays))
    }
}
