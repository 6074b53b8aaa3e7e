/// The mail server software that wrote a log line.
public enum MTA: String, CaseIterable, Sendable, Codable {
    case postfix
    case exim
    case sendmail
    case opensmtpd
    case courier
    case qmail
}
