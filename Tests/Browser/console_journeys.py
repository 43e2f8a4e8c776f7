"""Browser journeys of the console, in a real Chromium (Debian's, through its chromedriver) against a real server and
PostgreSQL. Run by Scripts/test.sh, which starts the server and hands its address and the demo's activation codes in
the environment. Every page is screenshotted in both languages under .build/screenshots/ and checked with axe-core
(no serious or critical violation).

Environment: CONSOLE_URL, ACTIVATION_CODES (a file of "subject role code" lines), SCREENSHOTS (a directory).
"""

import glob
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import pyotp
from axe_selenium_python import Axe
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

BASE = os.environ["CONSOLE_URL"]
SHOTS = os.environ["SCREENSHOTS"]
CODES = {}
with open(os.environ["ACTIVATION_CODES"]) as lines:
    for line in lines:
        subject, role, code = line.split()
        CODES[subject] = code
PASSWORD = "绿色京津冀2025年的春天"
failures = []


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000", "--lang=zh-CN"]:
        options.add_argument(argument)
    # The language a browser in Beijing asks for first; the console must answer it without being told.
    options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def check(condition, what):
    if condition:
        print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        failures.append(what)


def shoot(driver, name):
    """A screenshot of the page as it stands, and axe-core's verdict on it."""
    os.makedirs(SHOTS, exist_ok=True)
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1280, max(1000, min(height + 40, 4000)))
    driver.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    check(not serious, f"axe finds nothing serious on {name}: {[v['id'] for v in serious]}")
    driver.set_window_size(1280, 1000)


def language(driver, lang):
    """Switches the language with the header's own link, which leads back to the page (or, after a POST, to the
    page the form was on)."""
    if driver.find_element(By.TAG_NAME, "html").get_attribute("lang").startswith(lang):
        return
    driver.get(driver.find_element(By.CSS_SELECTOR, f"a[href^='/language?lang={lang}']").get_attribute("href"))


def fill(driver, field, value):
    element = driver.find_element(By.ID, field)
    element.clear()
    element.send_keys(value)


def replaced(page):
    """A wait condition: the page whose <html> is `page` has been replaced by the next one. Chromium may report a node
    of the old page as stale or as no longer in the document, depending on how far the navigation got; both mean
    gone."""
    def gone(_):
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True
    return gone


def submit(driver):
    """Submits the page's main form and waits for the answer to replace the page."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 15).until(replaced(page))


def sign_out(driver):
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "header form button").click()
    WebDriverWait(driver, 15).until(replaced(page))


def activate(driver, subject):
    driver.get(f"{BASE}/activate")
    fill(driver, "activationCode", CODES[subject])
    fill(driver, "password", PASSWORD)
    fill(driver, "confirmation", PASSWORD)
    submit(driver)
    try:
        WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".notice.ok")))
        done = True
    except Exception:
        done = False
    check(done, f"{subject} activates with the code")


def sign_in(driver, subject, secret=None):
    driver.get(f"{BASE}/sign-in")
    fill(driver, "subject", subject)
    fill(driver, "password", PASSWORD)
    submit(driver)
    return driver.current_url


def click(driver, selector):
    """Clicks a button and waits for the page it leads to."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 15).until(replaced(page))


def path(driver):
    return urllib.parse.urlparse(driver.current_url).path


def both_languages(driver, name):
    """Screenshots of the page as it stands in Chinese, then in English; the console is left in Chinese."""
    shoot(driver, f"{name}.zh")
    language(driver, "en")
    shoot(driver, f"{name}.en")
    language(driver, "zh")


# Bank references a spreadsheet would read as formulas; they must arrive in a spreadsheet as text.
FORMULAS = ["=1+2", "+86", "-5", "@SUM(A1)"]
HOSTILE = "<script>alert('x')</script>\"'; DROP TABLE contributions; --"
SERVER_FAULT = "服务器出了问题"


def set_value(driver, field, value):
    """Sets a field as a hostile client would: past its maxlength, control characters included."""
    driver.execute_script(
        "if (arguments[0].type === 'date') arguments[0].type = 'text'; arguments[0].value = arguments[1];",
        driver.find_element(By.ID, field), value)


def walk(driver, path, form, field, values, error=True, valid=None, keep=True):
    """Submits the form at `path` with each bad value in `field` (and good ones in `valid`'s fields): never a server
    fault, never a script run, the message beside the field in Chinese, and what was typed still there."""
    for value in values:
        driver.get(f"{BASE}{path}")
        for other, good in (valid or {}).items():
            if other != field:
                set_value(driver, other, good)
        dated = driver.find_element(By.ID, field).get_attribute("type") == "date"
        set_value(driver, field, value)
        click(driver, f"{form} button[type=submit]")
        what = f"{path} {field}={value[:24]!r}"
        check(SERVER_FAULT not in driver.page_source, f"{what}: no server fault")
        check(not driver.execute_script("return window.__pwned === true"), f"{what}: nothing ran")
        if error:
            message = driver.find_elements(By.ID, f"{field}-error")
            check(message and re.search(r"[\u4e00-\u9fff]", message[0].text),
                  f"{what}: the message is beside the field, in Chinese")
            kept = driver.find_elements(By.ID, field)
            # HTML cannot carry control characters back in a field's value; everything else comes back as typed.
            # A date input shows only a real date, as the browser's own picker would send.
            if keep and not re.search(r"[\x00-\x1f]", value) and not dated:
                check(kept and kept[0].get_attribute("value") == value, f"{what}: the input is kept")


def hostile_walk(driver):
    """Every form of the finance official's, with empty, too long, wrong-format and hostile values."""
    form = "form[action='/contributions'][method=post]"
    good = {"amount": "100.00", "reference": "BJ-WALK-1", "valueDate": "2026-03-01", "memo": ""}
    walk(driver, "/contributions/new", form, "amount",
         ["", "12,34", "1.234", "-5", "9" * 40, "１２３", HOSTILE], valid=good)
    walk(driver, "/contributions/new", form, "reference", ["", "   ", "x" * 101, "a\u0007b"], valid=good)
    walk(driver, "/contributions/new", form, "valueDate", ["", "2025-02-30", "30/09/2025", "1999-12-31", HOSTILE],
         valid=good)
    walk(driver, "/contributions/new", form, "memo", ["m" * 501, "a\u0007b"], valid=good)
    walk(driver, "/contributions", "form.filters", "from", ["2025-13-01", HOSTILE])
    walk(driver, "/runs/new", "form[action='/runs/new']", "pool", ["abc", "0", "-1.00", "9" * 40, "1 000", HOSTILE])
    walk(driver, "/runs/new", "form[action='/runs/new']", "valueDate", ["2025-02-30", HOSTILE])
    driver.get(f"{BASE}/contributions")
    check("DROP TABLE" not in driver.find_element(By.TAG_NAME, "main").text,
          "no hostile value was recorded as a contribution")


