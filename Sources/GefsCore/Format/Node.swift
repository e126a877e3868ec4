/// A key and its value, as stored in a leaf or a pivot's key/value area (FORMAT.md §9.1).
public struct Record: Equatable, Hashable, Sendable {
    public var key: [UInt8]
    public var value: [UInt8]
    public init(key: [UInt8], value: [UInt8]) { self.key = key; self.value = value }
    /// Bytes the record takes in the packed area, its table slot excluded.
    public var packedSize: Int { 4 + key.count + value.count }
}

/// Tree-message operations (FORMAT.md §9.4).
public enum MessageOp: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case nop = 0, insert = 1, delete = 2, clearb = 3, clobber = 4, wstat = 5, relink = 6, reprev = 7
    public var description: String {
        switch self {
        case .nop: return "Onop"
        case .insert: return "Oinsert"
        case .delete: return "Odelete"
        case .clearb: return "Oclearb"
        case .clobber: return "Oclobber"
        case .wstat: return "Owstat"
        case .relink: return "Orelink"
        case .reprev: return "Oreprev"
        }
    }
}

/// A message waiting in a pivot's buffer (FORMAT.md §9.2).
public struct Message: Equatable, Hashable, Sendable {
    public var op: MessageOp
    public var key: [UInt8]
    public var value: [UInt8]
    public init(op: MessageOp, key: [UInt8], value: [UInt8] = []) { self.op = op; self.key = key; self.value = value }
    public var packedSize: Int { 5 + key.count + value.count }
}

/// A pivot's reference to a child: the pointer and the child's fill.
public struct ChildRef: Equatable, Sendable {
    public var bp: BlockPointer
    public var fill: Int
    public init(bp: BlockPointer, fill: Int) { self.bp = bp; self.fill = fill }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: Format.pivotPointerSize)
        bp.encode(into: &w); w.u16(UInt16(fill))
        return w.bytes
    }
    public static func decode(_ v: [UInt8]) throws -> ChildRef {
        guard v.count == Format.pivotPointerSize else {
            throw FormatError.invalid("pivot value", "\(v.count) bytes, expected \(Format.pivotPointerSize)")
        }
        var r = ByteReader(v, structure: "pivot value")
        return ChildRef(bp: try .decode(&r), fill: Int(try r.u16()))
    }
}

/// A tree node: a leaf (records) or a pivot (records naming children, plus buffered messages).
public struct Node: Equatable, Sendable {
    public enum Kind: Sendable { case leaf, pivot }
    public var kind: Kind
    /// In key order; a pivot's values are `ChildRef`s.
    public var records: [Record]
    /// A pivot's messages in table order (by key, oldest first among equal keys).
    public var messages: [Message]

    public init(kind: Kind, records: [Record], messages: [Message] = []) {
        self.kind = kind; self.records = records; self.messages = messages
    }

    public static var leafData: Int { Format.leafHeaderSize }
    public static var pivotData: Int { Format.pivotHeaderSize }
    /// Block offset of a pivot's message buffer.
    public static var bufferStart: Int { Format.pivotHeaderSize + Format.pivotSpace }

    var space: Int { kind == .leaf ? Format.leafSpace : Format.pivotSpace }
    var dataStart: Int { kind == .leaf ? Node.leafData : Node.pivotData }

    public var valsz: Int { records.reduce(0) { $0 + $1.packedSize } }
    public var bufsz: Int { messages.reduce(0) { $0 + $1.packedSize } }
    /// The fill a parent records for this node (§9.3).
    public var fill: Int {
        2 * records.count + valsz + (kind == .pivot ? 2 * messages.count + bufsz : 0)
    }
    /// Whether the records (and messages) fit in one block.
    public var fits: Bool {
        2 * records.count + valsz <= space && (kind == .leaf || 2 * messages.count + bufsz <= Format.bufferSpace)
    }

    /// The children of a pivot, decoded.
    public func children() throws -> [ChildRef] { try records.map { try ChildRef.decode($0.value) } }

    // MARK: Encoding

    /// Packs the node into a block. `messages` are taken in append order and tabled by key.
    public func encodeBlock() -> [UInt8] {
        precondition(fits, "node overflows its block")
        var b = [UInt8].zeroBlock()
        b.put((kind == .leaf ? BlockType.leaf : .pivot).rawValue, at: 0)
        b.put(UInt16(records.count), at: 2); b.put(UInt16(valsz), at: 4)
        Node.pack(records.map { ($0.key, $0.value, nil) }, into: &b, base: dataStart, space: space)
        if kind == .pivot {
            b.put(UInt16(messages.count), at: 6); b.put(UInt16(bufsz), at: 8)
            // Stable sort: equal keys keep append order, oldest first.
            let order = messages.indices.sorted { (i, j) in
                let c = compareKeys(messages[i].key, messages[j].key)
                return c != 0 ? c < 0 : i < j
            }
            Node.pack(messages.map { ($0.key, $0.value, $0.op.rawValue) }, into: &b, base: Node.bufferStart,
                      space: Format.bufferSpace, tableOrder: order)
        }
        return b
    }

