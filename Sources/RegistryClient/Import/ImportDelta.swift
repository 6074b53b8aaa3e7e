import Primitives

/// What an import changes, the same for every backend: the rows whose network is new, or
/// whose registrant, status, contact or since differ from the network's latest imported
/// state. A row equal to it changes nothing, so re-importing a file is a no-op.
struct ImportDelta {
    /// A network's latest imported state.
    struct Imported: Equatable {
        var registrant: String
        var status: String
        var contact: String
        var since: Int64
    }

    private var latest: [IPNetwork: Imported] = [:]

    init(capacity: Int) {
        latest.reserveCapacity(capacity)
    }

    /// Notes a network's latest imported state, as the database has it.
    mutating func remember(_ network: IPNetwork, _ state: Imported) {
        latest[network] = state
    }

    /// The rows to write, and the import's summary.
    func changes(_ rows: [RegistryCSV.Row], file: String, sha256: String) -> (rows: [RegistryCSV.Row], summary: RegistryStore.ImportSummary) {
        var summary = RegistryStore.ImportSummary(file: file, sha256: sha256, rows: rows.count, added: 0, changed: 0, unchanged: 0)
        var changed: [RegistryCSV.Row] = []
        for row in rows {
            if let previous = latest[row.network] {
                if previous == Imported(registrant: row.registrant, status: row.status.rawValue, contact: row.abuseContact, since: row.since) {
                    summary.unchanged += 1
                    continue
                }
                summary.changed += 1
            } else {
                summary.added += 1
            }
            changed.append(row)
        }
        return (changed, summary)
    }
}
