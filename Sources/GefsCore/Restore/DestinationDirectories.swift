/// Where restored directories go under DEST: each placement's directory made and opened below
/// its parent's (or lost+found's), through the host destination's descriptors.
extension HostDestination {
    /// The descriptor of a placed directory, making it and the directories above it as needed.
    /// `placements[i].parent` chains up to the root (DEST) or to lost+found (under DEST).
    func open(_ i: Int, _ placements: [Placement], overwrite: Bool, made: ((Int, Made) -> Void)? = nil) throws -> Int32 {
        if placements[i].path.isEmpty { return root }
        if let fd = cached(i) { return fd }
        let p = placements[i]
        let parentFD: Int32
        if let up = p.parent { parentFD = try open(up, placements, overwrite: overwrite, made: made) } else if p.orphan && p.path != Namespace.lostFound {
            parentFD = try lostFound(placements, overwrite: overwrite, made: made)
        } else { parentFD = root }
        let (fd, how) = try directory(in: parentFD, p.name, rel: p.path, overwrite: overwrite)
        made?(i, how)
        keep(fd, for: i)
        return fd
    }

    func lostFound(_ placements: [Placement], overwrite: Bool, made: ((Int, Made) -> Void)?) throws -> Int32 {
        guard let i = placements.firstIndex(where: { $0.path == Namespace.lostFound }) else { return root }
        return try open(i, placements, overwrite: overwrite, made: made)
    }
}
