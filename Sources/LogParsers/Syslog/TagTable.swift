/// Which MTA a syslog program tag belongs to.
enum TagTable {
    static func mta(for tag: UnsafeRawBufferPointer) -> MTA? {
        guard tag.count >= 4 else { return nil }
        switch tag[0] {
        case UInt8(ascii: "p"):
            // postfix, postfix/smtpd, postfix-out/smtpd, postfix/submission/smtpd
            if tag.matches("postfix", at: 0), tag.count == 7 || tag[7] == UInt8(ascii: "/") || tag[7] == UInt8(ascii: "-") {
                return .postfix
            }
        case UInt8(ascii: "e"):
            if tag.count == 4, tag.matches("exim", at: 0) { return .exim }
            if tag.count == 5, tag.matches("exim4", at: 0) { return .exim }
        case UInt8(ascii: "s"):
            if tag.count == 5, tag.matches("smtpd", at: 0) { return .opensmtpd }
            if tag.count == 8, tag.matches("sendmail", at: 0) { return .sendmail }
            if tag.matches("sm-mta", at: 0) || tag.matches("sm-accepting", at: 0) || tag.matches("sm-msp-queue", at: 0) { return .sendmail }
        case UInt8(ascii: "c"):
            if tag.matches("courieresmtpd", at: 0) || tag.matches("courier-esmtpd", at: 0) { return .courier }
        case UInt8(ascii: "q"):
            if tag.count == 5, tag.matches("qmail", at: 0) { return .qmail }
            if tag.matches("qmail-smtpd", at: 0) { return .qmail }
        case UInt8(ascii: "t"):
            if tag.count == 9, tag.matches("tcpserver", at: 0) { return .qmail }
        case UInt8(ascii: "r"):
            if tag.count == 8, tag.matches("rblsmtpd", at: 0) { return .qmail }
        default:
            break
        }
        return nil
    }
}
