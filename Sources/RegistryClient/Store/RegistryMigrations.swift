import GRDB

/// The registry's tables. Named migrations, never edited once shipped.
enum RegistryMigrations {
    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("registry-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE registration (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        network TEXT NOT NULL,
                        family INTEGER NOT NULL CHECK (family IN (4, 6)),
                        net_high INTEGER NOT NULL,
                        net_low INTEGER NOT NULL,
                        prefix_length INTEGER NOT NULL CHECK (prefix_length BETWEEN 0 AND 128),
                        registrant TEXT NOT NULL CHECK (length(registrant) BETWEEN 1 AND 64),
                        status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
                        abuse_contact TEXT NOT NULL CHECK (length(abuse_contact) BETWEEN 3 AND 254),
                        valid_from INTEGER NOT NULL,
                        recorded_at INTEGER NOT NULL,
                        cause TEXT NOT NULL,
                        source TEXT NOT NULL,
                        case_id TEXT,
                        provisional INTEGER NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1))
                    );
                    CREATE INDEX registration_network ON registration (family, net_high, net_low, prefix_length, valid_from);
                    CREATE INDEX registration_registrant ON registration (registrant);
                    CREATE TRIGGER registration_no_update BEFORE UPDATE ON registration
                        BEGIN SELECT RAISE(ABORT, 'registration history is append-only'); END;
                    CREATE TRIGGER registration_no_delete BEFORE DELETE ON registration
                        BEGIN SELECT RAISE(ABORT, 'registration history is append-only'); END;
                    CREATE TABLE registry_import (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        file TEXT NOT NULL,
                        sha256 TEXT NOT NULL,
                        imported_at INTEGER NOT NULL,
                        rows INTEGER NOT NULL,
                        changed INTEGER NOT NULL
                    );
                    """)
        }
    }
}
