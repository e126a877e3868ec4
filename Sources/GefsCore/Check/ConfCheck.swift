/// Kconf settings (FORMAT-9FRONT.md §9.5), checked by pass 4 with the directories and snapshots:
/// in a format without them each is a key of the wrong kind; in gefs9.00 the one setting gefs
/// reads, `retain`, must parse as the genuine gefs parses it.
extension Pass4Directories {
    func checkConf(_ settings: [ConfSetting], in tree: String) {
        for c in settings {
            let key = Key.conf(name: c.name)
            guard image.format.grading.confKeys else {
                add(Problem(.treeKeyKind, "\(key) in the \(tree): \(image.format.name) has no Kconf keys", in: tree))
                continue
            }
            if c.name == Array("retain".utf8), let (code, why) = RetainSpec.problem(c.value) {
                add(Problem(code, "\(key) = \"\(printable(c.value))\": \(why)", in: tree))
            }
        }
    }
}

/// The automatic-snapshot retention of a `retain` setting: items `[count]@[multiplier]unit`,
/// separated by spaces or tabs, unit `m`, `h` or `d`.
enum RetainSpec {
    /// What the genuine gefs would make of `value`: nil when it takes it, else the problem.
    static func problem(_ value: [UInt8]) -> (ProblemCode, String)? {
        let items = value.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 })
        for item in items {
            var i = item.startIndex
            func digits() -> Substring? {
                let start = i
                while i < item.endIndex, (0x30...0x39).contains(item[i]) { i += 1 }
                return start == i ? nil : Substring(String(decoding: item[start..<i], as: UTF8.self))
            }
            _ = digits()
            guard i < item.endIndex, item[i] == UInt8(ascii: "@") else {
                return (.confRetainInvalid, "item \"\(printable(Array(item)))\" does not start with digits and '@'")
            }
            i += 1
            if let m = digits(), Int(m) == 0 {
                return (.confRetainInvalid, "item \"\(printable(Array(item)))\" has multiplier 0")
            }
            guard i < item.endIndex else {
                return (.confRetainAbort, "item \"\(printable(Array(item)))\" has no unit letter")
            }
            guard i + 1 == item.endIndex, [UInt8(ascii: "m"), UInt8(ascii: "h"), UInt8(ascii: "d")].contains(item[i]) else {
                return (.confRetainInvalid, "item \"\(printable(Array(item)))\" has a unit other than m, h or d")
            }
        }
        return nil
    }
}