def finance_journey(driver):
    """The finance official reads a contribution whole, reverses one behind a confirm step, reads the commitments,
    previews the annual rule and proposes a run, which they may not decide themselves."""
    hostile_walk(driver)
    driver.get(f"{BASE}/contributions?contributor=beijing")
    click(driver, "tbody tr a[href^='/contributions/']")
    check(driver.find_elements(By.CSS_SELECTOR, "main table tbody tr") and "contribution.recorded" in driver.page_source,
          "a contribution's page shows its journal lines and its audit event")
    check("基金现金" in driver.page_source, "journal lines name the accounts in Chinese")
    both_languages(driver, "contribution")
    detail = driver.current_url
    driver.find_element(By.CSS_SELECTOR, "a[href$='/reverse']").click()
    fill(driver, "reason", "")
    submit(driver)
    check(driver.find_elements(By.ID, "reason-error"), "a reversal without a reason is refused beside the field")
    shoot(driver, "reverse-error.zh")
    reverse = urllib.parse.urlparse(driver.current_url).path
    walk(driver, reverse, "main form", "reason", ["   ", "r" * 501, "a\u0007b"])
    fill(driver, "reason", "银行退回：重复入账")
    submit(driver)
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.warn"), "a reversal asks to be confirmed first")
    driver.get(detail)
    check("contribution.reversed" not in driver.page_source, "nothing was reversed before the confirmation")
    # The confirm step answers a POST, so each language reaches it by its own review.
    driver.find_element(By.CSS_SELECTOR, "a[href$='/reverse']").click()
    language(driver, "en")
    fill(driver, "reason", "Returned by the bank: entered twice")
    submit(driver)
    shoot(driver, "reverse-confirm.en")
    language(driver, "zh")
    fill(driver, "reason", "银行退回：重复入账")
    submit(driver)
    shoot(driver, "reverse-confirm.zh")
    submit(driver)
    check("contribution.reversed" in driver.page_source and len(driver.find_elements(By.CSS_SELECTOR, "main table")) == 2,
          "once confirmed, the reversal's entry and event are on the contribution's page")

    driver.get(f"{BASE}/commitments")
    check("%" in driver.find_element(By.CSS_SELECTOR, "main table").text, "commitments show their fulfilment")
    both_languages(driver, "commitments")

    driver.get(f"{BASE}/runs/new?rule=jjj-annual")
    fill(driver, "pool", "abc")
    submit(driver)
    check(driver.find_elements(By.ID, "pool-error"), "a malformed pool is refused beside its field")
    fill(driver, "pool", "800000.00")
    submit(driver)
    rows = driver.find_elements(By.CSS_SELECTOR, "table.allocation tbody tr")
    check(len(rows) >= 11 and "保定市" in driver.page_source, f"the preview allocates to Hebei's cities: {len(rows)} rows")
    steps = [len(r.find_elements(By.CSS_SELECTOR, "ol.explain li")) for r in rows]
    check(all(n >= 4 for n in steps) and all("权重" in r.text and "%" in r.text and "¥" in r.text for r in rows),
          f"every recipient's amount is explained in words, step by step: {steps}")
    both_languages(driver, "run-preview")
    click(driver, "form[action='/runs'] button")
    check("/runs/" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "the run is proposed")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info") and not driver.find_elements(By.CSS_SELECTOR, "form[action$='/approve']"),
          "the proposer is told why they may not approve, with no button to try")
    RUN["url"] = driver.current_url.split("?")[0]
    both_languages(driver, "run-proposed")
    # A pool bigger than the fund: said beside the pool, with what it needs and what is available.
    driver.get(f"{BASE}/runs/new?rule=jjj-annual&pool=900000000.00")
    short = driver.find_elements(By.ID, "pool-error")
    check(short and "¥900,000,000.00" in short[0].text and short[0].text.count("¥") == 2,
          "a preview the fund cannot cover says so beside the pool, with what it needs and what is available")
    shoot(driver, "run-preview-short.zh")
    # A second run for all that is available now: it fits today, but not once the first run is approved.
    available = re.search(r"¥([\d,]+\.\d\d)", short[0].text.split("¥900,000,000.00")[-1]).group(1)
    driver.get(f"{BASE}/runs/new?rule=jjj-annual&pool={available.replace(',', '')}")
    click(driver, "form[action='/runs'] button")
    check("/runs/" in driver.current_url, f"a run of everything available (¥{available}) is proposed")
    RUN["short"] = driver.current_url.split("?")[0]
    sign_out(driver)


def approver_journey(driver):
    """The approver sets up a second factor, finds the run in the queue, approves and posts it, and confirms a
    payment with the bank's reference; the runs list shows it by status."""
    activate(driver, "qian.approver")
    sign_in(driver, "qian.approver")
    check(path(driver) == "/sign-in/setup", "an approver sets up a second factor at first sign-in")
    key = driver.find_element(By.ID, "secret").text.replace(" ", "")
    fill(driver, "code", pyotp.TOTP(key).now())
    submit(driver)
    check(path(driver) == "/", "the approver reaches the dashboard after the code")
    sign_out(driver)
    sign_in(driver, "qian.approver")
    check(path(driver) == "/sign-in/code", "the next sign-in asks for the authenticator's code")
    shoot(driver, "sign-in-code.zh")
    # A code is used once: wait for the next one rather than reuse the setup's.
    used = pyotp.TOTP(key).now()
    while pyotp.TOTP(key).now() == used:
        time.sleep(1)
    fill(driver, "code", pyotp.TOTP(key).now())
    submit(driver)
    check(path(driver) == "/", "with the code, the approver is signed in")
    driver.get(f"{BASE}/approvals")
    check(driver.find_elements(By.CSS_SELECTOR, f"a[href='{urllib.parse.urlparse(RUN['url']).path}']"),
          "the proposed run waits in the approver's queue")
    both_languages(driver, "approvals")
    driver.get(RUN["url"])
    both_languages(driver, "run-to-approve")
    click(driver, "form[action$='/approve'] button")
    check("已批准" in driver.find_element(By.CSS_SELECTOR, ".status").text, "the approver approves the run")
    click(driver, "form[action$='/post'] button")
    check("已记账" in driver.find_element(By.CSS_SELECTOR, ".status").text, "and posts it")
    forms = driver.find_elements(By.CSS_SELECTOR, "form.payment")
    check(forms, "a posted run offers a payment confirmation per recipient")
    recipient = forms[0].find_element(By.NAME, "recipient").get_attribute("value")
    click(driver, "form.payment button")
    check(driver.find_elements(By.ID, f"bankReference-{recipient}-error"),
          "a payment without a bank reference is refused beside its field")
    shoot(driver, "run-payment-error.zh")
    fill(driver, f"bankReference-{recipient}", "ICBC-20261202-0001")
    click(driver, "form.payment button")
    check("ICBC-20261202-0001" in driver.page_source, "the payment is confirmed with its bank reference")
    # Handan owes the fund what the 2025 settlement clawed back: part of this payment is kept back against it.
    check(driver.find_elements(By.ID, "offset-handan"), "the payment form offers Handan an offset against its receivable")
    fill(driver, "bankReference-handan", "ICBC-20261202-0002")
    fill(driver, "offset-handan", "99999999.00")
    click(driver, "form.payment:has(#offset-handan) button")
    error = driver.find_elements(By.ID, "offset-handan-error")
    check(error and re.search(r"[\u4e00-\u9fff]", error[0].text), "an offset above the payment is refused beside it")
    shoot(driver, "run-offset-error.zh")
    fill(driver, "offset-handan", "1000.00")
    click(driver, "form.payment:has(#offset-handan) button")
    check("其中抵扣应收回款 ¥1,000.00" in driver.page_source, "the payment is recorded with ¥1,000.00 kept back")
    both_languages(driver, "run-posted")
    driver.get(RUN["short"])
    click(driver, "form[action$='/approve'] button")
    refused = [n.text for n in driver.find_elements(By.CSS_SELECTOR, ".notice.error") if "基金不足" in n.text]
    check(refused and refused[0].count("¥") == 2 and "已提议" in driver.find_element(By.CSS_SELECTOR, ".status").text,
          "approving a run the fund cannot cover is refused in words, with both amounts; the run stays proposed")
    shoot(driver, "run-fund-short.zh")
    click(driver, "form[action$='/reject'] button")
    check(driver.find_elements(By.ID, "reason-error"), "a rejection without a reason is refused beside the field")
    fill(driver, "reason", "资金不足，请按可用余额重新提议")
    click(driver, "form[action$='/reject'] button")
    check("已驳回" in driver.find_element(By.CSS_SELECTOR, ".status").text and "资金不足" in driver.page_source,
          "the approver rejects it with a reason, kept in its history")
    driver.get(f"{BASE}/runs?status=posted")
    check(driver.find_elements(By.CSS_SELECTOR, "tbody tr"), "the runs list shows posted runs")
    both_languages(driver, "runs")
    driver.get(f"{BASE}/")
    both_languages(driver, "dashboard-approver")
    # The password change, walked with the right current password (a wrong one would count toward the lockout):
    # a new password too short or holding the login name is refused beside it, and a password is never shown back.
    change = {"currentPassword": PASSWORD, "password": "a-long-enough-passphrase-2026", "confirmation": "x"}
    walk(driver, "/password", "form[action='/password']", "password", ["", "short", "qian.approver-2026-ok"],
         valid=change, keep=False)
    walk(driver, "/password", "form[action='/password']", "confirmation", [HOSTILE], valid=change, keep=False)
    recovery_journey(driver)
    sign_out(driver)
    sign_in(driver, "liu.beijing")


