"""Times every console page at the server's door, signed in as the role that uses it (run by Scripts/bench/console.sh).

Each person activates with their code and signs in (the approver with a TOTP code, computed here with the standard
library: RFC 6238, SHA-1, 30 s, 6 digits). Each page is then fetched REPEATS times over one kept-alive connection
after two warm-up requests; the figures are the median and p99 of the wall time from sending the request to the last
byte of the answer, on 127.0.0.1. GET /healthz, measured the same way, is the baseline: what any answer costs.

Arguments: base URL, activation-codes file ("subject role code" lines), output file (Markdown rows), an auditor's
API token and the metrics port: the API calls behind these pages, and /metrics, are timed the same way.
"""

import base64
import hashlib
import hmac
import http.client
import re
import struct
import sys
import time
import urllib.parse

BASE, CODES, OUT, TOKEN, METRICS_PORT = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
REPEATS = 60
PASSWORD = "bench-password-京津冀-2026"
url = urllib.parse.urlparse(BASE)
ORIGIN = f"{url.scheme}://{url.netloc}"


class Visitor:
    def __init__(self, token=None, port=None):
        self.connection = http.client.HTTPConnection(url.hostname, port or url.port, timeout=60)
        self.cookie = None
        self.token = token

    def request(self, method, path, form=None):
        headers = {"Accept-Language": "zh-CN", "Host": url.netloc}
        if self.cookie:
            headers["Cookie"] = f"ecofund_session={self.cookie}"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = ORIGIN
        started = time.perf_counter_ns()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        elapsed = (time.perf_counter_ns() - started) / 1e6
        for value in response.headers.get_all("Set-Cookie") or []:
            match = re.match(r"ecofund_session=([^;]*)", value)
            if match:
                self.cookie = match.group(1) or None
        return response.status, response.headers.get("Location"), text, elapsed


def totp(secret):
    letters = re.sub(r"[^A-Z2-7]", "", secret.upper())
    key = base64.b32decode(letters + "=" * (-len(letters) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def csrf(text):
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def signed_in(subject, code):
    visitor = Visitor()
    status, _, text, _ = visitor.request(
        "POST", "/activate", {"activationCode": code, "password": PASSWORD, "confirmation": PASSWORD})
    assert status == 200 and "field-error" not in text, f"{subject} could not activate: {status}"
    status, location, _, _ = visitor.request("POST", "/sign-in", {"subject": subject, "password": PASSWORD})
    assert status == 303, f"{subject} could not sign in: {status}"
    if location == "/sign-in/setup":
        _, _, text, _ = visitor.request("GET", "/sign-in/setup")
        secret = re.search(r'id="secret">([^<]+)<', text).group(1)
        status, location, _, _ = visitor.request(
            "POST", "/sign-in/setup", {"csrf": csrf(text), "code": totp(secret)})
    assert location == "/", f"{subject} is not signed in: {status} {location}"
    return visitor


def timed(visitor, path):
    for _ in range(2):
        status, _, text, _ = visitor.request("GET", path)
    assert status == 200, f"GET {path}: {status}"
    times = sorted(visitor.request("GET", path)[3] for _ in range(REPEATS))
    return times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))], text