    /// Packs items downward from `space` in the given physical order; the offset table lists
    /// them in `tableOrder` (default: the same order).
    static func pack(_ items: [([UInt8], [UInt8], UInt8?)], into b: inout [UInt8], base: Int, space: Int,
                     tableOrder: [Int]? = nil) {
        var top = space
        var offsets = [Int](repeating: 0, count: items.count)
        for (i, (k, v, op)) in items.enumerated() {
            let size = (op == nil ? 4 : 5) + k.count + v.count
            top -= size
            offsets[i] = top
            var p = base + top
            if let op { b[p] = op; p += 1 }
            b.put(UInt16(k.count), at: p); p += 2
            b.replaceSubrange(p..<p + k.count, with: k); p += k.count
            b.put(UInt16(v.count), at: p); p += 2
            b.replaceSubrange(p..<p + v.count, with: v)
        }
        for (slot, i) in (tableOrder ?? Array(items.indices)).enumerated() {
            b.put(UInt16(offsets[i]), at: base + 2 * slot)
        }
    }

    // MARK: Decoding

    /// Decodes a leaf or pivot, validating every count, offset and length of §9.1–§9.2.
    /// Key order and key ranges are semantic and left to the checker (see `orderError`).
    public static func decode(_ b: [UInt8]) throws -> Node {
        guard b.count == Format.blockSize else { throw FormatError.truncated("node", needed: Format.blockSize, available: b.count) }
        let t = b.u16(at: 0)
        switch t {
        case BlockType.leaf.rawValue:
            let records = try unpack(b, count: Int(b.u16(at: 2)), size: Int(b.u16(at: 4)), base: leafData,
                                     space: Format.leafSpace, hasOp: false, what: "leaf") { Record(key: $1, value: $2) }
            return Node(kind: .leaf, records: records)
        case BlockType.pivot.rawValue:
            let records = try unpack(b, count: Int(b.u16(at: 2)), size: Int(b.u16(at: 4)), base: pivotData,
                                     space: Format.pivotSpace, hasOp: false, what: "pivot") { Record(key: $1, value: $2) }
            let msgs = try unpack(b, count: Int(b.u16(at: 6)), size: Int(b.u16(at: 8)), base: bufferStart,
                                  space: Format.bufferSpace, hasOp: true, what: "pivot buffer") { ($0, $1, $2) }
            var messages: [Message] = []
            messages.reserveCapacity(msgs.count)
            for (op, k, v) in msgs {
                guard let o = MessageOp(rawValue: op), o != .nop else {
                    throw FormatError.invalid("pivot buffer", "message op \(op) is not a valid op")
                }
                messages.append(Message(op: o, key: k, value: v))
            }
            return Node(kind: .pivot, records: records, messages: messages)
        default:
            throw FormatError.invalid("node", "block type \(t) is neither Tleaf nor Tpivot")
        }
    }

    /// Reads `count` items (op, key, value) through the offset table at `base`, each made into
    /// a `T` as it is read, checking that they tile `[space − size, space)` exactly and stay
    /// clear of the table.
    static func unpack<T>(_ b: [UInt8], count: Int, size: Int, base: Int, space: Int, hasOp: Bool,
                          what: String, _ make: (UInt8, [UInt8], [UInt8]) -> T) throws -> [T] {
        guard 2 * count + size <= space else {
            throw FormatError.invalid(what, "table of \(count) and \(size) bytes of data exceed the \(space)-byte area")
        }
        var items: [T] = []
        items.reserveCapacity(count)
        var extents: [(Int, Int)] = []
        extents.reserveCapacity(count)
        let head = hasOp ? 5 : 4
        for i in 0..<count {
            let o = Int(b.u16(at: base + 2 * i))
            guard o >= 2 * count, o >= space - size, o + head <= space else {
                throw FormatError.invalid(what, "entry \(i) at offset \(o) lies outside the packed area")
            }
            var p = base + o
            let op: UInt8 = hasOp ? b[p] : 0
            if hasOp { p += 1 }
            let nk = Int(b.u16(at: p))
            guard nk <= Format.keyMax, o + head + nk <= space else {
                throw FormatError.invalid(what, "entry \(i): key length \(nk) runs past the area")
            }
            let key = Array(b[p + 2..<p + 2 + nk])
            p += 2 + nk
            let nv = Int(b.u16(at: p))
            guard nv <= Format.inlineMax, o + head + nk + nv <= space else {
                throw FormatError.invalid(what, "entry \(i): value length \(nv) runs past the area")
            }
            items.append(make(op, key, Array(b[p + 2..<p + 2 + nv])))
            extents.append((o, o + head + nk + nv))
        }
        extents.sort { $0.0 < $1.0 }
        var expect = space - size
        for (lo, hi) in extents {
            guard lo == expect else {
                throw FormatError.invalid(what, lo < expect ? "entries overlap at offset \(lo)" : "gap in the packed area at offset \(expect)")
            }
            expect = hi
        }
        guard expect == space else {
            throw FormatError.invalid(what, "entries fill \(expect - (space - size)) bytes, header says \(size)")
        }
        return items
    }

    /// Index of the first record whose key is not above its predecessor, or nil when strictly increasing.
    public func orderError() -> Int? {
        for i in records.indices.dropFirst() where compareKeys(records[i - 1].key, records[i].key) >= 0 { return i }
        return nil
    }
}

/// Compares keys as unsigned bytes; on a common prefix the shorter key is smaller.
@inlinable public func compareKeys(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let n = Swift.min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}
