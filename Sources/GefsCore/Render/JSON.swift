/// A small JSON value with a deterministic serializer: object keys keep insertion order, so
/// every tool's `--json` output can be diffed. GefsCore avoids Foundation, hence this.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

    /// Builds an object, dropping keys whose value is nil (fields that do not apply).
    public static func obj(_ pairs: KeyValuePairs<String, JSON?>) -> JSON {
        .object(pairs.compactMap { k, v in v.map { (k, $0) } })
    }

    /// Serializes compactly, or with two-space indentation when `pretty`.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    func write(to out: inout String, pretty: Bool, indent: Int) {
        let nl = pretty ? "\n" : ""
        let pad = { (n: Int) in pretty ? String(repeating: "  ", count: n) : "" }
        switch self {
        case .null: out += "null"
        case let .bool(b): out += b ? "true" : "false"
        case let .int(i): out += String(i)
        case let .uint(u): out += String(u)
        case let .double(d): out += d.isFinite ? String(d) : "null"
        case let .string(s): JSON.escape(s, into: &out)
        case let .array(a):
            if a.isEmpty { out += "[]"; return }
            out += "[" + nl
            for (i, v) in a.enumerated() {
                out += pad(indent + 1)
                v.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (i < a.count - 1 ? "," : "") + nl
            }
            out += pad(indent) + "]"
        case let .object(o):
            if o.isEmpty { out += "{}"; return }
            out += "{" + nl
            for (i, (k, v)) in o.enumerated() {
                out += pad(indent + 1)
                JSON.escape(k, into: &out)
                out += pretty ? ": " : ":"
                v.write(to: &out, pretty: pretty, indent: indent + 1)
                out += (i < o.count - 1 ? "," : "") + nl
            }
            out += pad(indent) + "}"
        }
    }

    static func escape(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral i: Int) { self = .int(Int64(i)) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
    public init(_ i: Int) { self = .int(Int64(i)) }
    public init(_ i: Int64) { self = .int(i) }
    public init(_ u: UInt64) { self = .uint(u) }
    public init(_ s: String) { self = .string(s) }
}

extension Problem {
    /// The problem object every tool's JSON uses: `{"code", "severity", "pass", "message",
    /// "arena", "block", "offset", "path", "fixed"}`, keys that do not apply left out.
    public var json: JSON {
        .obj([
            "code": .string(code.id),
            "severity": .string(severity.rawValue),
            "pass": pass.map { JSON($0.rawValue) },
            "message": .string(message),
            "arena": arena.map { JSON($0) },
            "block": block.map { JSON($0) },
            "offset": offset.map { JSON($0) },
            "path": path.map { JSON($0) },
            "fixed": fixed ? .bool(true) : nil,
        ])
    }
}
