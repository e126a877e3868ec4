/// Key kinds (FORMAT.md §9.5, FORMAT-9FRONT.md §9.5): the first byte of every key. `Kconf`
/// exists in gefs9.00 only; whether a tree may hold it is the format's grading.
public enum KeyKind: UInt8, Sendable, CustomStringConvertible {
    case dat = 0, ent = 1, up = 2, label = 3, snap = 4, dlist = 5, conf = 6
    public var description: String {
        switch self {
        case .dat: return "Kdat"
        case .ent: return "Kent"
        case .up: return "Kup"
        case .label: return "Klabel"
        case .snap: return "Ksnap"
        case .dlist: return "Kdlist"
        case .conf: return "Kconf"
        }
    }
    /// Whether the kind belongs in file trees (else in the snapshot tree).
    public var inFileTree: Bool { self == .dat || self == .ent || self == .up }
}

/// A decoded tree key.
public enum Key: Equatable, Hashable, Sendable, CustomStringConvertible {
    case dat(qid: UInt64, offset: UInt64)
    case ent(parent: UInt64, name: [UInt8])
    case up(qid: UInt64)
    case label(name: [UInt8])
    case snap(gen: UInt64)
    case dlist(gen: UInt64, bgen: UInt64)
    /// A configuration setting (gefs9.00): the name is the rest of the key.
    case conf(name: [UInt8])

    /// The root directory's key: `Kent(−1, "")`.
    public static let root = Key.ent(parent: UInt64.max, name: [])

    public var kind: KeyKind {
        switch self {
        case .dat: return .dat
        case .ent: return .ent
        case .up: return .up
        case .label: return .label
        case .snap: return .snap
        case .dlist: return .dlist
        case .conf: return .conf
        }
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 32)
        w.u8(kind.rawValue)
        switch self {
        case let .dat(q, o): w.u64(q); w.u64(o)
        case let .ent(p, name): w.u64(p); w.u16(UInt16(name.count)); w.bytes(name); w.u8(0)
        case let .up(q): w.u64(q)
        case let .label(name): w.bytes(name)
        case let .snap(g): w.u64(g)
        case let .dlist(g, b): w.u64(g); w.u64(b)
        case let .conf(name): w.bytes(name)
        }
        return w.bytes
    }

    /// What decoding errors call each kind's key (`"\(kind) key"`), spelled once.
    static let structures = ["Kdat key", "Kent key", "Kup key", "Klabel key", "Ksnap key", "Kdlist key", "Kconf key"]

    /// Decodes a key, checking its length for its kind.
    public static func decode(_ k: [UInt8]) throws -> Key {
        guard let first = k.first else { throw FormatError.invalid("key", "empty key") }
        guard let kind = KeyKind(rawValue: first) else { throw FormatError.invalid("key", "unknown key kind \(first)") }
        // Kdat keys are most keys of a file tree: decoded without a reader.
        if kind == .dat, k.count == 17 { return .dat(qid: k.u64(at: 1), offset: k.u64(at: 9)) }
        var r = ByteReader(k, from: 1, structure: Key.structures[Int(first)])
        let key: Key
        switch kind {
        case .dat: key = .dat(qid: try r.u64(), offset: try r.u64())
        case .ent:
            let p = try r.u64()
            let n = Int(try r.u16())
            let name = try r.bytes(n)
            guard try r.u8() == 0 else { throw FormatError.invalid("Kent key", "name not followed by a NUL") }
            key = .ent(parent: p, name: name)
        case .up: key = .up(qid: try r.u64())
        case .label: key = .label(name: try r.bytes(r.remaining))
        case .snap: key = .snap(gen: try r.u64())
        case .dlist: key = .dlist(gen: try r.u64(), bgen: try r.u64())
        case .conf: key = .conf(name: try r.bytes(r.remaining))
        }
        try r.expectEnd()
        return key
    }

    public var description: String {
        switch self {
        case let .dat(q, o): return "Kdat(\(q), \(hex(o)))"
        case let .ent(p, n): return "Kent(\(p == UInt64.max ? "-1" : String(p)), \"\(printable(n))\")"
        case let .up(q): return "Kup(\(q))"
        case let .label(n): return "Klabel(\"\(printable(n))\")"
        case let .snap(g): return "Ksnap(\(g))"
        case let .dlist(g, b): return "Kdlist(\(g), \(b))"
        case let .conf(n): return "Kconf(\"\(printable(n))\")"
        }
    }
}

/// A name as text for messages: UTF-8 where valid, with control bytes escaped.
public func printable(_ bytes: [UInt8]) -> String {
    var s = ""
    for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7f { s += "\\x" + String(scalar.value, radix: 16) }
        else { s.unicodeScalars.append(scalar) }
    }
    return s
}
