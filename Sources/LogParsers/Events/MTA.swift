/// The mail server software that wrote a log line.
public enum MTA: String, CaseIterable, Sendable, Codable {
    case postfix
    case exim
    case sendmail
    case opensmtpd
    case courier
    case qmail
    /// Microsoft Exchange's CSV logs (SMTP receive protocol logs, message tracking).
    case exchange
}

extension MTA {
    /// Position in `allCases`, for per-MTA tables.
    @inline(__always)
    var index: Int {
        switch self {
        case .postfix: 0
        case .exim: 1
        case .sendmail: 2
        case .opensmtpd: 3
        case .courier: 4
        case .qmail: 5
        case .exchange: 6
        }
    }
}
