import Primitives

/// Where the registry's history is kept: the embedded SQLite file (`SQLiteRegistry`, the
/// default) or a PostgreSQL database shared by several hosts (`PostgresRegistry`). Both hold
/// the same rows and give the same answers; `RegistryStore` is the one front door to either.
protocol RegistryBackend: Sendable {
    /// Applies validated rows in one transaction. A row equal to the network's latest
    /// imported state changes nothing, so re-importing a file is a no-op.
    func importRows(_ rows: [RegistryCSV.Row], file: String, sha256: String, now: Int64) throws -> RegistryStore.ImportSummary
    /// The history row in force for `ip` at `time`: the longest registered prefix that
    /// existed then, and its latest row not after `time`.
    func record(for ip: IPAddress, at time: Int64) throws -> RegistrationRecord?
    /// Every row of the networks that contain `ip` (all prefix lengths), oldest first.
    func history(of ip: IPAddress) throws -> [RegistrationRecord]
    /// A new row for `ip`'s network with `status`, copying its registrant and contact.
    func recordChange(
        of ip: IPAddress, to status: RegistrationStatus, at time: Int64, cause: String, source: String, caseID: String?, provisional: Bool
    ) throws -> RegistrationRecord
    /// The index of every row, for bulk lookups (ingest, the DNS server).
    func loadIndex() throws -> RegistrationIndex
    /// Cursors over the registry as it stood at each of `recordIDs`, read side by side in
    /// one read transaction.
    func readCurrentRecords<T>(at time: Int64, through recordIDs: [Int64], _ body: ([RegistryStore.CurrentRecords]) throws -> T) throws -> T
    /// The newest history row id (0 when empty).
    func latestRecordID() throws -> Int64
    /// What names the history as it stands (`RegistryStore.historyMark`).
    func historyMark() throws -> String?
    /// The networks with a history row after `from` and up to `to`, in zone order; nil when
    /// there are more than `limit`.
    func changedNetworks(after from: Int64, through to: Int64, limit: Int) throws -> [IPNetwork]?
    /// A read at `time` for working out a zone's differences window by window.
    func readWindows<T>(at time: Int64, _ body: (any RegistryStore.WindowRead) throws -> T) throws -> T
    /// The networks with rows after `lastID`, each with its whole history up to the newest
    /// row (stopping past `limit` networks), and that newest row's id; nil when none.
    func histories(changedAfter lastID: Int64, limit: Int) throws -> (networks: [IPNetwork: [RegistrationRecord]], maxID: Int64)?
    /// A value that moves whenever the registry may have changed, cheap to take (no query);
    /// nil when the backend cannot tell, and the reader must ask.
    func changeMarker() -> [Int]?
}
