/// Problems of trees, deadlists, directories and snapshots (FORMAT.md §9), found by the tree
/// reader and the checker's passes 3 and 4.
extension ProblemCode {
    // MARK: Nodes (§9.1–§9.3)
    public static let treeBlockUnreadable = ProblemCode("tree_block_unreadable", .error, .trees,
        "a tree node cannot be read from the image; the blocks below it are unknown", hidesSubtree: true)
    public static let treeHashMismatch = ProblemCode("tree_hash_mismatch", .error, .trees,
        "a tree node's block hash differs from the hash in the pointer to it; the blocks below it are unknown", hidesSubtree: true)
    public static let treeNodeType = ProblemCode("tree_node_type", .error, .trees,
        "a block reached as a tree node is neither a Tleaf nor a Tpivot", hidesSubtree: true)
    public static let treeNodeLayout = ProblemCode("tree_node_layout", .error, .trees,
        "a node's header, offset table or packed records and messages break §9.1–§9.2", hidesSubtree: true)
    public static let treeHeightInvalid = ProblemCode("tree_height_invalid", .error, .trees,
        "a tree's height is 0 or above 16", hidesSubtree: true)
    public static let treeHeightMismatch = ProblemCode("tree_height_mismatch", .error, .trees,
        "a leaf is not at depth ht − 1, or a pivot is at the leaves' depth")
    public static let treeKeyOrder = ProblemCode("tree_key_order", .error, .trees,
        "a node's keys are not strictly increasing")
    public static let treeMessageOrder = ProblemCode("tree_message_order", .error, .trees,
        "a pivot's message table is not sorted by key")
    public static let treeKeyRange = ProblemCode("tree_key_range", .error, .trees,
        "a key or message key lies outside the range its parent gives the node")
    public static let treeFillMismatch = ProblemCode("tree_fill_mismatch", .error, .trees,
        "the fill a pivot records for a child differs from the child's fill")
    public static let treePivotUnderfull = ProblemCode("tree_pivot_underfull", .error, .trees,
        "a pivot has fewer than two children")
    public static let treeLeafEmpty = ProblemCode("tree_leaf_empty", .error, .trees,
        "a leaf other than the root is empty")
    public static let treeChildPointer = ProblemCode("tree_child_pointer", .error, .trees,
        "a pivot value is not a 26-byte child pointer, or names no block", hidesSubtree: true)
    public static let treeNodeShared = ProblemCode("tree_node_shared", .error, .trees,
        "a node is reached twice within one tree (a node has exactly one parent)")
    public static let treeBlockGen = ProblemCode("tree_block_gen", .error, .trees,
        "a block pointer's birth gen is above its tree's gen or not below nextgen")
    // MARK: Keys, values and messages (§9.4–§9.5)
    public static let treeKeyKind = ProblemCode("tree_key_kind", .error, nil,
        "a key's kind does not belong in this tree (file trees: Kdat, Kent, Kup; snapshot tree: Klabel, Ksnap, Kdlist; gefs9.00: Kconf in both)")
    public static let treeKeyMalformed = ProblemCode("tree_key_malformed", .error, .trees,
        "a key does not decode for its kind (length, terminator, unknown kind)")
    public static let treeValueMalformed = ProblemCode("tree_value_malformed", .error, .trees,
        "a value has the wrong length or contents for its key's kind")
    public static let treeMessageValue = ProblemCode("tree_message_value", .error, .trees,
        "a message's value does not fit its op, or the op does not fit the key's kind")
    public static let treeMessageMissingKey = ProblemCode("tree_message_missing_key", .error, .trees,
        "an Odelete, Owstat, Orelink or Oreprev message applies to a key that does not exist")
    public static let treeKdatUnaligned = ProblemCode("tree_kdat_unaligned", .error, .trees,
        "a Kdat key's offset is not a multiple of the block size")
    public static let treeDataShared = ProblemCode("tree_data_shared", .error, .trees,
        "one data block is named by two keys of one tree")
    public static let dataUnreadable = ProblemCode("data_unreadable", .error, .trees,
        "a data block named by a Kdat value or an Oinsert message cannot be read")
    public static let dataHashMismatch = ProblemCode("data_hash_mismatch", .error, .trees,
        "a data block's block hash differs from the hash in the Kdat value naming it")
    public static let dataOrphan = ProblemCode("data_orphan", .warning, .directories,
        "a Kdat key belongs to no file, or lies at or past the file's length (gefs leaves these behind)")
    // MARK: Deadlists (§9.6)
    public static let deadlistUnreadable = ProblemCode("deadlist_unreadable", .error, .trees,
        "a deadlist block cannot be read or fails the hash in the pointer to it")
    public static let deadlistBlockInvalid = ProblemCode("deadlist_block_invalid", .error, .trees,
        "a block of a deadlist chain is not a well-formed Tdlist block")
    public static let deadlistChainBroken = ProblemCode("deadlist_chain_broken", .error, .trees,
        "a deadlist chain does not reach its tail, loops, or goes on past it")
    public static let deadlistGen = ProblemCode("deadlist_gen", .error, .trees,
        "a Kdlist key names no snapshot, or its bgen is outside base < bgen <= pred of that snapshot")
    public static let deadlistAddressInvalid = ProblemCode("deadlist_address_invalid", .error, .trees,
        "a listed dead address is not a block of any arena's allocatable region")
    public static let deadlistAddressDuplicate = ProblemCode("deadlist_address_duplicate", .error, .trees,
        "an address is listed in deadlists more than once")
    public static let deadlistAddressLive = ProblemCode("deadlist_address_live", .error, .trees,
        "a listed dead address is still reachable from the snapshot that killed it")
    public static let deadlistReclaimable = ProblemCode("deadlist_reclaimable", .warning, .trees,
        "a listed dead address is not reachable from any older snapshot (it could be freed)",
        fix: "dropped from its deadlist and, when nothing else reaches it, freed", repair: .deadlistReclaim)
    // MARK: Directories (§9.5)
    public static let dirRootMissing = ProblemCode("dir_root_missing", .error, .directories,
        "a file tree has no root directory entry Kent(−1, \"\"), or it is not a directory")
    public static let dirParentMissing = ProblemCode("dir_parent_missing", .error, .directories,
        "an entry's parent qid names no directory (no Kup for it)")
    public static let dirKupMissing = ProblemCode("dir_kup_missing", .error, .directories,
        "a directory has no Kup record, or its Kup names another entry")
    public static let dirKupDangling = ProblemCode("dir_kup_dangling", .error, .directories,
        "a Kup record names an entry that does not exist or is not that directory")
    public static let dirNameInvalid = ProblemCode("dir_name_invalid", .error, .directories,
        "an entry's name is empty, too long, `.` or `..`, or holds NUL or `/`")
    public static let dirEntryInvalid = ProblemCode("dir_entry_invalid", .error, .directories,
        "an entry's Xdir is inconsistent (flag, qid type against mode, a directory with length or data)")
    public static let dirQidRange = ProblemCode("dir_qid_range", .error, .directories,
        "an entry's qid path is not below the superblock's nextqid")
    public static let dirQidDuplicate = ProblemCode("dir_qid_duplicate", .error, .directories,
        "two directory entries of one tree carry the same qid path: one file's data and metadata belong to two names")
    // MARK: Snapshots and labels (§9.5)
    public static let snapRecordInvalid = ProblemCode("snap_record_invalid", .error, .directories,
        "a Ksnap record's gen differs from its key, its flag is not 0, or its height is invalid")
    public static let snapGenRange = ProblemCode("snap_gen_range", .error, .directories,
        "a snapshot or deadlist generation is not below the superblock's nextgen")
    public static let snapLinkDangling = ProblemCode("snap_link_dangling", .error, .directories,
        "a snapshot's pred or succ names a snapshot that does not exist")
    public static let snapNrefMismatch = ProblemCode("snap_nref_mismatch", .error, .directories,
        "a snapshot's nref differs from the number of snapshots whose pred it is")
    public static let snapNlblMismatch = ProblemCode("snap_nlbl_mismatch", .error, .directories,
        "a snapshot's nlbl differs from the number of labels naming it")
    public static let labelDangling = ProblemCode("label_dangling", .error, .directories,
        "a label names a snapshot that does not exist")
    public static let labelInvalid = ProblemCode("label_invalid", .error, .directories,
        "a label's name is empty or holds NUL, or its flags carry unknown bits")

    static let treeCodes: [ProblemCode] = [
        treeBlockUnreadable, treeHashMismatch, treeNodeType, treeNodeLayout, treeHeightInvalid,
        treeHeightMismatch, treeKeyOrder, treeMessageOrder, treeKeyRange, treeFillMismatch,
        treePivotUnderfull, treeLeafEmpty, treeChildPointer, treeNodeShared, treeBlockGen,
        treeKeyKind, treeKeyMalformed, treeValueMalformed, treeMessageValue, treeMessageMissingKey,
        treeKdatUnaligned, treeDataShared, dataUnreadable, dataHashMismatch, dataOrphan,
        deadlistUnreadable, deadlistBlockInvalid, deadlistChainBroken, deadlistGen,
        deadlistAddressInvalid, deadlistAddressDuplicate, deadlistAddressLive, deadlistReclaimable,
        dirRootMissing, dirParentMissing, dirKupMissing, dirKupDangling, dirNameInvalid,
        dirEntryInvalid, dirQidRange, dirQidDuplicate,
        snapRecordInvalid, snapGenRange, snapLinkDangling, snapNrefMismatch, snapNlblMismatch,
        labelDangling, labelInvalid,
    ]
}
