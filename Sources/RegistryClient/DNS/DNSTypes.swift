/// DNS constants used by the registry zone (RFC 1035, 2308, 6891).
public enum DNSType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
    public static let opt: UInt16 = 41
    public static let ds: UInt16 = 43
    public static let rrsig: UInt16 = 46
    public static let nsec: UInt16 = 47
    public static let dnskey: UInt16 = 48
    /// The pseudo-type of compact denial (RFC 9824): in an NSEC bitmap, "no such name".
    public static let nxname: UInt16 = 128
    /// Incremental transfer (RFC 1995): answered with the whole zone, or the SOA alone
    /// when the secondary is up to date.
    public static let ixfr: UInt16 = 251
    /// Whole-zone transfer (RFC 5936), over TCP only.
    public static let axfr: UInt16 = 252
    public static let any: UInt16 = 255
}

public enum DNSOpcode {
    public static let query: UInt8 = 0
    /// RFC 1996.
    public static let notify: UInt8 = 4
}

public enum DNSClass {
    public static let internet: UInt16 = 1
    public static let any: UInt16 = 255
}

public enum DNSResponseCode {
    public static let noError: UInt8 = 0
    public static let formatError: UInt8 = 1
    public static let serverFailure: UInt8 = 2
    public static let nameError: UInt8 = 3
    public static let notImplemented: UInt8 = 4
    public static let refused: UInt8 = 5
    /// Extended (EDNS) code 16: the high bits go in the OPT record.
    public static let badVersion: UInt16 = 16
}
