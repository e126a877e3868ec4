/// A label of the snapshot tree: `Klabel(name) → Ksnap(gen), flags`.
public struct Label: Equatable, Sendable {
    public var name: [UInt8]
    /// The value as written (its gen the Ksnap key's u64).
    public var value: LabelValue
    public var text: String { printable(name) }
    /// The snapshot it names, as a Tree record's gen (s64: snapshot gens are Int64 here).
    public var gen: Int64 { Int64(bitPattern: value.gen) }
}

/// A `Kconf(name) → value` setting (FORMAT-9FRONT.md §9.5).
public struct ConfSetting: Equatable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]
}

/// A `Kdlist(gen, bgen) → hd, tl` record: blocks born in `bgen` and killed by snapshot `gen`.
/// The gens are snapshot gens, Int64 like a Tree record's; the key holds them as u64.
public struct DeadlistEntry: Equatable, Sendable {
    public var gen: Int64
    public var bgen: Int64
    public var ref: DeadlistRef

    public init(key gen: UInt64, _ bgen: UInt64, ref: DeadlistRef) {
        self.gen = Int64(bitPattern: gen); self.bgen = Int64(bitPattern: bgen); self.ref = ref
    }

    /// Its key, as written.
    public var key: Key { .dlist(gen: UInt64(bitPattern: gen), bgen: UInt64(bitPattern: bgen)) }
    /// `Kdlist(3, 2)`.
    public var name: String { "\(key)" }
}

/// The logical contents of the snapshot tree (FORMAT.md §9.5), each kind in key order.
public struct SnapshotTreeContents: Sendable {
    public var labels: [Label] = []
    /// The Ksnap records, by gen.
    public var snapshots: [TreeRecord] = []
    public var deadlists: [DeadlistEntry] = []
    /// Kconf settings (gefs9.00): name and value, in key order.
    public var conf: [ConfSetting] = []
    /// Whether the format has Kconf keys (gefs9.00), for what a problem says the tree holds.
    public var confKeys: Bool

    public init(confKeys: Bool = false) { self.confKeys = confKeys }

    /// The snapshot with generation `gen`.
    public func snapshot(_ gen: Int64) -> TreeRecord? {
        var a = 0, b = snapshots.count
        while a < b {
            let m = (a + b) / 2
            if snapshots[m].gen < gen { a = m + 1 } else { b = m }
        }
        return a < snapshots.count && snapshots[a].gen == gen ? snapshots[a] : nil
    }

    /// The labels naming snapshot `gen`, by name.
    public func labels(of gen: Int64) -> [Label] { labels.filter { $0.gen == gen } }

    /// The labels of every snapshot at once, by gen, each list by name: one pass, where
    /// `labels(of:)` for each of many snapshots would be quadratic.
    public var labelsByGen: [Int64: [Label]] {
        var out: [Int64: [Label]] = [:]
        for l in labels { out[l.gen, default: []].append(l) }
        return out
    }

    /// How many snapshots name each gen as their `pred`.
    public var predCounts: [Int64: Int] {
        var out: [Int64: Int] = [:]
        for s in snapshots { out[s.pred, default: 0] += 1 }
        return out
    }

    /// The label `name`.
    public func label(_ name: String) -> Label? { labels.first { $0.name == Array(name.utf8) } }

    /// Adds one logical record of the snapshot tree; returns why it does not belong there or
    /// does not decode, and leaves it out then.
    public mutating func add(key: [UInt8], value: [UInt8]) -> MessageApply.Failure? {
        let k: Key
        do { k = try Key.decode(key) } catch {
            return .init(code: .treeKeyMalformed, message: "key \(KeyRange.show(key)): \(error)")
        }
        do {
            switch k {
            case let .label(name):
                labels.append(Label(name: name, value: try LabelValue.decode(value)))
            case let .snap(gen):
                let t = try TreeRecord.decode(value)
                snapshots.append(t)
                if t.gen != Int64(bitPattern: gen) {
                    return .init(code: .snapRecordInvalid, message: "\(k) holds a Tree record with gen \(t.gen)")
                }
            case let .dlist(gen, bgen):
                deadlists.append(DeadlistEntry(key: gen, bgen, ref: try DeadlistRef.decode(value)))
            case let .conf(name):
                conf.append(ConfSetting(name: name, value: value))
            case .dat, .ent, .up:
                return .init(code: .treeKeyKind, message: "\(k) in the snapshot tree, which holds only Klabel, Ksnap\(confKeys ? ", Kdlist and Kconf" : " and Kdlist")")
            }
        } catch {
            return .init(code: .treeValueMalformed, message: "\(k): \(error)")
        }
        return nil
    }
}

