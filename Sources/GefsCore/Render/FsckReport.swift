/// What gefs-fsck says about one run: the passes with their times, every problem, the summary,
/// and the exit status (fsck(8)'s bitmask).
public struct FsckReport {
    /// Exit bits (fsck(8)).
    public enum Exit {
        public static let clean: Int32 = 0
        public static let corrected: Int32 = 1
        public static let uncorrected: Int32 = 4
        public static let operational: Int32 = 8
        public static let usage: Int32 = 16
        public static let cancelled: Int32 = 32
    }

    public struct PassTime {
        public var pass: CheckPass
        public var seconds: Double
        public var peakBytes: Int?
        public init(pass: CheckPass, seconds: Double, peakBytes: Int?) { self.pass = pass; self.seconds = seconds; self.peakBytes = peakBytes }
    }

    public var image: String
    /// The on-disk format the image's magic named, once it is open.
    public var format: String?
    /// Whether data blocks were hashed (false with `--no-data`).
    public var dataVerified = true
    public var passes: [PassTime] = []
    public var problems: [Problem] = []
    public var summary = CheckSummary()
    /// Lines saying what the repair did, in order.
    public var repairs: [String] = []
    /// Set when the run failed for a reason other than the image's contents.
    public var operationalError: String?

    public init(image: String) { self.image = image }

    /// 0 clean; 1 when something was fixed; 4 when an error is left; 8 on an operational error.
    public var exitStatus: Int32 {
        if operationalError != nil { return Exit.operational }
        var s = Exit.clean
        if problems.contains(where: \.fixed) || !repairs.isEmpty { s |= Exit.corrected }
        if problems.contains(where: { $0.severity == .error && !$0.fixed }) { s |= Exit.uncorrected }
        return s
    }

    public func count(_ s: Severity) -> Int { problems.filter { $0.severity == s }.count }

    /// The closing summary, in e2fsck's spirit.
    public var summaryLines: [String] {
        let s = summary
        let pct = s.blocks > 0 ? Double(s.usedBlocks) * 100 / Double(s.blocks) : 0
        let pctText = String(Int(pct * 10) / 10) + "." + String(Int(pct * 10) % 10)
        let kinds = BlockKind.allCases.map { "\(s.reachable[$0] ?? 0) \($0.shortName)" }.joined(separator: ", ")
        var out = [
            "\(image): \(s.files) files, \(s.directories) directories, \(s.snapshots) snapshots, \(s.labels) labels, \(s.trees) trees",
            "\(image): \(s.usedBlocks)/\(s.blocks) blocks used (\(pctText)%), \(s.freeBlocks) free; reachable: \(kinds)",
            "\(image): \(count(.error)) errors, \(count(.warning)) warnings, \(count(.info)) notes, \(problems.filter(\.fixed).count) fixed",
        ]
        if !repairs.isEmpty { out.append("\n***** IMAGE WAS MODIFIED *****") }
        return out
    }

    /// The whole report as JSON (the man page documents the fields).
    public var json: JSON {
        let s = summary
        return .obj([
            "image": .string(image),
            "format": format.map { .string($0) },
            "data_verified": .bool(dataVerified),
            "exit": JSON(Int(exitStatus)),
            "error": operationalError.map { .string($0) },
            "passes": .array(passes.map { p in
                .obj(["pass": JSON(p.pass.rawValue), "name": .string(p.pass.description), "seconds": .double(p.seconds),
                      "peak_bytes": p.peakBytes.map { JSON($0) }])
            }),
            "problems": .array(problems.map(\.json)),
            "repairs": repairs.isEmpty ? nil : .array(repairs.map { .string($0) }),
            "summary": .obj([
                "blocks": JSON(s.blocks), "used": JSON(s.usedBlocks), "free": JSON(s.freeBlocks),
                "files": JSON(s.files), "directories": JSON(s.directories), "snapshots": JSON(s.snapshots),
                "labels": JSON(s.labels), "trees": JSON(s.trees),
                "reachable": .object(BlockKind.allCases.map { ($0.shortName, JSON(s.reachable[$0] ?? 0)) }),
                "errors": JSON(count(.error)), "warnings": JSON(count(.warning)), "infos": JSON(count(.info)),
                "fixed": JSON(problems.filter(\.fixed).count),
            ]),
        ])
    }
}
