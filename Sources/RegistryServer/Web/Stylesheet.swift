/// The UI's one stylesheet, served from `/static/style.css` (the CSP allows styles from the
/// service itself only). Dense tables, system fonts, light and dark by the reader's setting.
enum Stylesheet {
    static let css = #"""
        :root { color-scheme: light dark; --bg: #fbfbfa; --fg: #1c1c1c; --muted: #5f6368; --line: #d9d9d6; --head: #efefec;
          --link: #0b57d0; --bad: #b3261e; --warn: #8a5300; --good: #1e6b34; --badge: #e8e8e4; --focus: #0b57d0; }
        @media (prefers-color-scheme: dark) {
          :root { --bg: #161718; --fg: #e3e3e0; --muted: #a0a4a8; --line: #3a3c3e; --head: #222426; --link: #8ab4f8;
            --bad: #f28b82; --warn: #fdd663; --good: #81c995; --badge: #2c2e30; --focus: #8ab4f8; }
        }
        * { box-sizing: border-box; }
        html { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; background: var(--bg); color: var(--fg); }
        body { margin: 0; }
        a { color: var(--link); }
        :focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
        header.top { display: flex; justify-content: space-between; align-items: center; gap: 1em; padding: .4em 1em; border-bottom: 1px solid var(--line); background: var(--head); }
        header.top nav a { margin-right: 1em; text-decoration: none; }
        header.top nav a.brand { font-weight: 700; color: var(--fg); }
        header.top form { margin: 0; display: flex; gap: .6em; align-items: center; color: var(--muted); }
        main { padding: .8em 1em 2em; max-width: 1400px; }
        h1 { font-size: 1.35em; margin: .2em 0 .5em; }
        h2 { font-size: 1.1em; margin: 1.4em 0 .4em; border-bottom: 1px solid var(--line); padding-bottom: .15em; }
        h3 { font-size: 1em; margin: 1em 0 .3em; }
        table { border-collapse: collapse; width: 100%; margin: .3em 0 .8em; }
        th, td { border-bottom: 1px solid var(--line); padding: .22em .5em; text-align: left; vertical-align: top; }
        thead th { background: var(--head); font-weight: 600; position: sticky; top: 0; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        caption { text-align: left; color: var(--muted); padding: .2em 0; }
        code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; }
        pre { background: var(--head); border: 1px solid var(--line); padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
        td.line { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88em; white-space: pre-wrap; word-break: break-all; }
        .muted { color: var(--muted); }
        .status { display: inline-block; padding: 0 .45em; border-radius: 3px; background: var(--badge); font-size: .9em; }
        .s-suspended, .n-failed, .overdue, .bad, .flag { color: var(--bad); font-weight: 600; }
        .s-open, .warn { color: var(--warn); }
        .s-confirmed { color: var(--bad); }
        .s-dismissed, .s-reinstated, .good { color: var(--good); }
        .sev-critical, .sev-high { font-weight: 600; }
        form.filters, form.inline { display: flex; flex-wrap: wrap; gap: .4em .8em; align-items: end; margin: .4em 0 .8em; }
        form.filters label, form.inline label { display: flex; flex-direction: column; font-size: .9em; color: var(--muted); }
        form.decision { border: 1px solid var(--line); padding: .6em .8em; margin: .5em 0; max-width: 46em; }
        form.decision label, form.login label { display: block; font-weight: 600; margin-bottom: .2em; }
        textarea { width: 100%; min-height: 4em; }
        input, select, textarea, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 3px; padding: .2em .4em; }
        button { cursor: pointer; background: var(--head); }
        button.danger { color: var(--bad); border-color: var(--bad); }
        form.login { max-width: 22em; margin: 3em auto; border: 1px solid var(--line); padding: 1em 1.4em; }
        form.login input { width: 100%; margin-bottom: .8em; }
        .notice { border-left: 4px solid var(--warn); background: var(--head); padding: .5em .8em; margin: .6em 0; }
        .error { border-left: 4px solid var(--bad); background: var(--head); padding: .5em .8em; margin: .6em 0; }
        .secret { font-family: ui-monospace, monospace; font-size: 1.05em; user-select: all; word-break: break-all; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .3em 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        nav.pages { margin: .6em 0; display: flex; gap: 1em; }
        .chart svg { max-width: 100%; height: auto; background: #fff; border: 1px solid var(--line); }
        .cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(22em, 1fr)); gap: 0 2em; }
        """#
}