def recovery_journey(driver):
    """The approver reads the settlement that clawed back from Handan, then records part of what Handan returns: an
    amount above what it owes is refused beside the amount, in Chinese, and nothing is recorded."""
    driver.get(f"{BASE}/runs?status=paid")
    links = []
    for row in driver.find_elements(By.CSS_SELECTOR, "tbody tr"):
        if "jjj-settlement-2025" in row.text:
            links += [a.get_attribute("href") for a in row.find_elements(By.CSS_SELECTOR, "a[href^='/runs/']")]
    check(links, "the paid runs list the 2025 settlement")
    if links:
        driver.get(links[0])
        tags = [t.text for t in driver.find_elements(By.CSS_SELECTOR, ".tag.clawback")]
        steps = " ".join(e.text for e in driver.find_elements(By.CSS_SELECTOR, "ol.explain li"))
        check(len(tags) == 1 and "¥949,432.19" in tags[0], f"the settlement claws back from one city: {tags}")
        check("x − a" in steps and "约束性目标" in steps and "应收回款" in steps,
              "each recipient's settlement is explained: x, a, s and the binding target missed")
        both_languages(driver, "run-settlement")
    driver.get(f"{BASE}/receivables")
    owed = driver.find_element(By.CSS_SELECTOR, "main table tbody").text
    check("邯郸市" in owed and "¥473,716.19" in owed, f"Handan owes what it has neither returned nor had offset: {owed}")
    shoot(driver, "receivables.zh")
    good = {"amount": "100.00", "valueDate": "2026-05-20", "bankReference": "HANDAN-2026-0520-001"}
    walk(driver, "/receivables", "form[action='/receivables']", "amount", ["473716.20", "", "-5", HOSTILE], valid=good)
    shoot(driver, "receivables-error.zh")
    walk(driver, "/receivables", "form[action='/receivables']", "bankReference", ["", "x" * 101], valid=good)
    driver.get(f"{BASE}/receivables")
    for field, value in good.items():
        set_value(driver, field, value)
    click(driver, "form[action='/receivables'] button[type=submit]")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info") and "¥473,616.19" in driver.page_source,
          "the recovery is recorded and Handan owes 100 yuan less")
    both_languages(driver, "receivables")


def receivables_audit(driver):
    """The auditor reads 2026: the settlement's clawback, Handan's recovery and what is still owed, tying to cash."""
    driver.get(f"{BASE}/fund-statement?year=2026")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "the 2026 fund statement ties to its cash")
    table = driver.find_element(By.CSS_SELECTOR, "h2#receivables + p + table").text
    check("邯郸市" in table and "¥949,432.19" in table, f"the receivables show Handan's clawback: {table[:120]}")
    both_languages(driver, "fund-statement-2026")
    driver.get(f"{BASE}/receivables")
    check(not driver.find_elements(By.CSS_SELECTOR, "form[action='/receivables']"), "an auditor reads but records nothing")


def monitoring_journey(driver):
    """The assessor reads 2025's early-warning list (Handan's PM2.5 above its binding target), then sets Chengde's
    2026 targets and readings: a target that is no number said in its cell, a month outside 2026 said beside the
    month, a revision without a reason refused; every refusal in Chinese with what was typed kept."""
    driver.get(f"{BASE}/assessment/2025")
    click(driver, "a[href='/assessment/2025/monitor']")
    warned = [r.get_attribute("data-jurisdiction") for r in driver.find_elements(By.CSS_SELECTOR, "tr.warning")]
    check(warned == ["handan"], f"the 2025 early-warning list flags Handan's binding PM2.5 target: {warned}")
    both_languages(driver, "monitor")
    driver.get(f"{BASE}/assessment/2025/measures/handan")
    check(not driver.find_elements(By.CSS_SELECTOR, "form[action$='/targets/handan'] input[name^='t_']"),
          "a finalized period's targets cannot be edited")
    both_languages(driver, "measures-finalized")
    page = "/assessment/2026/measures/chengde"
    targets = "form[action$='/targets/chengde']"
    walk(driver, page, targets, "t_pm25", ["abc", "1,5", HOSTILE], valid={"t_forestCoverage": "60"})
    shoot(driver, "measures-target-error.zh")
    driver.get(f"{BASE}{page}")
    fill(driver, "t_pm25", "26")
    driver.find_element(By.ID, "b_pm25").click()
    click(driver, f"{targets} button[type=submit]")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info"), "Chengde's 2026 targets are saved")
    fill(driver, "t_pm25", "25")
    click(driver, f"{targets} button[type=submit]")
    check(driver.find_elements(By.ID, "target-reason-error"), "revising the targets without a reason is refused")
    walk(driver, page, "form#reading-form", "month", ["2025-07", "2026-13", "July", HOSTILE], valid={"r_pm25": "31"})
    shoot(driver, "measures-month-error.zh")
    driver.get(f"{BASE}{page}")
    fill(driver, "month", "2026-03")
    fill(driver, "r_pm25", "29")
    click(driver, "form#reading-form button[type=submit]")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info") and "2026-03" in driver.page_source,
          "a March reading is saved")
    click(driver, "a[href*='2026%2D03']")
    fill(driver, "r_pm25", "30")
    click(driver, "form#reading-form button[type=submit]")
    check(driver.find_elements(By.ID, "reading-reason-error"), "revising a month's readings needs a reason")
    fill(driver, "reading-reason", "监测站数据复核")
    click(driver, "form#reading-form button[type=submit]")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info"), "with a reason, the revision is saved")
    both_languages(driver, "measures")
    driver.get(f"{BASE}/assessment/2026/monitor")
    rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr[data-jurisdiction='chengde']")]
    check(any("30" in r and "未达标" in r for r in rows),
          f"the 2026 monitor warns that Chengde's revised reading misses its target of 26: {rows}")


RUN = {}
KEYS = {}


