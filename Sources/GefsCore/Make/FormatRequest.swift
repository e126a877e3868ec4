/// The formats mkgefs writes, by the names `-t` takes.
public enum ImageFormat: String, Sendable, CaseIterable {
    /// FORMAT.md, this project's own format (XXH3); the default.
    case gefs8 = "gefs8.00"
    /// FORMAT-9FRONT.md, what the genuine 9front gefs writes (MetroHash).
    case gefs9 = "gefs9.00"

    /// `gefs8.00`, `gefs9.00`, or `9front` (the genuine format's common name).
    public init?(name: String) {
        switch name {
        case "gefs8.00": self = .gefs8
        case "gefs9.00", "9front": self = .gefs9
        default: return nil
        }
    }

    /// Every name `-t` accepts.
    public static let names = ["gefs8.00", "9front", "gefs9.00"]
}

/// What mkgefs prints after a format.
public protocol FormatReport {
    /// One fact per line, no timestamps, addresses in hex.
    var summary: [String] { get }
}

extension FormatResult: FormatReport {}
extension Format9Result: FormatReport {}

/// One format's mkgefs: its layout, its planner and its writer.
protocol ImageFormatter {
    associatedtype Plan
    associatedtype Result: FormatReport
    static var name: String { get }
    static var names: Populate.NameRule { get }
    static var firstQid: UInt64 { get }
    /// Whether the image must fill a block device (its backup superblock is the last block).
    static var fillsDevice: Bool { get }
    static func layout(size: Int64, arenas: Int?) throws -> Plan
    static func fssize(_ layout: Plan) -> Int64
    static func build(_ layout: Plan, _ options: FormatOptions, device: BlockDevice?, census: HostCensus?, plan: DataPlan?) throws -> Result
    static func write(to device: BlockDevice, _ layout: Plan, _ options: FormatOptions, census: HostCensus?, plan: DataPlan?,
                      oldSuperblocks: [Int64]) throws -> Result
}

enum Gefs8Formatter: ImageFormatter {
    static let name = ImageFormat.gefs8.rawValue
    static let names = Populate.NameRule.gefs8
    static let firstQid = Formatter.firstQid
    static let fillsDevice = false
    static func layout(size: Int64, arenas: Int?) throws -> Layout { try Layout(size: size, arenas: arenas) }
    static func fssize(_ layout: Layout) -> Int64 { layout.fssize }
    static func build(_ layout: Layout, _ options: FormatOptions, device: BlockDevice?, census: HostCensus?, plan: DataPlan?) throws -> FormatResult {
        try Formatter.build(layout: layout, options: options, device: device, census: census, plan: plan)
    }
    static func write(to device: BlockDevice, _ layout: Layout, _ options: FormatOptions, census: HostCensus?, plan: DataPlan?,
                      oldSuperblocks: [Int64]) throws -> FormatResult {
        try Formatter.write(to: device, layout: layout, options: options, census: census, plan: plan, oldSuperblocks: oldSuperblocks)
    }
}

enum Gefs9Formatter: ImageFormatter {
    static let name = ImageFormat.gefs9.rawValue
    static let names = Populate.NameRule.gefs9
    static let firstQid = Ream9.firstQid
    static let fillsDevice = true
    static func layout(size: Int64, arenas: Int?) throws -> Layout9 { try Layout9(size: size, arenas: arenas) }
    static func fssize(_ layout: Layout9) -> Int64 { layout.fssize }
    static func build(_ layout: Layout9, _ options: FormatOptions, device: BlockDevice?, census: HostCensus?, plan: DataPlan?) throws -> Format9Result {
        try Formatter9.build(layout: layout, options: options, device: device, census: census, plan: plan)
    }
    static func write(to device: BlockDevice, _ layout: Layout9, _ options: FormatOptions, census: HostCensus?, plan: DataPlan?,
                      oldSuperblocks: [Int64]) throws -> Format9Result {
        try Formatter9.write(to: device, layout: layout, options: options, census: census, plan: plan, oldSuperblocks: oldSuperblocks)
    }
}

/// Everything mkgefs is asked to do.
public struct FormatRequest: Sendable {
    public var path: String
    /// New size; nil keeps the file's or device's size.
    public var size: Int64?
    public var options: FormatOptions
    /// Host directory to copy into main.
    public var root: String?
    public var force = false
    public var dryRun = false
    /// The format to write.
    public var format: ImageFormat

    public init(path: String, size: Int64? = nil, options: FormatOptions, root: String? = nil,
                force: Bool = false, dryRun: Bool = false, format: ImageFormat = .gefs8) {
        self.path = path; self.size = size; self.options = options; self.root = root
        self.force = force; self.dryRun = dryRun; self.format = format
    }