def main():
    people = {}
    with open(CODES) as lines:
        for line in lines:
            subject, role, code = line.split()
            people[role] = signed_in(subject, code)
    finance, approver, admin, auditor = people["finance"], people["approver"], people["admin"], people["auditor"]
    assessor = people["assessor"]
    # Ids to open, from the pages themselves.
    _, _, page = timed(finance, "/contributions?contributor=beijing")
    contribution = re.search(r'href="/contributions/([0-9a-f-]{36})"', page).group(1)
    _, _, page = timed(approver, "/runs")
    run = re.search(r'href="/runs/([0-9a-f-]{36})"', page).group(1)
    _, _, page = timed(auditor, "/journal")
    journal_next = re.search(r'href="(/journal\?cursor=[^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    _, _, page = timed(auditor, "/audit")
    leaf = re.search(r'href="/audit/events/(\d+)"', page).group(1)
    pages = [
        ("baseline: GET /healthz", Visitor(), "/healthz"),
        ("sign-in page", Visitor(), "/sign-in"),
        ("dashboard (finance)", finance, "/"),
        ("dashboard (approver: waiting for me)", approver, "/"),
        ("contributions, newest first", finance, "/contributions"),
        ("contributions of one contributor", finance, "/contributions?contributor=tianjin"),
        ("contributions of one month, two years back", finance, "/contributions?from=2024-03-01&to=2024-03-31"),
        ("contributions of one month and contributor", finance,
         "/contributions?contributor=beijing&from=2025-06-01&to=2025-06-30"),
        ("a contribution with its entry and events", finance, f"/contributions/{contribution}"),
        ("commitments 2025 with fulfilment", finance, "/commitments?year=2025"),
        ("record-a-contribution form", finance, "/contributions/new"),
        ("preview the annual rule (13 recipients)", finance, "/runs/new?rule=jjj-annual"),
        ("runs", approver, "/runs"),
        ("a run with its explanations", approver, f"/runs/{run}"),
        ("approvals queue", approver, "/approvals"),
        ("people", admin, "/people"),
        ("access requests", admin, "/access-requests"),
        ("journal, newest first (auditor)", auditor, "/journal"),
        ("journal, its second page", auditor, journal_next),
        ("journal of one account", auditor, "/journal?account=contributions:tianjin"),
        ("journal of one account, one month two years back", auditor,
         "/journal?account=contributions:tianjin&from=2024-03-01&to=2024-03-31"),
        ("journal of a rare kind (payments)", auditor, "/journal?kind=payment"),
        ("journal of one month, two years back", auditor, "/journal?from=2024-03-01&to=2024-03-31"),
        ("ledger of fund:cash, one month (running balance)", auditor,
         "/accounts/fund:cash?from=2025-06-01&to=2025-06-30"),
        ("ledger of fund:cash, a whole year", auditor, "/accounts/fund:cash?from=2025-01-01&to=2025-12-31"),
        ("ledger of a recipient's payable", auditor, "/accounts/payable:chengde?from=2024-01-01&to=2026-12-31"),
        ("trial balance as of a date", auditor, "/trial-balance?asOf=2025-06-30"),
        ("fund statement 2025", auditor, "/fund-statement?year=2025"),
        ("audit log with its checkpoint", auditor, "/audit"),
        ("an event with its inclusion proof", auditor, f"/audit/events/{leaf}"),
        ("export form", auditor, "/audit/export"),
        ("assessment periods", assessor, "/assessment"),
        ("a period: ranking chart and score grid", assessor, "/assessment/2025"),
        ("a jurisdiction's score history", assessor, "/assessment/2025/scores/chengde/history"),
        ("a scheme's versions and indicators", assessor, "/schemes/jjj-green"),
        ("tokens page (issue, revoke)", admin, "/tokens"),
        ("jurisdictions' reference data", admin, "/jurisdictions"),
        ("allocation rules", admin, "/rules"),
        ("a rule: document, difference and today's preview", admin, "/rules/jjj-annual"),
        ("API: fund statement 2025", Visitor(TOKEN), "/v1/reports/fund-statement?fiscalYear=2025"),
        ("API: commitments 2025", Visitor(TOKEN), "/v1/commitments?fiscalYear=2025"),
        ("API: contributions of one month, two years back", Visitor(TOKEN),
         "/v1/contributions?from=2024-03-01&to=2024-03-31"),
        ("API: GET /metrics", Visitor(port=METRICS_PORT), "/metrics"),
        ("API: fund:cash as of a date (was 880–920 ms)", Visitor(TOKEN), "/v1/accounts/fund:cash?asOf=2025-06-30"),
        ("API: every account as of a date (was 1.4 s)", Visitor(TOKEN), "/v1/accounts?asOf=2025-06-30"),
        ("API: trial balance as of a date (was 1.3–1.4 s)", Visitor(TOKEN), "/v1/reports/trial-balance?asOf=2025-06-30"),
    ]
    rows = []
    for name, visitor, path in pages:
        median, p99, _ = timed(visitor, path)
        target = "(baseline)" if path == "/healthz" else "(reported)" if name.startswith("API") else "< 50 ms"
        verdict = "" if not target.startswith("<") else (" ✔" if median < 50 else " ✘")
        rows.append(f"| {name} | `{path}` | {median:.1f} ms | {p99:.1f} ms | {target}{verdict} |")
        print(rows[-1], flush=True)
    with open(OUT, "w") as out:
        out.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
