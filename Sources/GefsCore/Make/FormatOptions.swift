/// What goes into a new image besides its size.
public struct FormatOptions: Equatable, Sendable {
    /// The user of the users file (id 1), who owns populated files.
    public var user: String
    /// Format time, nanoseconds since 1970: atime and mtime of everything mkgefs makes.
    public var time: Int64
    /// Arenas, or nil for §5's default.
    public var arenas: Int?

    public init(user: String = "glenda", time: Int64, arenas: Int? = nil) {
        self.user = user; self.time = time; self.arenas = arenas
    }

    /// Why `name` cannot be the user of a users file, or nil.
    public static func userError(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name == "adm" || name == "none" { return "\(name) is already in the users file" }
        if name.utf8.contains(where: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") || $0 < 0x20 || $0 == 0x7f }) {
            return "it must not contain ':', '/' or control characters"
        }
        if name.utf8.count > Format.nameMax { return "longer than \(Format.nameMax) bytes" }
        return nil
    }

    /// The users file (§11): `id:name:leader:members`, one line each.
    public var usersFile: [UInt8] { Array("-1:adm::\(user)\n0:none::\n1:\(user):\(user):\n".utf8) }
}