def deactivation_journey(driver):
    """The second admin deactivates the locked finance official: a reason is needed, and afterwards the person is
    shown as deactivated with nothing left to manage."""
    driver.get(f"{BASE}/sign-in")
    fill(driver, "subject", "zhao.admin")
    fill(driver, "password", PASSWORD)
    submit(driver)
    used = pyotp.TOTP(KEYS["zhao.admin"]).now()
    while pyotp.TOTP(KEYS["zhao.admin"]).now() == used:
        time.sleep(1)
    fill(driver, "code", pyotp.TOTP(KEYS["zhao.admin"]).now())
    submit(driver)
    driver.get(f"{BASE}/people")
    row = [r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if "liu.beijing" in r.text][0]
    row.find_element(By.TAG_NAME, "summary").click()
    click(driver, "tbody tr details[open] form[action$='/deactivate'] button")
    check(driver.find_elements(By.CSS_SELECTOR, "[id$='-error']"), "a deactivation without a reason is refused beside it")
    shoot(driver, "people-deactivate-error.zh")
    field = driver.find_element(By.CSS_SELECTOR, "details[open] input[name=reason]")
    field.send_keys("调离财政岗位")
    click(driver, "details[open] form[action$='/deactivate'] button")
    row = [r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if "liu.beijing" in r.text][0]
    check("已停用" in row.text and not row.find_elements(By.TAG_NAME, "details"),
          "the finance official is deactivated, with nothing left to manage")
    both_languages(driver, "people-deactivated")


def wait_verdict(driver):
    """Waits for the proof page's own check to finish, and returns its verdict's class and text."""
    WebDriverWait(driver, 15).until(lambda d: "verified" in d.find_element(By.ID, "verify-result").get_attribute("class")
                                    or "failed" in d.find_element(By.ID, "verify-result").get_attribute("class"))
    result = driver.find_element(By.ID, "verify-result")
    return result.get_attribute("class"), result.text


def api_status(token, path):
    request = urllib.request.Request(f"{BASE}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def publish(driver, text):
    driver.execute_script("document.getElementById('document').value = arguments[0];", text)
    click(driver, "form[action='/rules'] button[type=submit]")


def rules_journey(driver):
    """The admin reads jjj-annual with what it would give today, then publishes a new version from its JSON: a
    document that is not JSON, one with a misspelt field, and one that breaks a rule are each refused with the place
    named; a good one becomes v2, and the page shows its difference from v1."""
    driver.get(f"{BASE}/rules")
    check(driver.find_elements(By.CSS_SELECTOR, "a[href='/rules/jjj-annual']"), "the rules list jjj-annual")
    shoot(driver, "rules.zh")
    driver.get(f"{BASE}/rules/jjj-annual")
    check(len(driver.find_elements(By.CSS_SELECTOR, "table.allocation tbody tr")) == 13,
          "the rule's page previews what it would give today, recipient by recipient")
    original = driver.find_element(By.ID, "document").get_attribute("value")
    publish(driver, original[:-3])
    errors = driver.find_elements(By.CSS_SELECTOR, "#document-error li")
    check(errors and "JSON" in errors[0].text, f"a document that is not JSON is refused: {[e.text for e in errors]}")
    publish(driver, original.replace('"maxShareOfTranche"', '"maxShareOfTrance"'))
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#document-error li")]
    check(any("/maxShareOfTrance" in e for e in errors), f"a misspelt field is named: {errors}")
    check("maxShareOfTrance" in driver.find_element(By.ID, "document").get_attribute("value"), "the pasted text is kept")
    publish(driver, original.replace('"share" : "0.80"', '"share" : "1.80"', 1))
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#document-error li")]
    check(errors and any("/" in e for e in errors), f"a share above 1 is refused, naming where: {errors}")
    shoot(driver, "rule-publish-error.zh")
    publish(driver, original.replace('"maxShareOfTranche" : "0.60"', '"maxShareOfTranche" : "0.55"'))
    check("v=2" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "a good document is v2")
    check(driver.find_elements(By.CSS_SELECTOR, "pre.diff .removed") and driver.find_elements(By.CSS_SELECTOR, "pre.diff .added"),
          "v2's page shows what changed from v1")
    both_languages(driver, "rule")


def jurisdictions_journey(driver):
    """The admin reads the reference data (Hebei's cities under Hebei) and edits Chengde's: every wrong figure is said
    beside its field at once, what was typed kept; a good edit is saved."""
    driver.get(f"{BASE}/jurisdictions")
    check("承德市" in driver.find_element(By.TAG_NAME, "main").text, "the reference data lists 承德市")
    both_languages(driver, "jurisdictions")
    driver.get(f"{BASE}/jurisdictions/chengde")
    population = driver.find_element(By.ID, "population").get_attribute("value")
    fill(driver, "population", "三百万")
    fill(driver, "ecologicalArea", "")
    submit(driver)
    check(driver.find_elements(By.ID, "population-error") and driver.find_elements(By.ID, "ecologicalArea-error"),
          "both wrong figures are said beside their fields at once")
    check(driver.find_element(By.ID, "population").get_attribute("value") == "三百万", "what was typed is kept")
    shoot(driver, "jurisdiction-errors.zh")
    walk(driver, "/jurisdictions/chengde", "form[action='/jurisdictions/chengde']", "population",
         ["", "-5", "1e9", "9" * 40, HOSTILE])
    driver.get(f"{BASE}/jurisdictions/chengde")
    fill(driver, "population", population)
    submit(driver)
    check(path(driver) == "/jurisdictions" and driver.find_elements(By.CSS_SELECTOR, ".notice.ok"),
          "a good edit is saved and said so")


def tokens_journey(driver):
    """The admin issues an API token for a reporting system (the secret shown once, and it works), revokes it (and
    it stops at once); a token for a role that moves money waits for a second admin; bad days are said beside."""
    driver.get(f"{BASE}/tokens")
    fill(driver, "subject", "reporting.system")
    driver.find_element(By.CSS_SELECTOR, "#role option[value=auditor]").click()
    fill(driver, "lifetimeDays", "0")
    submit(driver)
    check(driver.find_elements(By.ID, "lifetimeDays-error"), "a lifetime of 0 days is refused beside the field")
    check(driver.find_element(By.ID, "subject").get_attribute("value") == "reporting.system", "the input is kept")
    fill(driver, "lifetimeDays", "30")
    submit(driver)
    secret = driver.find_elements(By.ID, "token-secret")
    check(secret and secret[0].text.startswith("efl_"), "the new token's secret is shown once")
    token = secret[0].text if secret else ""
    check(api_status(token, "/v1/reports/trial-balance") == 200, "the token works against the API")
    both_languages(driver, "tokens-issued")
    driver.get(f"{BASE}/tokens")
    check(token not in driver.page_source, "the secret is not shown again")
    row = [r for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if "reporting.system" in r.text][0]
    check(not row.find_elements(By.TAG_NAME, "td")[1].text.rstrip().endswith("·"),
          "a token without a place shows no dangling separator")
    page = driver.find_element(By.TAG_NAME, "html")
    row.find_element(By.CSS_SELECTOR, "form[action$='/revoke'] button").click()
    WebDriverWait(driver, 15).until(replaced(page))
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "revoking says so")
    check(api_status(token, "/v1/reports/trial-balance") == 401, "the revoked token stops at once")
    fill(driver, "subject", "bank.feed")
    driver.find_element(By.CSS_SELECTOR, "#role option[value=finance]").click()
    driver.find_element(By.CSS_SELECTOR, "#jurisdiction option[value=beijing]").click()
    submit(driver)
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info") and not driver.find_elements(By.ID, "token-secret"),
          "a finance token waits for a second admin, no secret shown")
    both_languages(driver, "tokens")


