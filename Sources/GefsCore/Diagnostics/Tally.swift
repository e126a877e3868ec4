/// A count per case of an enum with integer raw values, cheap enough for hot loops (an array,
/// no hashing). It is sized from `allCases` and indexed by raw value, so adding a case can
/// never shift another case's count.
public struct Tally<Case: CaseIterable & RawRepresentable>: Equatable, Sendable where Case.RawValue: BinaryInteger {
    private var counts: [Int]

    public init() {
        let top = Case.allCases.map { Int($0.rawValue) }.max() ?? -1
        counts = [Int](repeating: 0, count: top + 1)
    }

    public subscript(key: Case) -> Int {
        get { counts[Int(key.rawValue)] }
        set { counts[Int(key.rawValue)] = newValue }
    }

    /// The sum over every case.
    public var total: Int { counts.reduce(0, +) }

    /// Adds another tally's counts, case by case.
    public static func += (a: inout Tally, b: Tally) {
        for i in a.counts.indices { a.counts[i] += b.counts[i] }
    }
}
