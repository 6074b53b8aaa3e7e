import Foundation
import LogParsers
import Primitives
import RegistryClient
import Yams

/// Decodes one rules file into typed values, strictly: an unknown key, selector, status,
/// action or value is an error with its line and column.
struct RuleDecoder {
    let file: String
    let text: String
    let sha256: String
    private(set) var errors: [RuleError] = []

    init(file: String, text: String, sha256: String) {
        self.file = file
        self.text = text
        self.sha256 = sha256
    }

    private mutating func fail(_ node: Node?, _ message: String) {
        errors.append(RuleError(file: file, line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message: message))
    }

    private mutating func root() -> Node? {
        // YAML also breaks lines at a lone CR, NEL, LS and PS; editors and our places count
        // LF (and CRLF) only. A file with those is refused at the first one, so that every
        // place reported is one the user finds.
        if let (line, column, what) = Self.foreignLineBreak(text) {
            errors.append(
                RuleError(file: file, line: line, column: column, message: "\(what) breaks lines here: save the file with LF or CRLF line ends"))
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                fail(nil, "the file is empty")
                return nil
            }
            return node
        } catch let error as YamlError {
            var line = 1
            var column = 1
            if case .scanner(_, _, let mark, _) = error {
                line = mark.line
                column = mark.column
            } else if case .parser(_, _, let mark, _) = error {
                line = mark.line
                column = mark.column
            }
            errors.append(RuleError(file: file, line: line, column: column, message: "YAML syntax error: \(error)"))
            return nil
        } catch {
            fail(nil, "YAML error: \(error)")
            return nil
        }
    }

    /// The place (LF-counted line, column in characters) of the first line break YAML
    /// knows but LF-counting does not: a CR not followed by LF, NEL, LS or PS.
    static func foreignLineBreak(_ text: String) -> (line: Int, column: Int, what: String)? {
        var line = 1
        var column = 1
        var scalars = text.unicodeScalars.makeIterator()
        var current = scalars.next()
        while let scalar = current {
            let next = scalars.next()
            switch scalar {
            case "\n":
                line += 1
                column = 0
            case "\r" where next != "\n": return (line, column, "a carriage return without a line feed")
            case "\u{85}": return (line, column, "a next-line character (U+0085)")
            case "\u{2028}": return (line, column, "a line separator (U+2028)")
            case "\u{2029}": return (line, column, "a paragraph separator (U+2029)")
            default: break
            }
            column += 1
            current = next
        }
        return nil
    }

    /// The mapping's entries by key, reporting unknown and duplicate keys.
    private mutating func fields(_ node: Node, allowed: Set<String>, what: String) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            fail(node, "\(what) must be a mapping")
            return nil
        }
        var result: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string else {
                fail(key, "keys must be strings")
                continue
            }
            guard allowed.contains(name) else {
                fail(key, "unknown key '\(name)' in \(what) (allowed: \(allowed.sorted().joined(separator: ", ")))")
                continue
            }
            if result[name] != nil { fail(key, "key '\(name)' appears twice") }
            result[name] = value
        }
        return result
    }

    private mutating func string(_ node: Node?, _ key: String, required: Bool = true) -> String? {
        guard let node else {
            if required { fail(nil, "missing key '\(key)'") }
            return nil
        }
        guard case .scalar(let scalar) = node else {
            fail(node, "'\(key)' must be a single value")
            return nil
        }
        return scalar.string
    }

    private mutating func integer(_ node: Node?, _ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else {
            fail(nil, "missing key '\(key)'")
            return nil
        }
        guard case .scalar(let scalar) = node, let value = Int(scalar.string), range.contains(value) else {
            fail(node, "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func selector(_ node: Node?, _ key: String) -> EventSelector? {
        guard let text = string(node, key) else { return nil }
        do {
            return try EventSelector(parsing: text)
        } catch {
            fail(node, "\(error)")
            return nil
        }
    }

    /// `30m`, `24h`, `7d` in milliseconds (at most 31 days).
    private mutating func window(_ node: Node?) -> Int64? {
        guard let text = string(node, "window") else { return nil }
        let units: [Character: Int64] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last, let factor = units[unit], let value = Int64(text.dropLast()), value > 0, value <= 31 * 86_400_000 / factor else {
            fail(node, "window '\(text)' must be a number followed by m, h or d (at most 31d)")
            return nil
        }
        return value * factor
    }

    mutating func rule() -> Rule? {
        guard let node = root() else { return nil }
        let allowed: Set<String> = ["id", "description", "applies_to", "subject", "window", "when", "action", "severity", "evidence"]
        guard let f = fields(node, allowed: allowed, what: "a rule") else { return nil }
        let id = string(f["id"], "id")
        if let id, id.range(of: "^[a-z0-9][a-z0-9-]{0,63}$", options: .regularExpression) == nil {
            fail(f["id"], "id '\(id)' must be lower-case letters, digits and '-' (at most 64)")
        }
        let description = string(f["description"], "description") ?? ""
        var appliesTo: Set<RegistrationStatus> = []
        if let list = f["applies_to"] {
            if case .sequence(let sequence) = list, !sequence.isEmpty {
                for item in sequence {
                    let allowedStatuses: [RegistrationStatus] = [.active, .suspended, .revoked, .unregistered]
                    if let text = item.string, let status = RegistrationStatus(rawValue: text), allowedStatuses.contains(status) {
                        appliesTo.insert(status)
                    } else {
                        fail(item, "unknown status '\(item.string ?? "?")' (one of: active, suspended, revoked, unregistered)")
                    }
                }
            } else {
                fail(list, "applies_to must be a list of statuses")
            }
        } else {
            fail(nil, "missing key 'applies_to'")
        }
        var subject = Rule.Subject.ip
        if let text = string(f["subject"], "subject", required: false) {
            if let parsed = Rule.Subject(rawValue: text) { subject = parsed } else { fail(f["subject"], "subject '\(text)' must be ip or registrant") }
        }
        let windowValue = window(f["window"])
        var conditions: [Condition] = []
        if let when = f["when"] {
            if case .sequence(let sequence) = when, !sequence.isEmpty {
                for item in sequence { if let c = condition(item) { conditions.append(c) } }
            } else {
                fail(when, "when must be a non-empty list of conditions")
            }
        } else {
            fail(nil, "missing key 'when'")
        }
        var action: Rule.Action?
        if let text = string(f["action"], "action") {
            action = Rule.Action(rawValue: text)
            if action == nil { fail(f["action"], "unknown action '\(text)' (one of: open_case, suspend, report)") }
        }
        var severity = Rule.Severity.medium
        if let text = string(f["severity"], "severity", required: false) {
            if let parsed = Rule.Severity(rawValue: text) { severity = parsed } else { fail(f["severity"], "unknown severity '\(text)' (one of: low, medium, high, critical)") }
        }
        var samples = 20
        if let evidence = f["evidence"], let e = fields(evidence, allowed: ["samples_per_reporter"], what: "evidence") {
            samples = integer(e["samples_per_reporter"], "samples_per_reporter", in: 0...1000) ?? samples
        }
        if action == .suspend {
            // Corroboration (FORMATS.md §5): a suspension never rests on one reporter alone.
            let organisations = conditions.reduce(1) { minimum, c in
                if case .distinctOrganisations(let n) = c { return max(minimum, n) }
                return minimum
            }
            if subject != .ip { fail(f["subject"], "a suspend rule acts on one address: subject must be ip") }
            if organisations < 2 {
                fail(f["action"], "a suspend rule must require reports from at least 2 distinct organisations: add `- distinct_organisations: { at_least: 2 }` to when (not inside any)")
            }
            if appliesTo.contains(.unregistered) {
                fail(f["applies_to"], "a suspend rule cannot apply to unregistered hosts (there is nothing to suspend): use report")
            }
        }
        guard let id, let windowValue, let action, errors.isEmpty else { return nil }
        let rule = Rule(
            id: id, description: description, appliesTo: appliesTo, subject: subject, window: windowValue, conditions: conditions, action: action,
            severity: severity, samplesPerReporter: samples, file: file, fileSHA256: sha256)
        return rule
    }

    private mutating func condition(_ node: Node) -> Condition? {
        guard let f = fields(node, allowed: ["count", "at_least", "distinct_reporters", "distinct_organisations", "ratio", "any"], what: "a condition") else {
            return nil
        }
        let kinds = ["count", "distinct_reporters", "distinct_organisations", "ratio", "any"].filter { f[$0] != nil }
        guard kinds.count == 1 else {
            fail(node, "a condition names exactly one of count, distinct_reporters, distinct_organisations, ratio, any")
            return nil
        }
        switch kinds[0] {
        case "count":
            guard let selector = selector(f["count"], "count"), let threshold = integer(f["at_least"], "at_least", in: 1...1_000_000_000) else { return nil }
            return .count(selector, atLeast: threshold)
        case "distinct_reporters", "distinct_organisations":
            if f["at_least"] != nil { fail(f["at_least"], "at_least goes inside { at_least: N }") }
            guard let inner = f[kinds[0]], let g = fields(inner, allowed: ["at_least"], what: kinds[0]),
                let threshold = integer(g["at_least"], "at_least", in: 1...1000)
            else { return nil }
            return kinds[0] == "distinct_reporters" ? .distinctReporters(atLeast: threshold) : .distinctOrganisations(atLeast: threshold)
        case "ratio":
            guard let inner = f["ratio"], let g = fields(inner, allowed: ["of", "to", "at_least"], what: "ratio"),
                let of = selector(g["of"], "of"), let to = selector(g["to"], "to")
            else { return nil }
            guard let node = g["at_least"], case .scalar(let scalar) = node, let threshold = Double(scalar.string), threshold >= 0, threshold.isFinite else {
                fail(g["at_least"] ?? inner, "ratio at_least must be a number ≥ 0")
                return nil
            }
            return .ratio(of: of, to: to, atLeast: threshold)
        default:
            guard let inner = f["any"], case .sequence(let sequence) = inner, sequence.count >= 2 else {
                fail(f["any"] ?? node, "any must list at least two conditions")
                return nil
            }
            let list = sequence.compactMap { condition($0) }
            guard list.count == sequence.count else { return nil }
            return .any(list)
        }
    }

    mutating func allowlist() -> [AllowlistEntry] {
        // An allow-list with nothing but comments is empty, not an error.
        if (try? Yams.compose(yaml: text)) == .some(nil) { return [] }
        guard let node = root() else { return [] }
        guard case .sequence(let sequence) = node else {
            fail(node, "the allow-list is a list of { network, reason }")
            return []
        }
        var entries: [AllowlistEntry] = []
        for item in sequence {
            guard let f = fields(item, allowed: ["network", "reason"], what: "an allow-list entry") else { continue }
            guard let text = string(f["network"], "network"), let reason = string(f["reason"], "reason") else { continue }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                fail(f["reason"], "every allow-list entry needs its reason")
                continue
            }
            do {
                entries.append(AllowlistEntry(network: try IPNetwork(parsing: text), reason: reason))
            } catch {
                fail(f["network"], "\(error)")
            }
        }
        return entries
    }
}
