/// The allocation as the JSON a run stores (`disbursement_runs.allocation`, `disbursement_allocations.derivation`):
/// exactly the bytes of its `Codable` form under sorted keys, written by ``JSONText`` because `JSONEncoder` took half
/// a second over a 10,000-recipient allocation. Keys below are in sorted (byte) order; optional members are left
/// out when absent, as the synthesized `Encodable` leaves them out.
extension Allocation {
    public var jsonText: String {
        var json = JSONText(reservingCapacity: 1_024 + allocations.count * 1_600)
        write(to: &json)
        return json.text
    }

    func write(to json: inout JSONText) {
        json.object { json in
            json.key("allocations")
            json.array(allocations) { json, recipient in recipient.write(to: &json) }
            json.key("pool")
            json.money(pool)
            json.key("tranches")
            json.array(tranches) { json, tranche in
                json.object { json in
                    json.key("amount")
                    json.money(tranche.amount)
                    json.key("name")
                    json.string(tranche.name)
                    json.key("retained")
                    json.bool(tranche.retained)
                }
            }
        }
    }
}

extension Allocation.Recipient {
    func write(to json: inout JSONText) {
        json.object { json in
            json.key("amount")
            json.money(amount)
            if let clawback {
                json.key("clawback")
                json.money(clawback)
            }
            json.key("derivation")
            derivation.write(to: &json)
            json.key("recipient")
            json.string(recipient)
            json.key("tranche")
            json.string(tranche)
            json.key("withheld")
            json.bool(withheld)
            if let withheldReason {
                json.key("withheldReason")
                json.string(withheldReason)
            }
        }
    }
}

extension Allocation.Derivation {
    public var jsonText: String {
        var json = JSONText(reservingCapacity: 1_600)
        write(to: &json)
        return json.text
    }

    func write(to json: inout JSONText) {
        json.object { json in
            json.key("adjustedWeight")
            json.exact(adjustedWeight)
            json.optional("bandMinScore", bandMinScore)
            json.optional("bandMultiplier", bandMultiplier)
            json.key("capped")
            json.bool(capped)
            json.key("cappedShare")
            json.exact(cappedShare)
            if let composite {
                json.key("composite")
                json.string(composite)
            }
            json.key("exactAmount")
            json.exact(exactAmount)
            json.key("factors")
            json.array(factors) { json, factor in factor.write(to: &json) }
            json.key("floorFen")
            json.integer(floorFen)
            if let missedTargets {
                json.key("missedTargets")
                json.array(missedTargets) { json, code in json.string(code) }
            }
            json.key("multiplier")
            json.exact(multiplier)
            json.key("remainderFen")
            json.integer(remainderFen)
            if let settlement {
                json.key("settlement")
                settlement.write(to: &json)
            }
            json.key("share")
            json.exact(share)
            json.optional("targetMultiplier", targetMultiplier)
            json.key("weightedShare")
            json.exact(weightedShare)
        }
    }
}

extension Allocation.Derivation.Factor {
    func write(to json: inout JSONText) {
        json.object { json in
            json.key("key")
            json.string(key)
            json.key("share")
            json.exact(share)
            json.key("total")
            json.exact(total)
            json.key("value")
            json.exact(value)
            json.key("weight")
            json.exact(weight)
        }
    }
}

extension Allocation.Derivation.Settlement {
    func write(to json: inout JSONText) {
        json.object { json in
            json.key("advanceRuns")
            json.array(advanceRuns) { json, run in json.string(run) }
            json.key("advanced")
            json.money(advanced)
            json.key("difference")
            json.money(difference)
            json.key("finalAmount")
            json.money(finalAmount)
        }
    }
}

extension JSONText {
    /// A member holding an exact value, left out when there is none.
    mutating func optional(_ name: StaticString, _ value: Exact?) {
        guard let value else { return }
        key(name)
        exact(value)
    }
}
