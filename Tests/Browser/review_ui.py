#!/usr/bin/env python3
"""The staff review UI of `abuse-ingest serve`, driven in a real Chromium (Selenium).

Run by RegistryServerTests/ReviewUIBrowserTests against `serve` started as a process over
the demo's data; every check that fails is printed and makes the exit status 1.
"""
import argparse
import base64
import hashlib
import hmac
import http.cookiejar
import json
import re
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, UnexpectedAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

failures = []
passed = []


def check(condition, what):
    (passed if condition else failures).append(what)
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    return condition


def totp(uri, at=None):
    """RFC 6238 (SHA-1, 30 s, 6 digits) from an otpauth:// URI."""
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    step = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return "%06d" % value


def browser(chromium, driver_path):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800", "--force-device-scale-factor=1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    # Every alert() any page could call is recorded instead of shown; injected before any
    # page script (CDP scripts are not subject to the page's CSP).
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {
        "source": "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"
                  " window.confirm = window.alert; window.prompt = window.alert;"})
    driver.set_window_size(1280, 800)
    return driver


def replaced(old):
    """A wait condition: true once `old` is no longer in the document. While the next page
    replaces it, Chromium reports such a node either as stale or as a node that "does not
    belong to the document" (an inspector error selenium does not map): both mean gone."""
    def check(_driver):
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
    return check


