/// Text and SVG renderings of a `SpaceMap`.
extension SpaceMap {
    /// One line per arena (wrapped at the map width), then a legend with block counts.
    public func text() -> String {
        var out = ""
        for row in rows {
            out += "arena \(row.arena) map, \(hex(row.region.lowerBound))..<\(hex(row.region.upperBound)), "
            out += "\(row.blocksPerCell) block\(row.blocksPerCell == 1 ? "" : "s") per character:\n"
            out += "  " + String(row.cells.map(\.symbol)) + "\n"
        }
        out += "legend (blocks):\n"
        for c in BlockClass.allCases {
            let n = rows.reduce(0) { $0 + $1.totals[c] }
            out += "  \(c.symbol) \(pad(c.name, 34))\(n)\n"
        }
        return out
    }

    /// An SVG picture: a row per arena (`<g class="arena" data-arena="N">`), a cell per run of
    /// blocks coloured by class, the start and end addresses on each row's axis, and a legend.
    public func svg() -> String {
        let cell = 4, rowHeight = 28, left = 90, top = 30
        let cols = rows.map(\.cells.count).max() ?? 0
        let width = left + cols * cell + 20
        let legendTop = top + rows.count * (rowHeight + 22) + 10
        let height = legendTop + BlockClass.allCases.count * 18 + 10
        var s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"monospace\" font-size=\"11\">\n"
        s += "<title>gefs block map</title>\n"
        for (k, row) in rows.enumerated() {
            let y = top + k * (rowHeight + 22)
            s += "<g class=\"arena\" data-arena=\"\(row.arena)\" data-blocks-per-cell=\"\(row.blocksPerCell)\">\n"
            s += "<text x=\"4\" y=\"\(y + rowHeight / 2 + 4)\">arena \(row.arena)</text>\n"
            var i = 0
            while i < row.cells.count {
                var j = i
                while j < row.cells.count && row.cells[j] == row.cells[i] { j += 1 }
                let c = row.cells[i]
                s += "<rect class=\"\(SpaceMap.cssClass(c))\" x=\"\(left + i * cell)\" y=\"\(y)\" width=\"\((j - i) * cell)\" height=\"\(rowHeight)\" fill=\"\(c.color)\"/>\n"
                i = j
            }
            s += "<text x=\"\(left)\" y=\"\(y + rowHeight + 13)\">\(hex(row.region.lowerBound))</text>\n"
            s += "<text x=\"\(left + row.cells.count * cell)\" y=\"\(y + rowHeight + 13)\" text-anchor=\"end\">\(hex(row.region.upperBound))</text>\n"
            s += "</g>\n"
        }
        s += "<g class=\"legend\">\n"
        for (k, c) in BlockClass.allCases.enumerated() {
            let y = legendTop + k * 18
            s += "<rect class=\"\(SpaceMap.cssClass(c))\" x=\"4\" y=\"\(y)\" width=\"12\" height=\"12\" fill=\"\(c.color)\"/>"
            s += "<text x=\"22\" y=\"\(y + 10)\">\(c.name)</text>\n"
        }
        s += "</g>\n</svg>\n"
        return s
    }

    /// The class name a map cell carries in SVG: `free`, `log`, `node`, … .
    public static func cssClass(_ c: BlockClass) -> String {
        switch c {
        case .free: return "free"
        case .log: return "log"
        case .node: return "node"
        case .data: return "data"
        case .deadlist: return "deadlist"
        case .dead: return "dead"
        case .leaked: return "leaked"
        case .useAfterFree: return "use-after-free"
        case .unknown: return "unknown"
        }
    }
}
