/// Why an image cannot be formatted. Each case prints as one line naming the problem.
public enum FormatterError: Error, Equatable, CustomStringConvertible {
    case tooSmall(size: Int64, minimum: Int64)
    case arenas(String)
    case badSize(String)
    case badUser(String, String)
    case badTime(String)
    case target(String, String)
    case refused(String, String)
    case noRoom(path: String, needed: Int64, size: Int64)

    public var description: String {
        switch self {
        case let .tooSmall(size, minimum):
            return "a size of \(size) bytes is too small: gefs needs at least \(minimum) bytes (\(humanSize(minimum)))"
        case let .arenas(why): return why
        case let .badSize(s): return "bad size \"\(s)\": expected a number of bytes with an optional K, M, G or T suffix"
        case let .badUser(name, why): return "bad user name \"\(name)\": \(why)"
        case let .badTime(s): return "bad SOURCE_DATE_EPOCH \"\(s)\": expected whole seconds since 1970"
        case let .target(path, why): return "\(path): \(why)"
        case let .refused(path, why): return "\(path): \(why)"
        case let .noRoom(path, needed, size):
            return "\(path): the files do not fit in \(size) bytes (\(humanSize(size))); they need an image of at least \(needed) bytes (\(humanSize(needed)))"
        }
    }
}