def submit(driver, selector):
    """Clicks a form's button and waits until the answer replaced the page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 20).until(replaced(old))


def login(driver, base, name, password, code=None):
    driver.get(base + "/login")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    if code:
        driver.find_element(By.ID, "totp").send_keys(code)
    submit(driver, "form.login button[type=submit]")


def h1(driver):
    found = driver.find_elements(By.TAG_NAME, "h1")
    return found[0].text if found else ""


def session_opener(driver, base):
    """A urllib opener carrying the browser's cookies (to send raw requests and read status
    codes, which a browser does not show)."""
    jar = http.cookiejar.CookieJar()
    host = urllib.parse.urlparse(base).hostname
    for c in driver.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(0, c["name"], c["value"], None, False, host, False, False, c.get("path", "/"), True,
                                             False, None, False, None, None, {}))

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def status_of(opener, url, data=None):
    try:
        with opener.open(urllib.request.Request(url, data=data, method="POST" if data is not None else "GET"), timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def csrf_of(driver):
    return driver.find_element(By.CSS_SELECTOR, "input[name=csrf_token]").get_attribute("value")


def accessibility(driver, page):
    """Every visible field has a label, headings do not skip levels, decision buttons are
    reachable with the Tab key."""
    unlabeled = driver.execute_script("""
        return Array.from(document.querySelectorAll('input, select, textarea')).filter(e => e.type !== 'hidden').filter(e => {
          if (e.getAttribute('aria-label')) return false;
          if (e.closest('label')) return false;
          return !(e.id && document.querySelector('label[for="' + CSS.escape(e.id) + '"]'));
        }).map(e => e.name || e.id || e.outerHTML.slice(0, 60));""")
    check(unlabeled == [], f"{page}: every field has a label (unlabeled: {unlabeled})")
    levels = driver.execute_script("return Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map(h => +h.tagName[1]);")
    ordered = bool(levels) and levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    check(ordered, f"{page}: headings start at h1 and skip no level ({levels})")


def reachable_by_keyboard(driver, selector, page):
    targets = driver.find_elements(By.CSS_SELECTOR, selector)
    seen = set()
    body = driver.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(400):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        for n, t in enumerate(targets):
            if t == active:
                seen.add(n)
        if len(seen) == len(targets):
            break
    check(targets != [] and len(seen) == len(targets), f"{page}: all {len(targets)} decision buttons are reachable with Tab")


def screenshot(driver, path):
    """The page at 1280×800 CSS pixels, whatever the window's decorations take."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    driver.save_screenshot(path)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def dig(server, port, name, rtype):
    out = subprocess.run(["dig", "+short", "+time=2", "+tries=2", "@" + server, "-p", str(port), name, rtype], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def dns_answer(args, ip, rtype, want, timeout=10):
    name = ".".join(reversed(ip.split("."))) + "." + args.zone
    deadline = time.time() + timeout
    answer = ""
    while time.time() < deadline:
        answer = dig(args.dns_host, args.dns_port, name, rtype)
        if want(answer):
            return answer
        time.sleep(0.2)
    return answer


def case_row(driver, subject=None, rule=None, status=None):
    """The first queue row (case id) with this subject, rule and status."""
    for row in driver.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        cells = [c.text for c in row.find_elements(By.TAG_NAME, "td")]
        if len(cells) < 5:
            continue
        if (subject is None or cells[3].startswith(subject)) and (rule is None or cells[4] == rule) and (status is None or cells[1] == status):
            return cells[0]
    return None


def no_alerts(driver, page):
    try:
        alerts = driver.execute_script("return window.__alerts;")
    except UnexpectedAlertPresentException:
        alerts = ["a real alert dialog opened"]
    check(alerts == [], f"{page}: no alert() fired ({alerts})")
    console = [e["message"] for e in driver.get_log("browser")]
    violations = [m for m in console if "Content Security Policy" in m or "alert" in m]
    check(violations == [], f"{page}: no CSP violation or alert in the console ({violations[:3]})")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--short-url", required=True, help="a serve with session_idle 2s")
    p.add_argument("--dns-host", default="127.0.0.1")
    p.add_argument("--dns-port", type=int, required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--accounts", required=True, help="JSON: admin, admin_password, admin_totp_uri, reviewer, reviewer_password, short, short_password, lock")
    p.add_argument("--suspended-ip", required=True, help="the demo's suspended address (approved here)")
    p.add_argument("--second-suspended-ip", required=True, help="another suspended address (dismissed here)")
    p.add_argument("--injection-ip", required=True)
    p.add_argument("--screenshots", help="folder for queue.png, case.png, reporters.png")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = p.parse_args()
    accounts = json.loads(args.accounts)
    base = args.url.rstrip("/")
    driver = browser(args.chromium, args.chromedriver)
    try:
        run(driver, base, args, accounts)
    finally:
        driver.quit()
    print(f"{len(passed)} checks passed, {len(failures)} failed")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("ALL OK")
    return 0


def run(driver, base, args, accounts):
    # No session: every staff page goes to the login page.
    for path in ("/", "/cases/C-2026-000001", "/reporters", "/rules", "/audit", "/staff", "/ips/198.51.100.20"):
        driver.get(base + path)
        check(driver.current_url.endswith("/login"), f"without a session {path} leads to /login")
    accessibility(driver, "login page")

    # A reviewer: the queue, refusals on admin pages, CSRF.
    login(driver, base, accounts["reviewer"], accounts["reviewer_password"])
    check(h1(driver) == "Review queue", "the reviewer logs in and sees the queue")
    cookie = next((c for c in driver.get_cookies() if c["name"] == "abuse_session"), None)
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", f"the session cookie is HttpOnly and SameSite=Strict ({cookie})")
    accessibility(driver, "queue")
    first_status = driver.find_element(By.CSS_SELECTOR, "table tbody tr td:nth-child(2)").text
    check(first_status == "suspended", f"provisional suspensions come first in the queue (first row: {first_status})")
    suspended_case = case_row(driver, subject=args.suspended_ip, status="suspended")
    check(suspended_case is not None, f"the queue lists the suspension of {args.suspended_ip}")
    opener = session_opener(driver, base)
    for path in ("/staff",):
        code, _ = status_of(opener, base + path)
        check(code == 403, f"a reviewer gets 403 on {path} (got {code})")
    driver.get(base + "/cases/" + suspended_case)
    csrf = csrf_of(driver)
    code, _ = status_of(opener, base + f"/cases/{suspended_case}/reinstate", urllib.parse.urlencode({"reason": "x", "csrf_token": csrf}).encode())
    check(code == 403, f"a reviewer gets 403 on reinstate (got {code})")
    code, _ = status_of(opener, base + "/reporters/isp-east/tokens", urllib.parse.urlencode({"csrf_token": csrf}).encode())
    check(code == 403, f"a reviewer gets 403 on creating a reporter token (got {code})")
    code, _ = status_of(opener, base + f"/cases/{suspended_case}/approve", urllib.parse.urlencode({"reason": "no token"}).encode())
    check(code == 403, f"a POST without a CSRF token is 403 (got {code})")
    code, _ = status_of(opener, base + f"/cases/{suspended_case}/approve", urllib.parse.urlencode({"reason": "bad token", "csrf_token": "A" * 43}).encode())
    check(code == 403, f"a POST with a wrong CSRF token is 403 (got {code})")
    driver.get(base + "/cases/" + suspended_case)
    check("suspended" in h1(driver), "after the refused POSTs the case is still suspended")
    notices = [r.text for r in driver.find_elements(By.XPATH, "//h2[text()='E-mails to the abuse contact']/following::table[1]//tbody/tr")]
    check(len(notices) == 1 and notices[0].startswith("abuse report (ARF)") and "queued" in notices[0],
          f"the case page lists the abuse report to the contact, queued (serve has no relay here): {notices}")
    accessibility(driver, "case page")
    reachable_by_keyboard(driver, "form.decision button", "case page")

    # Hostile log lines: escaped in text and attributes, no script runs.
    driver.get(base + "/?status=open")
    injection_case = case_row(driver, subject=args.injection_ip)
    check(injection_case is not None, f"a case about {args.injection_ip} (hostile HELO and sender) is in the queue")
    driver.get(base + "/cases/" + injection_case)
    page_text = driver.find_element(By.TAG_NAME, "main").text
    check("<script>alert(1)</script>" in page_text, "the HELO '<script>alert(1)</script>' shows literally")
    check('"><img src=x onerror=alert(1)>' in page_text, "the sender '\"><img src=x onerror=alert(1)>' shows literally")
    check(driver.find_elements(By.CSS_SELECTOR, "main img, main script") == [], "no <img> or <script> element came from the log lines")
    no_alerts(driver, "case page with hostile lines")
    driver.get(base + "/ips/" + args.injection_ip)
    no_alerts(driver, "address page of the hostile host")
    accessibility(driver, "address page")
    driver.get(base + "/reporters")
    accessibility(driver, "reporters page")
    check(driver.find_elements(By.CSS_SELECTOR, "form[action$='/tokens']") == [], "a reviewer sees no token forms")
    submit(driver, "header form button[type=submit]")
    check(driver.current_url.endswith("/login?out=1"), "logging out leads to the login page")
    driver.get(base + "/")
    check(driver.current_url.endswith("/login"), "after logout the old session opens nothing")

    # An admin (with TOTP): approve the suspension, dismiss another.
    login(driver, base, accounts["admin"], accounts["admin_password"])
    check(h1(driver) != "Review queue", "an admin without the one-time code is refused")
    login(driver, base, accounts["admin"], accounts["admin_password"], totp(accounts["admin_totp_uri"]))
    check(h1(driver) == "Review queue", "the admin logs in with password and TOTP")
    if args.screenshots:
        screenshot(driver, args.screenshots + "/queue.png")
        driver.get(base + "/cases/" + suspended_case)
        screenshot(driver, args.screenshots + "/case.png")
    driver.get(base + "/cases/" + suspended_case)
    driver.find_element(By.ID, "reason-approve").send_keys("dictionary attack confirmed by three ISPs (browser test)")
    submit(driver, "form[action$='/approve'] button")
    check("confirmed" in h1(driver), f"after approval the case shows confirmed ({h1(driver)})")
    audit_rows = [r.text for r in driver.find_elements(By.XPATH, "//h2[text()='Audit log']/following::table[1]//tbody/tr")]
    check(any(accounts["admin"] in r and "approve" in r for r in audit_rows), f"the audit log names {accounts['admin']} for the approval")
    answer = dns_answer(args, args.suspended_ip, "A", lambda a: a == "127.0.0.3")
    check(answer == "127.0.0.3", f"dig: {args.suspended_ip} answers 127.0.0.3 after approval (got {answer!r})")
    txt = dns_answer(args, args.suspended_ip, "TXT", lambda a: suspended_case in a)
    check(suspended_case in txt, f"dig: the TXT names the case ({txt!r})")
    driver.get(base + "/")
    second = case_row(driver, subject=args.second_suspended_ip, status="suspended")
    check(second is not None, f"the second suspension ({args.second_suspended_ip}) is in the queue")
    before = dns_answer(args, args.second_suspended_ip, "A", lambda a: a == "127.0.0.3")
    check(before == "127.0.0.3", f"dig: {args.second_suspended_ip} answers 127.0.0.3 while suspended (got {before!r})")
    driver.get(base + "/cases/" + second)
    driver.find_element(By.ID, "reason-dismiss").send_keys("the ISPs' own forwarding loop, not the sender (browser test)")
    submit(driver, "form[action$='/dismiss'] button")
    check("dismissed" in h1(driver), f"after dismissal the case shows dismissed ({h1(driver)})")
    answer = dns_answer(args, args.second_suspended_ip, "A", lambda a: a == "127.0.0.2")
    check(answer == "127.0.0.2", f"dig: {args.second_suspended_ip} answers 127.0.0.2 again after dismissal (got {answer!r})")

    # Two reviewers at once: the second decision on a stale page is refused and says why.
    driver.get(base + "/?status=open")
    contested = case_row(driver, status="open")
    driver.get(base + "/cases/" + contested)
    opener = session_opener(driver, base)
    code, _ = status_of(opener, base + f"/cases/{contested}/dismiss",
                        urllib.parse.urlencode({"reason": "decided elsewhere first", "csrf_token": csrf_of(driver), "expected_status": "open"}).encode())
    check(code == 303, f"the first decision on {contested} wins (got {code})")
    driver.find_element(By.ID, "reason-approve").send_keys("approving a page that is out of date")
    submit(driver, "form[action$='/approve'] button")
    notice = driver.find_element(By.TAG_NAME, "main").text
    check("changed while you were looking" in notice and "dismissed" in h1(driver), "the second decision is told the case changed and decides again")

    # The admin's unredacted view is audited and still escaped.
    driver.get(base + "/cases/" + injection_case)
    driver.find_element(By.ID, "unredact-reason").send_keys("checking the recipient for the browser test")
    submit(driver, "form[action$='/unredacted'] button")
    page_text = driver.find_element(By.TAG_NAME, "main").text
    check("</textarea>" in page_text, "unredacted, the recipient '</textarea>' shows literally")
    check(any("viewed unredacted" in r.text for r in driver.find_elements(By.CSS_SELECTOR, "table tbody tr")), "the unredacted view is in the case's audit log")
    no_alerts(driver, "unredacted case page")

    # Reporter tokens: created by an admin, shown once.
    driver.get(base + "/reporters")
    submit(driver, "form[action='/reporters/isp-east/tokens'] button")
    secret = driver.find_elements(By.CSS_SELECTOR, ".secret")
    token = secret[0].text if secret else ""
    check(token.startswith("aitk_tok_"), "an admin creates a reporter token and sees it")
    driver.get(base + "/reporters")
    check(token and token not in driver.page_source, "the token is shown only once")

    if args.screenshots:
        driver.get(base + "/reporters")
        screenshot(driver, args.screenshots + "/reporters.png")
    driver.get(base + "/audit?staff=" + urllib.parse.quote(accounts["admin"]))
    check(any("approve" in r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr")), "the audit page filters by staff member")
    accessibility(driver, "audit page")

    # A session idle beyond its limit ends.
    short = args.short_url.rstrip("/")
    login(driver, short, accounts["short"], accounts["short_password"])
    check(h1(driver) == "Review queue", "logged in on the short-session server")
    time.sleep(3.5)
    driver.get(short + "/rules")
    check("/login" in driver.current_url and "session ended" in driver.page_source, "an expired session goes to the login page")

    # Five wrong passwords lock the account (on the second server, whose count of failures
    # per address starts at zero; the fifth locks this address there too).
    for n in range(4):
        login(driver, short, accounts["lock"], "wrong password %d" % n)
        check("Wrong name, password" in driver.page_source, f"wrong password {n + 1} is refused without a lock")
    login(driver, short, accounts["lock"], "wrong password 5")
    check("account is locked" in driver.find_element(By.TAG_NAME, "main").text, "the fifth wrong password locks the account")
    login(driver, short, accounts["lock"], accounts["lock_password"])
    check("locked" in driver.find_element(By.TAG_NAME, "main").text and h1(driver) != "Review queue", "a locked account cannot log in even with its password")


if __name__ == "__main__":
    sys.exit(main())
