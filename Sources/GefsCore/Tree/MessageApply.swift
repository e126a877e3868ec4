/// The effect of a pivot message on a key's value (FORMAT.md §9.4).
public enum MessageApply {
    /// Why a message could not be applied: the problem code and the words for it.
    public struct Failure: Error, Equatable, Sendable {
        public var code: ProblemCode
        public var message: String
    }

    /// Applies `m` to the key's current value (`nil`: the key does not exist). On failure the
    /// value is left as it was and the failure says why.
    public static func apply(_ m: Message, to value: inout [UInt8]?) -> Failure? {
        let kind = m.key.first.flatMap(KeyKind.init(rawValue:))
        switch m.op {
        case .nop:
            return Failure(code: .treeMessageValue, message: "Onop message on \(KeyRange.show(m.key))")
        case .insert:
            value = m.value
        case .delete, .clearb, .clobber:
            guard m.value.isEmpty else {
                return Failure(code: .treeMessageValue, message: "\(m.op) on \(KeyRange.show(m.key)) carries \(m.value.count) value bytes")
            }
            if m.op == .delete && value == nil {
                return Failure(code: .treeMessageMissingKey, message: "Odelete on missing key \(KeyRange.show(m.key))")
            }
            value = nil
        case .wstat:
            guard kind == .ent else {
                return Failure(code: .treeMessageValue, message: "Owstat on \(KeyRange.show(m.key)), not a Kent key")
            }
            guard let v = value else {
                return Failure(code: .treeMessageMissingKey, message: "Owstat on missing key \(KeyRange.show(m.key))")
            }
            guard var x = try? Xdir.decode(v) else {
                return Failure(code: .treeValueMalformed, message: "Owstat on \(KeyRange.show(m.key)), whose value is not an Xdir")
            }
            do { try x.apply(wstat: m.value) } catch {
                return Failure(code: .treeMessageValue, message: "Owstat on \(KeyRange.show(m.key)): \(error)")
            }
            value = x.encode()
        case .relink, .reprev:
            guard kind == .snap else {
                return Failure(code: .treeMessageValue, message: "\(m.op) on \(KeyRange.show(m.key)), not a Ksnap key")
            }
            guard let v = value else {
                return Failure(code: .treeMessageMissingKey, message: "\(m.op) on missing key \(KeyRange.show(m.key))")
            }
            guard var t = try? TreeRecord.decode(v) else {
                return Failure(code: .treeValueMalformed, message: "\(m.op) on \(KeyRange.show(m.key)), whose value is not a Tree record")
            }
            do { try t.apply(m.op, m.value) } catch {
                return Failure(code: .treeMessageValue, message: "\(m.op) on \(KeyRange.show(m.key)): \(error)")
            }
            value = t.encode()
        }
        return nil
    }
}

/// The messages of the pivots above a leaf, highest pivot first: each pivot's address and the
/// slice of its buffer that falls in the leaf's key range.
public typealias PendingMessages = [(pivot: Int64, messages: ArraySlice<Message>)]

extension MessageApply {
    /// The messages of the pivots above that can reach the keys of `r` (each pivot's sorted by
    /// key): what a walk passes down to a child covering `r`.
    static func restricted(_ pending: PendingMessages, to r: KeyRange) -> PendingMessages {
        pending.map { (pivot: $0.pivot, messages: $0.messages.restricted(to: r)) }
    }
}

extension MessageApply {
    /// The logical view of one leaf (FORMAT.md §9.3–§9.4): its records merged with the messages
    /// above it, each key's messages applied lowest pivot first, table order within one. Calls
    /// `record` with every key that has a value, in key order, until it returns false, and
    /// `failure` with each message that does not apply and the pivot holding it. Returns
    /// whether `record` asked to stop.
    @discardableResult
    public static func merge(_ records: [Record], _ pending: PendingMessages, failure: (Failure, Int64) -> Void,
                             record: ([UInt8], [UInt8]) throws -> Bool) rethrows -> Bool {
        var heads = pending.map { $0.messages.startIndex }
        var r = 0
        while true {
            var key: [UInt8]? = r < records.count ? records[r].key : nil
            for (j, p) in pending.enumerated() where heads[j] < p.messages.endIndex {
                let k = p.messages[heads[j]].key
                if key == nil || compareKeys(k, key!) < 0 { key = k }
            }
            guard let key else { return false }
            var value: [UInt8]?
            if r < records.count, records[r].key == key { value = records[r].value; r += 1 }
            for j in pending.indices.reversed() {
                let msgs = pending[j].messages
                while heads[j] < msgs.endIndex, msgs[heads[j]].key == key {
                    if let f = apply(msgs[heads[j]], to: &value) { failure(f, pending[j].pivot) }
                    heads[j] += 1
                }
            }
            if let value, try !record(key, value) { return true }
        }
    }
}
