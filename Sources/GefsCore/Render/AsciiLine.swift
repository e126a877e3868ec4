/// Builds one short ASCII line in place, without intermediate strings: the log dumps print a
/// line per entry, millions of them, and formatting through interpolation dominated their time.
/// Every method here prints what the project's ordinary formatting (`hex`, `LogEntry.description`,
/// `JSON.serialized`) prints; the tests hold them to it.
struct AsciiLine {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var count = 0

    /// A line of at most `capacity` bytes (longer output is cut, never overrun).
    static func make(capacity: Int = 192, _ body: (inout AsciiLine) -> Void) -> String {
        String(unsafeUninitializedCapacity: capacity) { buf in
            var l = AsciiLine(base: buf.baseAddress!, capacity: capacity)
            body(&l)
            return l.count
        }
    }

    mutating func byte(_ b: UInt8) {
        guard count < capacity else { return }
        base[count] = b
        count += 1
    }

    mutating func put(_ s: StaticString) {
        s.withUTF8Buffer { for b in $0 { byte(b) } }
    }

    mutating func put(_ s: String) {
        for b in s.utf8 { byte(b) }
    }

    mutating func spaces(to column: Int) {
        repeat { byte(0x20) } while count < column
    }

    static let digits: StaticString = "0123456789abcdef"

    /// Digits of `v` in `radix`, at least `width` of them.
    mutating func digits(_ v: UInt64, radix: UInt64, width: Int = 1) {
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 decimal digits
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &tmp) { t in
            repeat {
                t[n] = AsciiLine.digits.utf8Start[Int(x % radix)]
                x /= radix
                n += 1
            } while x != 0 || n < width
            for i in stride(from: n - 1, through: 0, by: -1) { byte(t[i]) }
        }
    }

    /// As `hex()`: `0x1f`, `-0x4000`.
    mutating func hex(_ v: Int64) {
        if v < 0 { byte(0x2d) }
        put("0x")
        digits(v.magnitude, radix: 16)
    }
    mutating func hex(_ v: UInt64) { put("0x"); digits(v, radix: 16) }
    mutating func hex16(_ v: UInt64) { put("0x"); digits(v, radix: 16, width: 16) }
    mutating func dec(_ v: Int) {
        if v < 0 { byte(0x2d) }
        digits(UInt64(v.magnitude), radix: 10)
    }
    mutating func dec(_ v: Int64) {
        if v < 0 { byte(0x2d) }
        digits(v.magnitude, radix: 10)
    }
    mutating func dec(_ v: UInt64) { digits(v, radix: 10) }

    /// As `LogEntry.description`.
    mutating func entry(_ e: LogEntry) {
        switch e.op {
        case .alloc1, .free1: put(e.op == .alloc1 ? "alloc1 " : "free1 "); hex(e.addr)
        case .alloc, .free: put(e.op == .alloc ? "alloc " : "free "); hex(e.addr); byte(0x2b); hex(e.len)
        case .sync: put("sync "); dec(e.gen)
        case .chain: put("chain -> "); hex(e.addr)
        case .end:
            put("end")
            if e.word != UInt64(LogOp.end.rawValue) { put(" (word "); hex(e.word); byte(0x29) }
        case .nop: put("nop")
        }
    }

    /// As `LogDump.entryJSON(...).serialized()`.
    mutating func entryJSON(_ offset: Int, _ e: LogEntry, committed: Bool, raw: Bool, replayed: Bool) {
        put("{\"offset\":"); dec(offset)
        put(",\"op\":\""); put(e.op.description); byte(0x22)
        let ranged = e.isAlloc || e.isFree
        if ranged || e.op == .chain { put(",\"addr\":"); dec(e.addr) }
        if ranged { put(",\"len\":"); dec(e.len) }
        if e.op == .sync { put(",\"gen\":"); dec(e.gen) }
        put(committed ? ",\"committed\":true" : ",\"committed\":false")
        if !replayed { put(",\"replayed\":false") }
        if raw {
            put(",\"word\":"); dec(e.word)
            if let w2 = e.word2 { put(",\"word2\":"); dec(w2) }
        }
        byte(0x7d)
    }
}
