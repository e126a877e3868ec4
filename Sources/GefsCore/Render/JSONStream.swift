#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes JSON incrementally, so that a dump of millions of log entries never holds them all
/// in memory. The layout ("rows") is deterministic and diff-friendly: objects one key per line,
/// arrays one element per line, and an array element that holds no containers (a log entry, a
/// `[offset, length]` pair, a problem) compact on its own line.
public struct JSONStream<Out: TextOutputStream> {
    public var out: Out
    /// Members written so far at each open level.
    var counts: [Int] = []

    public init(_ out: Out) { self.out = out }

    /// Indentation by depth, made once: elements are written millions of times.
    var pads: [String] = [""]
    var pad: String {
        mutating get {
            while pads.count <= counts.count { pads.append(String(repeating: "  ", count: pads.count)) }
            return pads[counts.count]
        }
    }

    /// Starts a member of the enclosing container: the separator, indentation and key.
    mutating func member(_ key: String?) {
        if let n = counts.last {
            out.write(n == 0 ? "\n" : ",\n")
            counts[counts.count - 1] += 1
            let p = pad
            out.write(p)
        }
        if let key {
            var k = ""
            JSON.escape(key, into: &k)
            out.write(k + ": ")
        }
    }

    /// Opens an object, as a member named `key` of the enclosing object (nil in an array or at
    /// the top).
    public mutating func beginObject(_ key: String? = nil) { member(key); out.write("{"); counts.append(0) }
    public mutating func endObject() { close("}") }
    public mutating func beginArray(_ key: String? = nil) { member(key); out.write("["); counts.append(0) }
    public mutating func endArray() { close("]") }

    mutating func close(_ bracket: String) {
        let n = counts.removeLast()
        if n > 0 { out.write("\n" + pad) }
        out.write(bracket)
        if counts.isEmpty { out.write("\n") }
    }

    /// Writes an array element already serialized compactly (a flat value).
    public mutating func element(serialized s: String) {
        member(nil)
        out.write(s)
    }

    /// Writes a whole value as a member.
    public mutating func value(_ v: JSON, _ key: String? = nil) {
        let inArray = key == nil && !counts.isEmpty
        switch v {
        case let .object(pairs) where !(inArray && v.isFlat):
            beginObject(key)
            for (k, x) in pairs { value(x, k) }
            endObject()
        case let .array(items) where !(inArray && v.isFlat):
            beginArray(key)
            for x in items { value(x) }
            endArray()
        default:
            member(key)
            out.write(v.serialized())
            if counts.isEmpty { out.write("\n") }
        }
    }
}

extension JSON {
    /// True for scalars and for containers of scalars only.
    var isFlat: Bool {
        switch self {
        case let .object(pairs): return pairs.allSatisfy { !$0.1.isContainer }
        case let .array(items): return items.allSatisfy { !$0.isContainer }
        default: return true
        }
    }
    var isContainer: Bool {
        switch self {
        case .object, .array: return true
        default: return false
        }
    }

    /// The value in the rows layout of `JSONStream`, ending with a newline.
    public func rows() -> String {
        var s = JSONStream("")
        s.value(self)
        return s.out
    }
}

/// Standard output through a large buffer: dumps print millions of lines.
public struct StandardOutput: TextOutputStream {
    final class Buffer {
        var bytes: [UInt8] = []
        init() { bytes.reserveCapacity(1 << 17) }
        deinit { flush() }
        func flush() {
            guard !bytes.isEmpty else { return }
            bytes.withUnsafeBufferPointer { _ = fwrite($0.baseAddress, 1, $0.count, stdout) }
            fflush(stdout)
            bytes.removeAll(keepingCapacity: true)
        }
    }
    let buffer = Buffer()

    public init() {}

    public mutating func write(_ s: String) {
        buffer.bytes.append(contentsOf: s.utf8)
        if buffer.bytes.count >= 1 << 16 { buffer.flush() }
    }

    /// Writes out what is buffered (also done when the last copy goes away).
    public func flush() { buffer.flush() }
}