    /// Formats in the requested format; what mkgefs runs.
    public func perform(warn: (String) -> Void = { _ in }) throws -> any FormatReport {
        switch format {
        case .gefs8: return try run(Gefs8Formatter.self, warn: warn)
        case .gefs9: return try run(Gefs9Formatter.self, warn: warn)
        }
    }

    /// Formats a gefs8.00 image (the request's `format` must be gefs8.00).
    public func run(warn: (String) -> Void = { _ in }) throws -> FormatResult {
        precondition(format == .gefs8, "run() formats gefs8.00; use run9() or perform()")
        return try run(Gefs8Formatter.self, warn: warn)
    }

    /// Formats a gefs9.00 image (the request's `format` must be gefs9.00).
    public func run9(warn: (String) -> Void = { _ in }) throws -> Format9Result {
        precondition(format == .gefs9, "run9() formats gefs9.00; use run() or perform()")
        return try run(Gefs9Formatter.self, warn: warn)
    }

    /// Checks everything, plans the whole image, then (unless a dry run) invalidates any old
    /// superblocks and writes the image. Every check that can fail does so before the first
    /// write. `warn` gets one line per host file skipped.
    func run<F: ImageFormatter>(_ f: F.Type, warn: (String) -> Void) throws -> F.Result {
        if let why = FormatOptions.userError(options.user) { throw FormatterError.badUser(options.user, why) }
        let target = try FormatTarget.inspect(path)
        let size: Int64
        switch (target.kind, self.size) {
        case (.missing, nil): throw FormatterError.target(path, "does not exist (give a size to create it)")
        case let (.blockDevice, s?) where s > target.size:
            throw FormatterError.target(path, "the device holds \(target.size) bytes, fewer than the \(s) asked for")
        case let (.blockDevice, s?) where F.fillsDevice && s != target.size:
            throw FormatterError.target(path, "a \(F.name) image fills its device (the backup superblock is the last block): leave out -s or give the device's size, \(target.size) bytes")
        case let (_, s?): size = s
        case (_, nil): size = target.size
        }
        let layout = try F.layout(size: size, arenas: options.arenas)
        let contents = try target.contents()
        if !force {
            switch contents {
            case let .gefs(_, found): throw FormatterError.refused(path, "already holds a \(found) file system (use -f to format over it)")
            case .other: throw FormatterError.refused(path, "holds data that is not a gefs image (use -f to overwrite it)")
            case .empty: break
            }
        }
        let census = try root.map { try Populate.census($0, firstQid: F.firstQid, names: F.names) }
        census?.warnings.forEach(warn)
        let plan = try self.plan(f, layout, census)
        if dryRun { return plan.result }
        let device = try target.open(size: self.size)
        var old: [Int64] = []
        if case let .gefs(found, _) = contents { old = found }
        return try F.write(to: device, layout, options, census: census, plan: plan.data, oldSuperblocks: old)
    }

    /// Plans the image, reading the files for holes only when the most they can need does not
    /// fit (or for a dry run, which reports exactly). Throws `noRoom` with the smallest size
    /// that would do.
    func plan<F: ImageFormatter>(_ f: F.Type, _ layout: F.Plan, _ census: HostCensus?) throws -> (result: F.Result, data: DataPlan?) {
        guard let census else {
            return (try F.build(layout, options, device: nil, census: nil, plan: nil), nil)
        }
        var data = dryRun ? try DataPlan.read(census) : DataPlan.upperBound(census)
        if let r = try attempt(f, layout, census, data) { return (r, data) }
        if !dryRun {
            data = try DataPlan.read(census)
            if let r = try attempt(f, layout, census, data) { return (r, data) }
        }
        let have = F.fssize(layout)
        throw FormatterError.noRoom(path: path, needed: try smallestSize(f, census, data, above: have), size: have)
    }

    /// A plan of the image, or nil when it runs out of blocks.
    func attempt<F: ImageFormatter>(_ f: F.Type, _ layout: F.Plan, _ census: HostCensus, _ data: DataPlan) throws -> F.Result? {
        do {
            return try F.build(layout, options, device: nil, census: census, plan: data)
        } catch is AllocationError {
            return nil
        }
    }

    /// The smallest size, in whole MiB, whose image holds the planned populate.
    func smallestSize<F: ImageFormatter>(_ f: F.Type, _ census: HostCensus, _ data: DataPlan, above: Int64) throws -> Int64 {
        let mib: Int64 = 1 << 20
        func fits(_ size: Int64) throws -> Bool {
            guard let l = try? F.layout(size: size, arenas: options.arenas) else { return false }
            return try attempt(f, l, census, data) != nil
        }
        var lo = above / mib, hi = max(lo + 1, 2 * lo)
        while try !fits(hi * mib) { lo = hi; hi *= 2 }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if try fits(mid * mib) { hi = mid } else { lo = mid }
        }
        return hi * mib
    }
}
