import Mustache

/// The staff pages' mustache templates. `{{x}}` escapes for HTML text and attributes
/// alike (`<`, `>`, `&`, `"`, `'`); `{{{x}}}` is used only for markup the service made
/// itself (a page's body, charts drawn from numbers).
enum PageTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in all { try library.register(text, named: name) }
        return library
    }

    static let all: [(String, String)] = [
        ("layout", layout), ("login", login), ("queue", queue), ("case", casePage), ("ip", ipPage), ("reporters", reporters), ("rules", rules),
        ("audit", audit), ("staff", staff), ("message", message),
    ]

    static let layout = #"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · abuse-ingest</title>
        <link rel="stylesheet" href="/static/style.css">
        </head>
        <body>
        {{#visitor}}
        <header class="top">
        <nav aria-label="Main"><a class="brand" href="/">abuse-ingest</a><a href="/">Queue</a><a href="/reporters">Reporters</a><a href="/rules">Rules</a><a href="/audit">Audit</a>{{#isAdmin}}<a href="/staff">Staff</a>{{/isAdmin}}</nav>
        <form method="post" action="/logout"><span>{{name}} · {{role}}</span><input type="hidden" name="csrf_token" value="{{csrf}}"><button type="submit">Log out</button></form>
        </header>
        {{/visitor}}
        <main>
        {{{body}}}
        </main>
        </body>
        </html>
        """#

    static let message = #"""
        <h1>{{heading}}</h1>
        <p class="{{kind}}">{{text}}</p>
        {{#link}}<p><a href="{{href}}">{{label}}</a></p>{{/link}}
        """#

    static let login = #"""
        <form class="login" method="post" action="/login">
        <h1>Registry staff login</h1>
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <label for="username">Name</label>
        <input id="username" name="username" autocomplete="username" required maxlength="64" value="{{username}}" autofocus>
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200">
        <label for="totp">One-time code <span class="muted">(when two-factor is on; admins always)</span></label>
        <input id="totp" name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6">
        <input type="hidden" name="csrf_token" value="{{csrf}}">
        <button type="submit">Log in</button>
        </form>
        """#

    static let queue = #"""
        <h1>Review queue</h1>
        <p>{{suspended}} provisional suspension(s), <span class="overdue">{{overdue}} overdue</span> (review within {{deadline}}); {{open}} open case(s){{#filtered}} matching the filter{{/filtered}}.</p>
        <form class="filters" method="get" action="/">
        <label for="f-status">Status<select id="f-status" name="status">{{#statuses}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/statuses}}</select></label>
        <label for="f-rule">Rule<select id="f-rule" name="rule">{{#rules}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/rules}}</select></label>
        <label for="f-reporter">Reporter<select id="f-reporter" name="reporter">{{#reporterOptions}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/reporterOptions}}</select></label>
        <label for="f-severity">Severity<select id="f-severity" name="severity">{{#severities}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/severities}}</select></label>
        <button type="submit">Filter</button>
        </form>
        <table>
        <caption>{{total}} case(s); page {{page}} of {{pages}}</caption>
        <thead><tr><th scope="col">Case</th><th scope="col">Status</th><th scope="col">Severity</th><th scope="col">Subject</th><th scope="col">Rule</th><th scope="col">Action</th><th scope="col">Reporters</th><th scope="col">Opened</th><th scope="col">Waiting</th></tr></thead>
        <tbody>
        {{#cases}}
        <tr><td><a href="/cases/{{id}}">{{id}}</a></td><td><span class="status s-{{status}}">{{status}}</span></td><td class="sev-{{severity}}">{{severity}}</td><td>{{#subjectIP}}<a href="/ips/{{subject}}">{{subject}}</a>{{/subjectIP}}{{^subjectIP}}{{subject}} <span class="muted">(registrant)</span>{{/subjectIP}}</td><td>{{rule}}</td><td>{{action}}</td><td>{{reporterList}}</td><td class="mono">{{opened}}</td><td>{{waiting}}{{#late}} <strong class="overdue">overdue</strong>{{/late}}{{#dueIn}} <span class="muted">due in {{dueIn}}</span>{{/dueIn}}</td></tr>
        {{/cases}}
        </tbody>
        </table>
        {{^cases}}<p>No case matches.</p>{{/cases}}
        <nav class="pages" aria-label="Pages">{{#previousPage}}<a rel="prev" href="{{previousPage}}">← Previous page</a>{{/previousPage}}{{#nextPage}}<a rel="next" href="{{nextPage}}">Next page →</a>{{/nextPage}}</nav>
        """#

    static let casePage = #"""
        <h1>Case {{id}} <span class="status s-{{status}}">{{status}}</span></h1>
        {{#flash}}<p class="notice" role="status">{{flash}}</p>{{/flash}}
        {{#unredacted}}<p class="error" role="status">Recipients are shown unredacted: this view is in the case's audit log.</p>{{/unredacted}}
        <dl class="facts">
        <dt>Subject</dt><dd>{{#subjectIP}}<a href="/ips/{{subject}}">{{subject}}</a>{{/subjectIP}}{{^subjectIP}}{{subject}}{{/subjectIP}} ({{subjectKind}}){{#registrant}}, registrant {{registrant}}{{/registrant}}</dd>
        {{#addresses}}<dt>Addresses</dt><dd>{{addresses}}</dd>{{/addresses}}
        <dt>Severity</dt><dd class="sev-{{severity}}">{{severity}}</dd>
        <dt>Action</dt><dd>{{action}}</dd>
        <dt>Opened</dt><dd class="mono">{{opened}}</dd>
        <dt>Updated</dt><dd class="mono">{{updated}}</dd>
        <dt>Window</dt><dd class="mono">{{windowStart}} to {{windowEnd}}</dd>
        <dt>Reporters</dt><dd>{{reporterList}}</dd>
        </dl>
        <h2>Figures</h2>
        <table>
        <caption>Each condition of the rule in the window</caption>
        <thead><tr><th scope="col">Condition</th><th scope="col" class="num">Figure</th><th scope="col" class="num">Threshold</th><th scope="col">Holds</th></tr></thead>
        <tbody>{{#conditions}}<tr><td>{{label}}</td><td class="num">{{value}}</td><td class="num">{{threshold}}</td><td>{{#holds}}<span class="bad">yes</span>{{/holds}}{{^holds}}no{{/holds}}</td></tr>{{/conditions}}</tbody>
        </table>
        <table>
        <caption>Counts per reporter in the window</caption>
        <thead><tr><th scope="col">Reporter</th>{{#countColumns}}<th scope="col" class="num">{{.}}</th>{{/countColumns}}</tr></thead>
        <tbody>{{#reporterRows}}<tr><th scope="row">{{reporter}}</th>{{#counts}}<td class="num">{{.}}</td>{{/counts}}</tr>{{/reporterRows}}</tbody>
        </table>
        <h2>Decision</h2>
        {{#decisions}}
        <form class="decision" method="post" action="/cases/{{target}}/{{decision}}">
        <h3>{{title}}</h3>
        <p class="muted">{{explanation}}</p>
        <label for="reason-{{decision}}">Reason for {{decision}} (required)</label>
        <textarea id="reason-{{decision}}" name="reason" required maxlength="2000"></textarea>
        <input type="hidden" name="csrf_token" value="{{csrf}}">
        <input type="hidden" name="expected_status" value="{{expected}}">
        <button type="submit"{{#danger}} class="danger"{{/danger}}>{{button}}</button>
        </form>
        {{/decisions}}
        {{^decisions}}<p class="muted">No decision is open to you on a case that is {{status}}.</p>{{/decisions}}
        <h2>Registration</h2>
        {{#hasRegistration}}
        <table>
        <caption>History of the registration of {{subject}}, oldest first</caption>
        <thead><tr><th scope="col">Since</th><th scope="col">Network</th><th scope="col">Status</th><th scope="col">Registrant</th><th scope="col">Abuse contact</th><th scope="col">Cause</th></tr></thead>
        <tbody>{{/hasRegistration}}
        {{#registration}}<tr><td class="mono">{{since}}</td><td class="mono">{{network}}</td><td>{{status}}{{#provisional}} (provisional){{/provisional}}</td><td>{{registrant}}</td><td>{{abuseContact}}</td><td>{{cause}}{{#caseID}} · <a href="/cases/{{caseID}}">{{caseID}}</a>{{/caseID}}</td></tr>{{/registration}}
        {{#hasRegistration}}</tbody></table>{{/hasRegistration}}
        {{^registration}}<p>{{registrationNote}}</p>{{/registration}}
        <h2>Rule</h2>
        <dl class="facts"><dt>Rule</dt><dd>{{rule}}</dd><dt>File SHA-256</dt><dd class="mono">{{ruleSHA256}}</dd>{{#ruleFile}}<dt>File</dt><dd class="mono">{{ruleFile}}</dd>{{/ruleFile}}</dl>
        {{#ruleText}}<pre>{{ruleText}}</pre>{{/ruleText}}
        {{^ruleText}}<p class="muted">The service has not loaded the rules file with this hash; its text is not on record here.</p>{{/ruleText}}
        <h2>Timeline</h2>
        {{#timelineSVG}}<div class="chart">{{{timelineSVG}}}</div>{{/timelineSVG}}
        {{^timelineSVG}}<p class="muted">No timeline: the case has no addresses.</p>{{/timelineSVG}}
        <h2>Sample lines</h2>
        <p class="muted">{{sampleNote}}</p>
        <table>
        <thead><tr><th scope="col">Reporter</th><th scope="col">File</th><th scope="col" class="num">Line</th><th scope="col" class="num">Byte</th><th scope="col">Log line</th></tr></thead>
        <tbody>{{#samples}}<tr><td>{{reporter}}</td><td class="mono" title="sha256 {{sha256}}">{{file}}</td><td class="num">{{line}}</td><td class="num">{{offset}}</td><td class="line">{{text}}</td></tr>{{/samples}}</tbody>
        </table>
        {{#isAdmin}}{{^unredacted}}
        <form class="inline" method="post" action="/cases/{{id}}/unredacted">
        <label for="unredact-reason">Reason to see recipients unredacted (audited)<input id="unredact-reason" name="reason" required maxlength="2000" size="50"></label>
        <input type="hidden" name="csrf_token" value="{{csrf}}">
        <button type="submit">Show unredacted</button>
        </form>
        {{/unredacted}}{{/isAdmin}}
        <h2>Evidence bundle</h2>
        <p class="{{verificationClass}}">{{verification}}</p>
        <p><a href="/cases/{{id}}/bundle.zip" download>Download the signed bundle (zip)</a> <span class="muted">(recipients pseudonymised; check it with <code>abuse-ingest evidence verify</code>)</span></p>
        <h2>E-mails to the abuse contact</h2>
        {{#hasNotices}}<table><thead><tr><th scope="col">What</th><th scope="col">To</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last change</th><th scope="col">Relay's reply</th></tr></thead><tbody>{{/hasNotices}}
        {{#notices}}<tr><td>{{what}}</td><td class="mono">{{to}}</td><td><span class="status n-{{status}}">{{status}}</span></td><td>{{attempts}}</td><td class="mono">{{at}}</td><td class="mono">{{reply}}</td></tr>{{/notices}}
        {{#hasNotices}}</tbody></table>{{/hasNotices}}
        {{^notices}}<p>None: this case suspended nothing and no decision was taken yet.</p>{{/notices}}
        <h2>Audit log</h2>
        <table>
        <thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Reason</th></tr></thead>
        <tbody>{{#history}}<tr><td class="mono">{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{from}}</td><td>{{to}}</td><td>{{reason}}</td></tr>{{/history}}</tbody>
        </table>
        """#

    static let ipPage = #"""
        <h1>{{ip}}</h1>
        <dl class="facts"><dt>Status now</dt><dd>{{statusNow}}</dd>{{#firstSeen}}<dt>Seen</dt><dd class="mono">{{firstSeen}} to {{lastSeen}}</dd>{{/firstSeen}}</dl>
        <h2>Registration history</h2>
        {{#hasRegistration}}<table><thead><tr><th scope="col">Since</th><th scope="col">Network</th><th scope="col">Status</th><th scope="col">Registrant</th><th scope="col">Abuse contact</th><th scope="col">Cause</th></tr></thead><tbody>{{/hasRegistration}}
        {{#registration}}<tr><td class="mono">{{since}}</td><td class="mono">{{network}}</td><td>{{status}}{{#provisional}} (provisional){{/provisional}}</td><td>{{registrant}}</td><td>{{abuseContact}}</td><td>{{cause}}{{#caseID}} · <a href="/cases/{{caseID}}">{{caseID}}</a>{{/caseID}}</td></tr>{{/registration}}
        {{#hasRegistration}}</tbody></table>{{/hasRegistration}}
        {{^registration}}<p>Never registered.</p>{{/registration}}
        <h2>Cases</h2>
        {{#hasCases}}<table><thead><tr><th scope="col">Case</th><th scope="col">Status</th><th scope="col">Rule</th><th scope="col">Action</th><th scope="col">Opened</th></tr></thead><tbody>{{/hasCases}}
        {{#cases}}<tr><td><a href="/cases/{{id}}">{{id}}</a></td><td><span class="status s-{{status}}">{{status}}</span></td><td>{{rule}}</td><td>{{action}}</td><td class="mono">{{opened}}</td></tr>{{/cases}}
        {{#hasCases}}</tbody></table>{{/hasCases}}
        {{^cases}}<p>No case.</p>{{/cases}}
        <h2>Events per day</h2>
        {{^reporters}}<p>No reporter saw this address.</p>{{/reporters}}
        {{#reporters}}
        <h3>{{reporter}}</h3>
        <div class="chart">{{{chart}}}</div>
        <table>
        <thead><tr><th scope="col">Day</th>{{#kinds}}<th scope="col" class="num">{{.}}</th>{{/kinds}}</tr></thead>
        <tbody>{{#days}}<tr><th scope="row" class="mono">{{day}}</th>{{#counts}}<td class="num">{{.}}</td>{{/counts}}</tr>{{/days}}</tbody>
        </table>
        {{/reporters}}
        """#

    static let reporters = #"""
        <h1>Reporters</h1>
        {{#newToken}}
        <div class="notice" role="status"><p>New token for <strong>{{reporter}}</strong> ({{id}}). It is shown this once; give it to the ISP now.</p><p class="secret">{{text}}</p></div>
        {{/newToken}}
        {{#flash}}<p class="notice" role="status">{{flash}}</p>{{/flash}}
        {{#reporters}}
        <h2 id="r-{{id}}">{{id}} <span class="muted">{{name}} · {{organisation}} · {{timezone}}</span></h2>
        <p>{{#flags}}<span class="flag">{{.}}</span> {{/flags}}{{^flags}}<span class="good">no flags</span>{{/flags}} · last ingested {{lastIngested}} · {{contradicted}} contradicted accusation(s)</p>
        <div class="chart">{{{chart}}}</div>
        <table>
        <caption>Last shipments, newest first</caption>
        <thead><tr><th scope="col">Received</th><th scope="col">File</th><th scope="col">Status</th><th scope="col" class="num">Lines</th><th scope="col" class="num">Events</th><th scope="col" class="num">Unparsed</th><th scope="col" class="num">Gap (h)</th><th scope="col" class="num">Skewed</th><th scope="col">Error</th></tr></thead>
        <tbody>{{#shipments}}<tr><td class="mono">{{received}}</td><td class="mono">{{file}}</td><td>{{status}}</td><td class="num">{{lines}}</td><td class="num">{{events}}</td><td class="num{{#highUnparsed}} bad{{/highUnparsed}}">{{unparsedShare}}</td><td class="num">{{gapHours}}</td><td class="num">{{skewed}}</td><td>{{error}}</td></tr>{{/shipments}}</tbody>
        </table>
        {{#isAdmin}}
        <h3>Upload tokens</h3>
        <table>
        <thead><tr><th scope="col">Token</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col">Revoke</th></tr></thead>
        <tbody>{{#tokens}}<tr><td class="mono">{{id}}</td><td class="mono">{{created}}</td><td class="mono">{{expires}}</td><td>{{state}}</td><td>{{#active}}<form method="post" action="/reporters/{{reporter}}/tokens/{{id}}/revoke"><input type="hidden" name="csrf_token" value="{{csrf}}"><button type="submit" class="danger" aria-label="Revoke token {{id}}">Revoke</button></form>{{/active}}</td></tr>{{/tokens}}</tbody>
        </table>
        <form class="inline" method="post" action="/reporters/{{id}}/tokens">
        <label for="expires-{{id}}">Expires (optional, ISO 8601)<input id="expires-{{id}}" name="expires" placeholder="2027-12-31T00:00:00Z" maxlength="40"></label>
        <input type="hidden" name="csrf_token" value="{{csrf}}">
        <button type="submit">Create a token for {{id}}</button>
        </form>
        {{/isAdmin}}
        {{/reporters}}
        {{^reporters}}<p>No reporters yet (add one with <code>abuse-ingest reporters add</code>).</p>{{/reporters}}
        """#

    static let rules = #"""
        <h1>Rules in force</h1>
        <dl class="facts"><dt>Folder</dt><dd class="mono">{{folder}}</dd><dt>Loaded</dt><dd class="mono">{{loadedAt}}</dd><dt>Last load error</dt><dd>{{#error}}<span class="bad">{{error}}</span> (the set below stays in force){{/error}}{{^error}}none{{/error}}</dd></dl>
        <table>
        <thead><tr><th scope="col">Rule</th><th scope="col">Applies to</th><th scope="col">Window</th><th scope="col">Action</th><th scope="col">Severity</th><th scope="col">File</th><th scope="col">File SHA-256</th></tr></thead>
        <tbody>{{#rules}}<tr><td><strong>{{id}}</strong><br><span class="muted">{{description}}</span></td><td>{{appliesTo}}</td><td>{{window}}</td><td>{{action}}</td><td>{{severity}}</td><td class="mono">{{file}}</td><td class="mono">{{sha256}}</td></tr>{{/rules}}</tbody>
        </table>
        {{#files}}
        <h2>{{name}}</h2>
        <p class="mono muted">sha256 {{sha256}}</p>
        <pre>{{text}}</pre>
        {{/files}}
        """#

    static let audit = #"""
        <h1>Audit log</h1>
        <form class="filters" method="get" action="/audit">
        <label for="a-case">Case<input id="a-case" name="case" value="{{caseFilter}}" maxlength="20" placeholder="C-2026-000001"></label>
        <label for="a-staff">Staff member<input id="a-staff" name="staff" value="{{staffFilter}}" maxlength="64"></label>
        <label for="a-from">From (date)<input id="a-from" name="from" type="date" value="{{fromFilter}}"></label>
        <label for="a-to">To (date, inclusive)<input id="a-to" name="to" type="date" value="{{toFilter}}"></label>
        <button type="submit">Filter</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <table>
        <caption>{{count}} line(s), newest first{{#truncated}}; the newest {{limit}} are shown, narrow the filter for older ones{{/truncated}}</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Case or subject</th><th scope="col">Change</th><th scope="col">Reason or detail</th></tr></thead>
        <tbody>{{#lines}}<tr><td class="mono">{{time}}</td><td>{{actor}}</td><td>{{action}}</td><td>{{#caseID}}<a href="/cases/{{caseID}}">{{caseID}}</a>{{/caseID}}{{^caseID}}{{subject}}{{/caseID}}</td><td>{{change}}</td><td>{{detail}}</td></tr>{{/lines}}</tbody>
        </table>
        """#

    static let staff = #"""
        <h1>Staff</h1>
        {{#added}}<div class="notice" role="status"><p>Added <strong>{{name}}</strong> ({{role}}). Password, shown this once:</p><p class="secret">{{password}}</p>{{#totpURI}}<p>Two-factor enrolment (enter in an authenticator app):</p><p class="secret">{{totpURI}}</p>{{/totpURI}}</div>{{/added}}
        {{#flash}}<p class="notice" role="status">{{flash}}</p>{{/flash}}
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Two-factor</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Disable</th></tr></thead>
        <tbody>{{#members}}<tr><td>{{name}}</td><td>{{role}}</td><td>{{totp}}</td><td class="mono">{{created}}</td><td>{{state}}</td><td>{{#canDisable}}<form method="post" action="/staff/{{name}}/disable"><input type="hidden" name="csrf_token" value="{{csrf}}"><button type="submit" class="danger" aria-label="Disable {{name}}">Disable</button></form>{{/canDisable}}</td></tr>{{/members}}</tbody>
        </table>
        <h2>Add a staff member</h2>
        <form class="inline" method="post" action="/staff">
        <label for="new-name">Name<input id="new-name" name="name" required maxlength="64" pattern="[A-Za-z0-9._@-]{1,64}"></label>
        <label for="new-role">Role<select id="new-role" name="role"><option value="reviewer">reviewer</option><option value="admin">admin</option></select></label>
        <input type="hidden" name="csrf_token" value="{{csrf}}">
        <button type="submit">Add (a password is generated)</button>
        </form>
        """#
}