def create_at_once(driver, subject, role):
    """The admin creates a person who moves no money: made at once, with the activation code shown."""
    driver.get(f"{BASE}/people")
    fill(driver, "subject", subject)
    driver.find_element(By.CSS_SELECTOR, f"#role option[value={role}]").click()
    driver.find_element(By.CSS_SELECTOR, "#jurisdiction option[value='']").click()
    submit(driver)
    codes = driver.find_elements(By.ID, "activation-code")
    check(codes, f"an {role} is created at once (no money moves by one) with an activation code")
    CODES[subject] = codes[0].text if codes else ""


def auditor_journey(driver):
    """An auditor, in the browser only: the journal filtered to an account and a kind, an account's ledger with its
    running balance, the trial balance and the fund statement; a contribution's entry found, its event's inclusion
    proof checked by the page itself (and refused once the key or the event is not the signed one); the export
    downloaded, passed by `ecofund verify`, and failed once one CSV cell is edited."""
    tokens_journey(driver)
    jurisdictions_journey(driver)
    rules_journey(driver)
    create_at_once(driver, "wu.auditor", "auditor")
    create_at_once(driver, "xu.assessor", "assessor")
    sign_out(driver)
    activate(driver, "wu.auditor")
    sign_in(driver, "wu.auditor")
    check(path(driver) == "/", "the auditor signs in with a password alone")
    menu = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "nav.menu a")]
    check(any(h.endswith("/journal") for h in menu) and any(h.endswith("/audit") for h in menu),
          "the auditor's menu offers the books and the audit log")

    driver.get(f"{BASE}/journal")
    entries = driver.find_elements(By.CSS_SELECTOR, "section.entry")
    check(entries, f"the journal lists entries ({len(entries)} on the first page)")
    both_languages(driver, "journal")
    driver.get(f"{BASE}/journal?account=contributions:beijing&kind=contribution")
    captions = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "section.entry caption")]
    lines = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "section.entry table")]
    check(captions and all("缴款" in c for c in captions) and all("contributions:beijing" in t for t in lines),
          f"filtered by account and kind, every entry is a contribution touching contributions:beijing ({len(captions)})")
    shoot(driver, "journal-filtered.zh")
    walk(driver, "/journal", "form.filters", "from", ["2025-13-01", HOSTILE])
    driver.get(f"{BASE}/journal?account=nothing:here")
    check(driver.find_elements(By.ID, "account-error"), "an account that is not one is said beside the field")
    driver.get(f"{BASE}/journal?from=2026-02-01&to=2026-01-01")
    check(driver.find_elements(By.ID, "to-error"), "a range that ends before it starts is said beside the end date")

    driver.get(f"{BASE}/trial-balance?asOf=2025-12-31")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "the trial balance of 2025-12-31 balances")
    foot = driver.find_elements(By.CSS_SELECTOR, "tfoot td")
    check(len(foot) == 2 and foot[0].text == foot[1].text, f"its debit and credit totals are equal: {[f.text for f in foot]}")
    both_languages(driver, "trial-balance")
    walk(driver, "/trial-balance", "form.filters", "asOf", ["2025-02-30", HOSTILE])

    driver.get(f"{BASE}/accounts/fund:cash?from=2025-01-01&to=2026-12-31")
    rows = driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    balances = [r.find_elements(By.TAG_NAME, "td")[-1].text for r in rows]
    closing = driver.find_elements(By.CSS_SELECTOR, "dl.facts dd.num")
    check(rows and closing and balances[-1] == closing[-1].text,
          f"the ledger's running balance ends at the closing balance: {balances[-1:]} / {[c.text for c in closing]}")
    both_languages(driver, "ledger")

    driver.get(f"{BASE}/fund-statement?year=2025")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.ok"), "the 2025 fund statement ties to its cash")
    text = driver.find_element(By.TAG_NAME, "main").text
    check("中央财政" in text and "河北省" in text, "the 2025 receipts include the central government and Hebei")
    both_languages(driver, "fund-statement")
    receivables_audit(driver)

    # A contribution's entry, then its event's proof, checked in the page.
    driver.get(f"{BASE}/contributions?contributor=beijing")
    driver.find_element(By.CSS_SELECTOR, "tbody tr td a[href^='/contributions/']").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.events a[href^='/audit/events/']"))
    check(driver.find_elements(By.CSS_SELECTOR, "caption"), "the contribution's journal entry is shown")
    proof = driver.find_element(By.CSS_SELECTOR, "ul.events a[href^='/audit/events/']")
    page = driver.find_element(By.TAG_NAME, "html")
    proof.click()
    WebDriverWait(driver, 15).until(replaced(page))
    verdict, words = wait_verdict(driver)
    check("verified" in verdict and "已验证" in words, f"the page verifies the event's inclusion proof itself: {words}")
    steps = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#verify-steps li")]
    check(len(steps) == 4 and all(s.startswith("✓") for s in steps), f"every step is shown and passes: {steps}")
    both_languages(driver, "audit-event")
    verdict, _ = wait_verdict(driver)
    check("verified" in verdict, "the English page verifies too")
    key = driver.find_element(By.ID, "published-key")
    published = key.get_attribute("value")
    key.clear()
    key.send_keys("A" * 43 + "=")
    driver.find_element(By.ID, "verify-button").click()
    time.sleep(0.5)
    verdict, words = wait_verdict(driver)
    check("failed" in verdict and "密钥" in words, f"against another key the page says the key is not the signer's: {words}")
    shoot(driver, "audit-event-wrong-key.zh")
    key.clear()
    key.send_keys(published)
    driver.execute_script("""
        const s = document.getElementById('verify');
        s.dataset.canonical = s.dataset.canonical.replace(/[0-9]/, d => String((Number(d) + 1) % 10));""")
    driver.find_element(By.ID, "verify-button").click()
    time.sleep(0.5)
    verdict, words = wait_verdict(driver)
    check("failed" in verdict and "叶子" in words or "failed" in verdict and "哈希" in words,
          f"an event changed by one digit fails at its leaf hash: {words}")
    shoot(driver, "audit-event-altered.zh")

    driver.get(f"{BASE}/audit")
    check(driver.find_elements(By.CSS_SELECTOR, "tbody tr"), "the event log lists events beside the checkpoint")
    both_languages(driver, "audit-log")

    # The export, downloaded in the browser and verified offline.
    downloads = os.environ.get("DOWNLOADS", os.path.join(SHOTS, "downloads"))
    os.makedirs(downloads, exist_ok=True)
    for old in glob.glob(os.path.join(downloads, "*")):
        os.remove(old)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.get(f"{BASE}/audit/export")
    both_languages(driver, "audit-export")
    walk(driver, "/audit/export", "form.filters", "to", ["2025-02-30", HOSTILE])
    driver.get(f"{BASE}/audit/export")
    set_value(driver, "from", "2025-01-01")
    set_value(driver, "to", "2026-12-31")
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    archive = None
    for _ in range(120):
        done = [f for f in glob.glob(os.path.join(downloads, "*.zip"))]
        if done and not glob.glob(os.path.join(downloads, "*.crdownload")):
            archive = done[0]
            break
        time.sleep(0.5)
    check(archive is not None, f"the export downloads in the browser: {archive}")
    binary = os.environ.get("ECOFUND_BIN")
    if archive and binary:
        passed = subprocess.run([binary, "verify", archive, "--public-key", published], capture_output=True, text=True)
        check(passed.returncode == 0, f"ecofund verify passes the downloaded export: {passed.stdout.strip()[-200:]}")
        edited = archive.replace(".zip", "-edited.zip")
        with zipfile.ZipFile(archive) as source, zipfile.ZipFile(edited, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "contributions.csv":
                    text = data.decode("utf-8-sig").split("\r\n")
                    # One digit of the first row's amount, as a careless or dishonest hand would.
                    text[1] = re.sub(r",(\d)", lambda m: "," + str((int(m.group(1)) + 1) % 10), text[1], count=1)
                    data = ("\ufeff" + "\r\n".join(text)).encode("utf-8")
                target.writestr(item.filename, data)
        failed = subprocess.run([binary, "verify", edited, "--public-key", published], capture_output=True, text=True)
        check(failed.returncode == 1, f"the same export with one CSV cell edited fails: {failed.stdout.strip()[-300:]}")
        spreadsheet_check(archive)
        report_check(driver, archive)
    sign_out(driver)
    assessor_journey(driver)


def grid_cell(driver, jurisdiction, indicator):
    return driver.find_element(By.ID, f"v-{jurisdiction}-{indicator}")


def save_row(driver, jurisdiction):
    click(driver, f"#score-{jurisdiction} button[type=submit]")


def assessor_journey(driver):
    """The assessment office: the demo's finalized 2025 period reopened with a reason (listing the run it marks), the
    grid's wrong cells each said in their cell, a save refused because someone else saved meanwhile (their values
    shown beside the assessor's kept ones) and redone, the history with the changes marked, finalized again."""
    activate(driver, "xu.assessor")
    sign_in(driver, "xu.assessor")
    check(path(driver) == "/", "the assessor signs in with a password alone")
    driver.get(f"{BASE}/assessment")
    check(driver.find_elements(By.CSS_SELECTOR, "a[href='/assessment/2025']"), "the periods list the demo's 2025")
    both_languages(driver, "assessment-periods")
    driver.get(f"{BASE}/assessment/2025")
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.ranking rect")
    check(len(bars) >= 10, f"the ranking is drawn as bars, Hebei's cities among them ({len(bars)})")
    check(not driver.find_elements(By.CSS_SELECTOR, "table.grid input"), "a finalized period's grid cannot be edited")
    marked = driver.find_elements(By.CSS_SELECTOR, "form[action$='/reopen'] li a[href^='/runs/']")
    check(marked, f"reopening lists the runs it will mark ({len(marked)})")
    both_languages(driver, "assessment-period-finalized")
    click(driver, "form[action$='/reopen'] button[type=submit]")
    check(driver.find_elements(By.ID, "reason-error"), "a reopening without a reason is refused beside the field")
    fill(driver, "reason", "承德市 PM2.5 数据经统计局复核")
    click(driver, "form[action$='/reopen'] button[type=submit]")
    check(driver.find_elements(By.CSS_SELECTOR, "table.grid input"), "the reopened period's grid can be edited")

    # Two wrong cells, each said in its own cell, the typed values kept.
    grid_cell(driver, "chengde", "pm25").clear()
    grid_cell(driver, "chengde", "pm25").send_keys("abc")
    grid_cell(driver, "chengde", "goodAirDays").clear()
    fill(driver, "reason-chengde", "复核")
    save_row(driver, "chengde")
    errors = driver.find_elements(By.CSS_SELECTOR, "#row-chengde .field-error")
    check(len(errors) == 2 and all(re.search(r"[\u4e00-\u9fff]", e.text) for e in errors),
          f"both wrong cells are said in their cells, in Chinese: {[e.text for e in errors]}")
    check(grid_cell(driver, "chengde", "pm25").get_attribute("value") == "abc", "the typed value is kept")
    shoot(driver, "assessment-grid-errors.zh")

    # Someone else saves Chengde while this page is open: the save is refused with their values shown.
    driver.get(f"{BASE}/assessment/2025")
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.get(f"{BASE}/assessment/2025")
    grid_cell(driver, "chengde", "pm25").clear()
    grid_cell(driver, "chengde", "pm25").send_keys("26")
    fill(driver, "reason-chengde", "统计局复核值")
    save_row(driver, "chengde")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info"), "the other save goes through")
    driver.close()
    driver.switch_to.window(first)
    grid_cell(driver, "chengde", "pm25").clear()
    grid_cell(driver, "chengde", "pm25").send_keys("28")
    fill(driver, "reason-chengde", "我的复核值")
    save_row(driver, "chengde")
    check(driver.find_elements(By.CSS_SELECTOR, "tr.conflict .notice.warn"), "the conflicting save is refused in words")
    theirs = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#row-chengde .theirs")]
    check(any("26" in t for t in theirs), f"their value is shown beside the cell: {theirs[:3]}")
    check(grid_cell(driver, "chengde", "pm25").get_attribute("value") == "28", "the assessor's own value is kept")
    both_languages(driver, "assessment-conflict")
    driver.get(f"{BASE}/assessment/2025")
    grid_cell(driver, "chengde", "pm25").clear()
    grid_cell(driver, "chengde", "pm25").send_keys("28")
    fill(driver, "reason-chengde", "核对后采用我的复核值")
    save_row(driver, "chengde")
    check(driver.find_elements(By.CSS_SELECTOR, ".notice.info") and not driver.find_elements(By.CSS_SELECTOR, ".conflict"),
          "redone against the current revision, the save goes through")

    driver.get(f"{BASE}/assessment/2025/scores/chengde/history")
    changed = driver.find_elements(By.CSS_SELECTOR, "td.changed")
    check(changed and any("28" in c.text for c in changed), f"the history marks what each revision changed ({len(changed)})")
    both_languages(driver, "score-history")
    driver.get(f"{BASE}/assessment/2025")
    click(driver, "form[action$='/finalize'] button[type=submit]")
    check(not driver.find_elements(By.CSS_SELECTOR, "table.grid input"), "finalized again, the grid is read-only")
    walk(driver, "/assessment/2025", "form[action$='/reopen']", "reason", ["", "x" * 501, "a\u0007b"])
    scheme_and_period_setup(driver)


def scheme_and_period_setup(driver):
    """The assessor publishes the scheme's next version from the indicator table (a wrong cell said in it, weights
    that do not add up to 1 refused) and opens the 2026 period under it (a code already used said beside the code)."""
    driver.get(f"{BASE}/assessment")
    click(driver, "a[href='/schemes/new']")
    check(driver.find_element(By.ID, "i0-code").get_attribute("value"), "the table starts from the latest version")
    weight = driver.find_element(By.ID, "i0-weight").get_attribute("value")
    fill(driver, "i0-weight", "abc")
    submit(driver)
    check(driver.find_elements(By.ID, "i0-weight-error"), "a weight that is not a number is said in its cell")
    fill(driver, "i0-weight", "0.50")
    submit(driver)
    said = driver.find_elements(By.CSS_SELECTOR, ".field-error, .notice.error")
    check(said and path(driver) == "/schemes", f"weights that do not add up to 1 are refused: {[e.text for e in said][:2]}")
    shoot(driver, "scheme-new-error.zh")
    fill(driver, "i0-weight", weight)
    submit(driver)
    check(path(driver) == "/periods/new" and driver.find_elements(By.CSS_SELECTOR, ".notice.ok"),
          "the scheme's next version is published")
    driver.get(f"{BASE}/schemes/jjj-green")
    check(len(driver.find_elements(By.CSS_SELECTOR, "nav.tabs a")) == 2 and len(driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == 7,
          "the scheme's page shows its two versions and the seven indicators")
    both_languages(driver, "scheme")
    driver.get(f"{BASE}/periods/new?scheme=jjj-green&created=2")
    both_languages(driver, "period-new")
    fill(driver, "code", "2025")
    submit(driver)
    check(driver.find_elements(By.ID, "code-error"), "a period code already used is said beside the code")
    fill(driver, "code", "2026")
    submit(driver)
    check(path(driver) == "/assessment/2026" and driver.find_elements(By.CSS_SELECTOR, "table.grid input"),
          "the 2026 period opens with its grid ready for scores")
    monitoring_journey(driver)


def report_check(driver, archive):
    """report.html of the downloaded export, in Chinese: laid out as an A4 page prints it (794 px at 96 dpi, print
    media), no table is wider than the page's text, no Chinese place name is broken; then printed to PDF by Chromium
    (kept beside the screenshots as report.zh.pdf, and as PNG pages when pdftoppm is there)."""
    import base64
    work = os.path.join(os.path.dirname(archive), "report")
    os.makedirs(work, exist_ok=True)
    with zipfile.ZipFile(archive) as source:
        source.extract("report.html", work)
    page = os.path.join(work, "report.html")
    text = open(page, encoding="utf-8").read()
    check('lang="zh-CN"' in text and "河北省合计" in text and "基金收支表" in text,
          "report.html is in Chinese, with Hebei's cities subtotalled under Hebei")
    check("PBOC-20251220-100" in text and "BOC-2025-0315-001" in text,
          "report.html lists contributions and payments with their bank references")
    check("21,893,000" in text and "21893000.00" not in text, "populations are whole people (北京市 21,893,000)")
    handle = driver.current_window_handle
    driver.switch_to.new_window("tab")
    driver.set_window_size(794, 1123)
    driver.get("file://" + page)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    overflow = driver.execute_script("""
        const body = document.body.getBoundingClientRect();
        return Array.from(document.querySelectorAll('table, svg')).filter(t => t.getBoundingClientRect().right > body.right + 1)
            .map(t => (t.previousElementSibling || {}).textContent || t.tagName);""")
    check(not overflow, f"no table or chart is wider than an A4 page's text: {overflow}")
    broken = driver.execute_script("""
        return Array.from(document.querySelectorAll('td.name')).filter(td => td.getClientRects().length > 0
            && td.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(td).lineHeight)).map(td => td.textContent);""")
    check(not broken, f"no place name is broken across lines: {broken}")
    pdf = driver.execute_cdp_cmd("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "preferCSSPageSize": True})
    out = os.path.join(SHOTS, "report.zh.pdf")
    with open(out, "wb") as file:
        file.write(base64.b64decode(pdf["data"]))
    check(os.path.getsize(out) > 10_000, f"Chromium prints report.html to PDF ({os.path.getsize(out)} bytes)")
    if subprocess.run(["which", "pdftoppm"], capture_output=True).returncode == 0:
        subprocess.run(["pdftoppm", "-r", "70", "-png", out, os.path.join(SHOTS, "report.zh.page")], check=False)
    driver.close()
    driver.switch_to.window(handle)
    driver.set_window_size(1280, 1000)


def spreadsheet_check(archive):
    """Opens the export's contributions.csv in LibreOffice as Excel on a Chinese desktop would (UTF-8, as its byte
    order mark says; headless LibreOffice does not sniff it, so the import options name it) and reads the cells back:
    the formula-like references are text, never formulas; amounts are numbers; Chinese names intact."""
    import openpyxl
    work = os.path.join(os.path.dirname(archive), "spreadsheet")
    os.makedirs(work, exist_ok=True)
    with zipfile.ZipFile(archive) as source:
        source.extract("contributions.csv", work)
    converted = subprocess.run(
        ["soffice", "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", work,
         os.path.join(work, "contributions.csv")], capture_output=True, text=True, timeout=120)
    check(converted.returncode == 0, f"LibreOffice converts contributions.csv: {converted.stderr.strip()[-200:]}")
    sheet = openpyxl.load_workbook(os.path.join(work, "contributions.xlsx")).active
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    reference, amount, name = header.index("reference"), header.index("amount"), header.index("contributor_name")
    cells = {row[reference].value: row for row in rows[1:]}
    for formula in FORMULAS:
        cell = cells.get("'" + formula)
        check(cell is not None and cell[reference].data_type == "s",
              f"the reference {formula!r} opens as the text {(cell[reference].value if cell else None)!r}, not a formula")
    check(not any(c.data_type == "f" for row in rows for c in row), "no cell of the file opens as a formula")
    check(all(isinstance(row[amount].value, (int, float)) for row in rows[1:]), "every amount opens as a number")
    check(any(row[name].value == "北京市" for row in rows[1:]), "Chinese names open intact (北京市)")


def main():
    driver = browser()
    try:
        # The first admin: activation, then sign-in, which asks to set up a second factor (QR code and key).
        driver.get(f"{BASE}/")
        check(driver.current_url.endswith("/sign-in"), "an unknown visitor is sent to sign in")
        check(driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN", "the console speaks Chinese first")
        shoot(driver, "sign-in.zh")
        language(driver, "en")
        check("Sign in" in driver.find_element(By.TAG_NAME, "h1").text, "the language switch gives English")
        shoot(driver, "sign-in.en")
        language(driver, "zh")

        driver.get(f"{BASE}/activate")
        fill(driver, "activationCode", CODES["wang.admin"])
        fill(driver, "password", "short")
        fill(driver, "confirmation", "short")
        submit(driver)
        error = driver.find_elements(By.ID, "password-error")
        check(error and "12" in error[0].text, "a short password is refused beside its field, in Chinese")
        check(driver.find_element(By.ID, "activationCode").get_attribute("value") == CODES["wang.admin"],
              "the activation code typed is kept")
        shoot(driver, "activate-error.zh")
        # The forms before sign-in, walked too: an unknown login name is no fault, a code that is not one is said
        # beside the code.
        walk(driver, "/sign-in", "form[action='/sign-in']", "subject", ["", HOSTILE, "x" * 300], error=False)
        walk(driver, "/activate", "form[action='/activate']", "activationCode", ["", HOSTILE, "x" * 300],
             valid={"password": PASSWORD, "confirmation": PASSWORD})
        activate(driver, "wang.admin")

        sign_in(driver, "wang.admin")
        check(driver.current_url.endswith("/sign-in/setup"), "an admin sets up a second factor at first sign-in")
        check(driver.find_elements(By.CSS_SELECTOR, "figure.qr svg"), "the QR code is drawn as SVG")
        key = driver.find_element(By.ID, "secret").text.replace(" ", "")
        shoot(driver, "sign-in-setup.zh")
        fill(driver, "code", "000000" if pyotp.TOTP(key).now() != "000000" else "111111")
        submit(driver)
        check(driver.find_elements(By.ID, "code-error"), "a wrong code is refused beside its field")
        fill(driver, "code", pyotp.TOTP(key).now())
        submit(driver)
        check(urllib.parse.urlparse(driver.current_url).path == "/", "with the right code the admin reaches the dashboard")
        figures = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".figure-value")]
        check(figures and all(f.startswith("¥") for f in figures), f"the dashboard shows amounts in yuan: {figures}")
        shoot(driver, "dashboard.zh")
        language(driver, "en")
        shoot(driver, "dashboard.en")
        language(driver, "zh")

        # The admin asks for a Beijing finance official: it waits for a second admin.
        driver.get(f"{BASE}/people")
        fill(driver, "subject", "bad name!")
        submit(driver)
        check(driver.find_elements(By.ID, "subject-error"), "a login name with a space is refused beside the field")
        fill(driver, "subject", "liu.beijing")
        driver.find_element(By.CSS_SELECTOR, "#role option[value=finance]").click()
        driver.find_element(By.CSS_SELECTOR, "#jurisdiction option[value=beijing]").click()
        submit(driver)
        check("liu.beijing" in driver.find_element(By.CSS_SELECTOR, ".notice.ok").text,
              "a finance official is asked for and waits for a second admin")
        fill(driver, "subject", "qian.approver")
        driver.find_element(By.CSS_SELECTOR, "#role option[value=approver]").click()
        driver.find_element(By.CSS_SELECTOR, "#jurisdiction option[value='']").click()
        submit(driver)
        check("qian.approver" in driver.find_element(By.CSS_SELECTOR, ".notice.ok").text,
              "an approver is asked for and waits for a second admin too")
        both_languages(driver, "people")
        driver.get(f"{BASE}/access-requests")
        check(driver.find_elements(By.CSS_SELECTOR, ".notice.info"), "the asking admin is told someone else decides")
        shoot(driver, "access-requests-own.zh")

        # A POST without the session's form token is refused.
        driver.execute_script("""
            const f = document.createElement('form'); f.method = 'post'; f.action = '/people';
            const i = document.createElement('input'); i.name = 'subject'; i.value = 'sneaky'; f.appendChild(i);
            document.body.appendChild(f); f.submit();""")
        time.sleep(0.5)
        check("表单已过期" in driver.page_source, "a form without the session's token is refused (403 page)")

        # Sign out; the old session is no longer accepted.
        driver.get(f"{BASE}/")
        old = driver.get_cookie("ecofund_session")["value"]
        sign_out(driver)
        check(driver.current_url.endswith("/sign-in"), "sign-out returns to the sign-in page")
        driver.add_cookie({"name": "ecofund_session", "value": old, "path": "/"})
        driver.get(f"{BASE}/")
        check(driver.current_url.endswith("/sign-in"), "the session used after sign-out is refused")

        # The second admin approves, with the keyboard only, and sees the activation code once.
        activate(driver, "zhao.admin")
        driver.get(f"{BASE}/sign-in")
        subject = driver.find_element(By.ID, "subject")
        page = driver.find_element(By.TAG_NAME, "html")
        subject.send_keys("zhao.admin", Keys.TAB, PASSWORD, Keys.ENTER)
        WebDriverWait(driver, 15).until(replaced(page))
        key = driver.find_element(By.ID, "secret").text.replace(" ", "")
        code = driver.find_element(By.ID, "code")
        page = driver.find_element(By.TAG_NAME, "html")
        KEYS["zhao.admin"] = key
        code.send_keys(pyotp.TOTP(key).now(), Keys.ENTER)
        WebDriverWait(driver, 15).until(replaced(page))
        check(urllib.parse.urlparse(driver.current_url).path == "/", "the second admin signs in by keyboard alone")
        driver.get(f"{BASE}/access-requests")
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "article.request h2")]
        check(headings and not any(h.rstrip().endswith("·") for h in headings),
              f"a request without a place shows no dangling separator: {headings}")
        shoot(driver, "access-requests.zh")
        button = driver.find_element(By.CSS_SELECTOR, "form[action$='/approve'] button")
        page = driver.find_element(By.TAG_NAME, "html")
        button.send_keys(Keys.ENTER)
        WebDriverWait(driver, 15).until(replaced(page))
        notice = driver.find_element(By.CSS_SELECTOR, ".notice.ok").text
        check("liu.beijing" in notice and driver.find_elements(By.ID, "activation-code"),
              "approving shows the new person's activation code once")
        CODES["liu.beijing"] = driver.find_element(By.ID, "activation-code").text
        shoot(driver, "access-request-approved.zh")
        click(driver, "form[action$='/approve'] button")
        check("qian.approver" in driver.find_element(By.CSS_SELECTOR, ".notice.ok").text,
              "the second admin approves the approver as well")
        CODES["qian.approver"] = driver.find_element(By.ID, "activation-code").text
        sign_out(driver)

        # The finance official: activation, sign-in without a second factor, a contribution with a bad amount kept
        # beside its field, then a double-clicked submit that records once.
        activate(driver, "liu.beijing")
        sign_in(driver, "liu.beijing")
        check(urllib.parse.urlparse(driver.current_url).path == "/", "a finance official signs in with a password alone")
        driver.get(f"{BASE}/contributions/new")
        shoot(driver, "contribution-new.zh")
        fill(driver, "amount", "12,34")
        fill(driver, "reference", "BJ-2026-TEST-001")
        submit(driver)
        check(driver.find_elements(By.ID, "amount-error"), "a malformed amount is refused beside its field")
        check(driver.find_element(By.ID, "reference").get_attribute("value") == "BJ-2026-TEST-001", "the input is kept")
        shoot(driver, "contribution-error.zh")
        language(driver, "en")
        driver.get(f"{BASE}/contributions/new")
        fill(driver, "amount", "")
        submit(driver)
        shoot(driver, "contribution-error.en")
        language(driver, "zh")
        driver.get(f"{BASE}/contributions/new")
        fill(driver, "amount", "1234567.89")
        fill(driver, "reference", "BJ-2026-TEST-002")
        driver.execute_script("""
            const b = document.querySelector('main form button[type=submit]');
            b.click(); b.click();""")
        time.sleep(1.5)
        driver.get(f"{BASE}/contributions?contributor=beijing")
        rows = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "tbody tr") if "BJ-2026-TEST-002" in r.text]
        check(len(rows) == 1 and "¥1,234,567.89" in rows[0], f"a double-clicked submit records once: {rows}")
        check(not driver.find_elements(By.CSS_SELECTOR, ".field.invalid, .notice.error"),
              "a list with a good filter marks no field as wrong")
        # References a spreadsheet would run as formulas: recorded as typed (the export neutralises them).
        for reference in FORMULAS:
            driver.get(f"{BASE}/contributions/new")
            fill(driver, "amount", "10.00")
            fill(driver, "reference", reference)
            submit(driver)
            facts = driver.find_elements(By.CSS_SELECTOR, "dl.facts dd")
            check(any(f.text == reference for f in facts), f"the reference {reference!r} is recorded as typed")
        shoot(driver, "contributions.zh")
        language(driver, "en")
        shoot(driver, "contributions.en")
        language(driver, "zh")
        finance_journey(driver)
        approver_journey(driver)

        # Five wrong passwords lock the account.
        sign_out(driver)
        for _ in range(5):
            driver.get(f"{BASE}/sign-in")
            fill(driver, "subject", "liu.beijing")
            fill(driver, "password", "wrong password 123")
            submit(driver)
        sign_in(driver, "liu.beijing")
        check(driver.find_elements(By.CSS_SELECTOR, ".notice.error") and "锁定" in driver.page_source,
              "after five failures even the right password is refused: the account is locked")
        both_languages(driver, "sign-in-locked")
        deactivation_journey(driver)
        auditor_journey(driver)
    finally:
        driver.quit()
    if failures:
        print(f"{len(failures)} browser check(s) failed", file=sys.stderr)
        sys.exit(1)
    print("browser journeys passed")


if __name__ == "__main__":
    main()