extension TreeReader {
    /// Reads the snapshot tree's logical contents, reporting every problem met; records that do
    /// not decode are left out.
    public func snapshotContents(problem: @escaping (Problem) -> Void) -> (SnapshotTreeContents, WalkResult) {
        var c = SnapshotTreeContents(confKeys: image.format.grading.confKeys)
        let t = snapshotTree
        let r = walk(t, record: { k, v in
            if let f = c.add(key: k, value: v) { problem(Problem(f.code, f.message, in: t.name)) }
            return true
        }, problem: problem)
        return (c, r)
    }

    /// The snapshot tree's contents; throws at the first error.
    public func snapshotContents() throws -> SnapshotTreeContents {
        var failure: Problem?
        let (c, _) = snapshotContents { p in if p.severity == .error, failure == nil { failure = p } }
        if let failure { throw TreeReadError(failure) }
        return c
    }

    /// The file tree a label names, e.g. `main`.
    public func tree(label name: String) throws -> TreeRoot {
        let c = try snapshotContents()
        guard let l = c.label(name) else {
            throw TreeReadError(Problem(.labelDangling, "no label \"\(name)\" in \(image.name)"))
        }
        guard let s = c.snapshot(l.gen) else {
            throw TreeReadError(Problem(.labelDangling, "label \"\(name)\" names snapshot \(l.value.gen), which does not exist"))
        }
        return tree(s, label: name)
    }

    // MARK: Deadlists (§9.6)

    /// Walks a deadlist chain from its head (newest) to its tail, calling `block` with each
    /// Tdlist block. Reports a broken chain, a loop, and blocks that fail their hash or do not
    /// decode. Returns whether every block of the chain was read.
    @discardableResult
    public func walkDeadlist(_ ref: DeadlistRef, name: String,
                             block: (BlockPointer, DeadlistBlock) -> Void,
                             problem: (Problem) -> Void) -> Bool {
        if ref.head.isNull || ref.tail.isNull {
            if ref.head.isNull != ref.tail.isNull {
                problem(Problem(.deadlistChainBroken, "head \(ref.head) and tail \(ref.tail): one is empty, the other not", in: name))
                return false
            }
            return true
        }
        var bp = ref.head
        var seen: Set<Int64> = []
        // A chain cannot hold more blocks than the image.
        let limit = Int(image.device.blockCount)
        while true {
            guard seen.count < limit, seen.insert(bp.addr).inserted else {
                problem(Problem(.deadlistChainBroken, "the chain comes back to \(hex(bp.addr))", block: bp.addr, in: name))
                return false
            }
            let b: [UInt8]
            do {
                b = try image.device.read(at: bp.addr)
                try image.format.verifyDeadlistBlock(b, pointer: bp)
            } catch {
                problem(Problem(.deadlistUnreadable, "\(error)", block: bp.addr, in: name))
                return false
            }
            let d: DeadlistBlock
            do { d = try image.format.decodeDeadlistBlock(b) } catch {
                problem(Problem(.deadlistBlockInvalid, "block \(hex(bp.addr)): \(error)", block: bp.addr, in: name))
                return false
            }
            block(bp, d)
            if bp.addr == ref.tail.addr {
                if bp.hash != ref.tail.hash {
                    problem(Problem(.deadlistChainBroken, "tail \(hex(bp.addr)) hashes to \(hex(bp.hash)), the record says \(hex(ref.tail.hash))",
                                    block: bp.addr, in: name))
                }
                if !d.next.isNull {
                    problem(Problem(.deadlistChainBroken, "the chain goes on past its tail \(hex(bp.addr)) to \(hex(d.next.addr))",
                                    block: bp.addr, in: name))
                }
                return true
            }
            guard !d.next.isNull else {
                problem(Problem(.deadlistChainBroken, "the chain ends at \(hex(bp.addr)) without reaching its tail \(hex(ref.tail.addr))",
                                block: bp.addr, in: name))
                return true
            }
            bp = d.next
        }
    }
}
