/// What a refusal was, read from the SMTP reply code, enhanced status code and text.
struct ReplyClassification {
    var kind: EventKind
    var reason: RejectReason
    /// The DNSBL zone's range in the text when the reason is `rbl` and a zone is named.
    var rblZone: Range<Int>?
}
