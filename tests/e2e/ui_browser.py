#!/usr/bin/python3
"""The dashboard (GET /ui) in a real browser: headless Chromium driven by Selenium, run in the lab's
controller namespace by ui_test.sh, against a lab with a cluster token.

  ui_browser.py IPAM_URL TOKEN_FILE SHOT_DIR     (LAB: the lab command; P: its prefix)

It checks what the page shows against the IPAM's own answers, asks for the token once and never
puts it in a URL, follows creates and removals made after the page loaded (each must show within
2 s, without a reload), says so when the IPAM is lost and recovers by itself, and logs nothing to
the console but the refusals it was meant to meet. Prints one "ok"/"FAIL" line per check and
"N passed, M failed" last; screenshots go to SHOT_DIR.
"""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

IPAM, TOKEN_FILE, SHOTS = sys.argv[1:4]
TOKEN = open(TOKEN_FILE).read().strip()
LAB = [os.environ["LAB"], "--prefix", os.environ["P"]]
passed = failed = 0


def report(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok   - " + what, flush=True)
    else:
        failed += 1
        print("FAIL - " + what + (": " + detail if detail else ""), flush=True)
    return ok


def lab(*args):
    return subprocess.run(LAB + list(args), capture_output=True, text=True, timeout=180)


def api(path):
    request = urllib.request.Request(IPAM + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def wait_for(condition, seconds):
    """How long condition() took to hold, or None when it did not within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if condition():
                return time.monotonic() - start
        except Exception:  # the page is redrawing under us: look again
            pass
        time.sleep(0.05)
    return None


def rows(table):
    """A table's rows by their key, each as its cells' text, read in one round trip."""
    return driver.execute_script("""
        const [table, key] = arguments;
        return Object.fromEntries([...document.querySelectorAll(`#${table} tbody tr[data-${key}]`)]
            .map((row) => [row.dataset[key], [...row.cells].map((cell) => cell.textContent)]));""", *table)


# The page's own clock of when each container's row came and went, so that a latency is measured
# where it happens and not at the pace this script can poll the browser.
WATCH_ROWS = """
    window.rowSeen = {}; window.rowGone = {};
    let shown = new Set();
    new MutationObserver(() => {
      const now = new Set([...document.querySelectorAll("#containers tbody tr[data-name]")].map((r) => r.dataset.name));
      for (const name of now) if (!shown.has(name)) window.rowSeen[name] = Date.now();
      for (const name of shown) if (!now.has(name)) window.rowGone[name] = Date.now();
      shown = now;
    }).observe(document.querySelector("#containers tbody"), {childList: true, subtree: true});"""


def row_latency(kind, name, since_ms, seconds=10):
    """Seconds from since_ms (the wall clock, as the page's) to the row's coming or going, or None."""
    if wait_for(lambda: driver.execute_script("return window[arguments[0]][arguments[1]] !== undefined;", kind, name),
                seconds) is None:
        return None
    return (driver.execute_script("return window[arguments[0]][arguments[1]];", kind, name) - since_ms) / 1000


def full_page_shot(path):
    """The whole page, not only what the window shows (Chromium's DevTools protocol)."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    with open(path, "wb") as out:
        out.write(base64.b64decode(shot["data"]))


HOSTS, NETWORKS, CONTAINERS = ("hosts", "host"), ("networks", "network"), ("containers", "name")


def status():
    return driver.find_element(By.ID, "status").get_attribute("data-state")


# The profile holds the tab's session storage, the token in it: it goes when the browser does.
PROFILE = tempfile.mkdtemp(prefix="ui-chromium-")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1100", "--user-data-dir=" + PROFILE):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


console = []


def drain_console():
    """The console's errors since the last call: SEVERE entries, each as (source, message)."""
    entries = [(e.get("source", ""), e["message"]) for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    console.extend(entries)
    return entries


def only_refusals(entries, *statuses):
    """Entries that are not the network's report of a refusal the test caused on purpose."""
    expected = ["status of %d" % code for code in statuses if isinstance(code, int)] + \
               [text for text in statuses if isinstance(text, str)]
    return [e for e in entries if not (e[0] == "network" and any(x in e[1] for x in expected))]


def requests_of(path):
    """The page's requests of `path` (with or without a query) so far, by the browser's own count."""
    return driver.execute_script("""
        return performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname)
            .filter((p) => p === arguments[0]).length;""", path)


def dialog_shown():
    return driver.find_element(By.ID, "token-dialog").is_displayed()


def give_token(token):
    box = driver.find_element(By.ID, "token-input")
    box.send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "#token-form button").click()


# SIGTERM (ctest's timeout, the shell's trap) still quits the browser and removes its profile.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
driver = browser()
try:
    # ---- the token: asked once, never in a URL
    driver.get(IPAM + "/ui")
    driver.execute_script("performance.setResourceTimingBufferSize(100000);")  # 250 by default: counts would stall
    report(wait_for(lambda: status() == "token", 10) is not None, "without a token the page asks for it",
           "status " + status())
    report(dialog_shown(), "the token dialog is shown")
    report(driver.find_element(By.ID, "token-input").get_attribute("type") == "password",
           "the token is typed into a password field")
    driver.find_element(By.ID, "token-input").send_keys(Keys.ESCAPE)
    time.sleep(0.3)
    report(dialog_shown() and status() == "token", "Esc does not leave the page stuck without its question")
    give_token("not-" + TOKEN)
    report(wait_for(lambda: dialog_shown() and "does not match" in driver.find_element(By.ID, "token-why").text, 10)
           is not None, "a wrong token is asked for again, saying why")
    give_token(TOKEN)
    report(wait_for(lambda: status() == "live", 10) is not None, "with the token the page follows the feed",
           "status " + status())
    stray = only_refusals(drain_console(), 401)
    report(not stray, "the only console errors so far are the 401s that asked for the token", repr(stray))

    # ---- what it shows agrees with the IPAM
    hosts, networks = api("/hosts"), api("/networks")
    endpoints = [e for e in api("/peers")["endpoints"] if not e["container_name"].startswith("vxlan-gateway")]

    def shows_cluster():
        shown = rows(HOSTS)
        return all(shown.get(h["host_id"], [None])[:3] == [h["host_id"], "alive", h["underlay_ip"]] and
                   shown[h["host_id"]][4] == str(h["containers"]) for h in hosts) and len(shown) == len(hosts)

    report(wait_for(shows_cluster, 10) is not None, "hosts: id, alive, underlay address and containers as GET /hosts",
           repr(rows(HOSTS)) + " vs " + repr(hosts))
    report(all(rows(HOSTS)[h["host_id"]][3].endswith("s ago") for h in hosts), "hosts: the heartbeat's age",
           repr(rows(HOSTS)))

    def shows_networks():
        shown = rows(NETWORKS)
        return len(shown) == len(networks) and all(
            shown[n["name"]][:3] == [n["name"], n["subnet"], str(n["vni"])] and
            shown[n["name"]][4] == "%d / %d" % (n["allocated_ips"], n["total_ips"]) for n in networks)

    report(wait_for(shows_networks, 10) is not None, "networks: subnet, VNI and pool use as GET /networks",
           repr(rows(NETWORKS)) + " vs " + repr(networks))
    bars = driver.find_elements(By.CSS_SELECTOR, "#networks .bar > div")
    report(len(bars) == len(networks) and all(b.size["width"] > 0 for b in bars), "networks: a pool-usage bar each")

    def shows_containers():
        shown = rows(CONTAINERS)
        return len(shown) == len(endpoints) and all(
            shown[e["container_name"]] == [e["container_name"], e.get("network", "vxlan-net"), e["host_id"],
                                           e["ip_address"], e.get("mac_address", "")] for e in endpoints)

    report(len(endpoints) >= 2, "the lab holds containers to show", repr(endpoints))
    report(wait_for(shows_containers, 10) is not None, "containers: name, network, host, address and MAC",
           repr(rows(CONTAINERS)) + " vs " + repr(endpoints))
    drawn = driver.find_elements(By.CSS_SELECTOR, "#topology-picture svg g[data-host]")
    report(sorted(g.get_attribute("data-host") for g in drawn) == sorted(h["host_id"] for h in hosts),
           "the topology draws every host")
    full_page_shot(os.path.join(SHOTS, "dashboard.png"))

    # ---- the filter
    driver.find_element(By.ID, "filter").send_keys("db1")
    report(wait_for(lambda: list(rows(CONTAINERS)) == ["db1"], 5) is not None, "the filter narrows the list",
           repr(list(rows(CONTAINERS))))
    driver.find_element(By.ID, "filter").clear()
    driver.find_element(By.ID, "filter").send_keys(" ")  # an input event, as typing gives
    report(wait_for(lambda: len(rows(CONTAINERS)) == len(endpoints), 5) is not None, "and clearing it lists all again")

    # ---- it watches the feed: quiet, it holds one long-poll, and never lists again
    before = requests_of("/peers")
    time.sleep(3)
    polls = requests_of("/peers") - before
    report(polls <= 1, "a quiet cluster costs at most one /peers request in 3 s (a long-poll)", "%d requests" % polls)

    # ---- live: a create and a removal made after the page loaded show without a reload
    driver.execute_script("window.loadedOnce = true;" + WATCH_ROWS)
    created = lab("vxctl", "run", "uiweb", "nginx:alpine", "--host", "host2")
    returned_ms = time.time() * 1000
    report(created.returncode == 0, "vxctl run uiweb on host2", created.stderr)
    appeared = row_latency("rowSeen", "uiweb", returned_ms)
    report(appeared is not None and appeared <= 2.0, "a container created elsewhere appears within 2 s",
           "after %s s" % appeared)
    # Negative: the row was there before vxctl returned (the name is registered before the start).
    print("#     appeared %.3f s after vxctl run returned" % (appeared if appeared is not None else float("nan")),
          flush=True)
    uiweb = api("/container/uiweb")
    report(wait_for(lambda: rows(CONTAINERS)["uiweb"] == ["uiweb", "vxlan-net", "host2", uiweb["ip_address"],
                                                         uiweb.get("mac_address", "")], 5) is not None,
           "its row shows its address and MAC", repr(rows(CONTAINERS).get("uiweb")) + " vs " + repr(uiweb))
    host2 = lambda: next(h for h in api("/hosts") if h["host_id"] == "host2")
    report(wait_for(lambda: rows(HOSTS)["host2"][4] == str(host2()["containers"]), 5) is not None,
           "host2's container count follows")
    removed = lab("vxctl", "rm", "uiweb")
    returned_ms = time.time() * 1000
    report(removed.returncode == 0, "vxctl rm uiweb", removed.stderr)
    gone = row_latency("rowGone", "uiweb", returned_ms)
    report(gone is not None and gone <= 2.0, "a removed container disappears within 2 s", "after %s s" % gone)
    print("#     disappeared %.3f s after vxctl rm returned" % (gone if gone is not None else float("nan")), flush=True)
    report(driver.execute_script("return window.loadedOnce === true;"), "without a reload")
    stray = drain_console()
    report(not stray, "no console errors while it followed the feed", repr(stray))

    # ---- the token never went into a URL
    urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    urls.append(driver.current_url)
    report(len(urls) > 3 and not any(TOKEN in u for u in urls), "the token is in no URL the page asked for",
           repr(urls[:5]))

    # ---- asked once: a reload in the same tab does not ask again
    driver.refresh()
    report(wait_for(lambda: status() == "live", 10) is not None and
           not driver.find_element(By.ID, "token-dialog").is_displayed(), "a reload does not ask for the token again")

    # ---- a lost IPAM shows as such, and the page recovers by itself
    stopped = lab("stop", "ipam")
    report(stopped.returncode == 0, "the IPAM stopped", stopped.stderr)
    lost = wait_for(lambda: status() == "lost" and driver.find_element(By.ID, "banner").is_displayed(), 15)
    report(lost is not None, "the page says the IPAM is lost", "status " + status())
    driver.save_screenshot(os.path.join(SHOTS, "dashboard-lost.png"))
    started = lab("restart", "ipam")
    report(started.returncode == 0, "the IPAM started again", started.stderr)
    back = wait_for(lambda: status() == "live" and not driver.find_element(By.ID, "banner").is_displayed(), 30)
    report(back is not None, "the page recovers by itself", "status " + status())
    created = lab("vxctl", "run", "uiback", "nginx:alpine", "--host", "host1")
    report(created.returncode == 0 and wait_for(lambda: "uiback" in rows(CONTAINERS), 5) is not None,
           "and follows the feed again", created.stderr)
    # A replica just started may answer 503 until its view has loaded; the page waits that out.
    stray = only_refusals(drain_console(), "ERR_CONNECTION_REFUSED", 503)
    report(not stray, "the only console errors of the outage are its refused connections", repr(stray))
    lab("vxctl", "rm", "uiback")
finally:
    try:
        driver.save_screenshot(os.path.join(SHOTS, "dashboard-last.png"))
    finally:
        driver.quit()
        shutil.rmtree(PROFILE, ignore_errors=True)

print("%d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
