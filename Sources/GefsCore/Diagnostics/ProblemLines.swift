/// Problems as the tools print them, one line each.
extension Problem {
    /// One problem as a line: `error code: where: message`, `[fixed]` when a repair fixed it.
    public var line: String { description + (fixed ? " [fixed]" : "") }

    /// Lines for `problems`, at most `limit` of one code at one place (tree, path or arena);
    /// the rest are counted in a closing line per group (`--json` lists them all).
    public static func lines(_ problems: [Problem], limit: Int = 10) -> [String] {
        var shown: [String: Int] = [:]
        var order: [String] = []
        var out: [String] = []
        for p in problems {
            // The tree (or deadlist, …): its name up to any '/', as it was when the file's path
            // was part of one string.
            let place = p.place.map { String($0.name.prefix { $0 != "/" }).trimmingTrailingSpaces } ?? p.arena.map { "arena \($0)" } ?? ""
            let group = p.code.id + "\u{0}" + place
            if shown[group] == nil { order.append(group) }
            shown[group, default: 0] += 1
            if shown[group]! <= limit { out.append(p.line) }
        }
        for g in order where shown[g]! > limit {
            let parts = g.split(separator: "\u{0}", omittingEmptySubsequences: false)
            out.append("... and \(shown[g]! - limit) more \(parts[0])" + (parts[1].isEmpty ? "" : " in \(parts[1])"))
        }
        return out
    }
}

extension String {
    var trimmingTrailingSpaces: String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
