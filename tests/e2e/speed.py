"""Measuring a page as a phone-sized tablet on a slow processor meets it: layout shifts (CLS)
and long tasks on the main thread, read in Chromium itself (PerformanceObserver), with the
processor slowed four times as Lighthouse's mobile settings do (CDP
``Emulation.setCPUThrottlingRate``) at Lighthouse's phone size, 412 x 823.

Used by the layout-shift browser test and by ``bench/page_speed.py``."""

from __future__ import annotations

PHONE = (412, 823)
CPU_SLOWDOWN = 4

# Installed before any of the page's own scripts: every shift and long task from the start.
OBSERVE = """
window.__speed = {shifts: [], longTasks: []};
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.__speed.shifts.push({
      value: entry.value, at: entry.startTime,
      sources: (entry.sources || []).map((s) => s.node ? (s.node.className || s.node.nodeName) : "")
    });
  }
}).observe({type: "layout-shift", buffered: true});
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__speed.longTasks.push({duration: entry.duration, at: entry.startTime});
  }
}).observe({type: "longtask", buffered: true});
"""


def phone_context(browser, base_url: str, network: bool = False):
    """A new browser context the size of a phone, whose pages run on a slowed processor (and,
    with ``network``, on Lighthouse's slow 4G: 150 ms round trip, 1.6 Mbit/s down)."""
    context = browser.new_context(base_url=base_url, has_touch=True, is_mobile=True,
                                  device_scale_factor=1.75,
                                  viewport={"width": PHONE[0], "height": PHONE[1]})
    context.add_init_script(OBSERVE)
    context.on("page", lambda page: slow_down(context, page, network))
    return context


def slow_down(context, page, network: bool = False) -> None:
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    if network:
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8,
            "uploadThroughput": 750_000 / 8})


def measure(page, path: str, settle_ms: int = 1500) -> dict:
    """Load ``path`` and wait until it has settled; its CLS (the largest session window of
    shifts, as Chrome reports it), its long tasks and their total blocking time (the part of
    each task over 50 ms)."""
    page.goto(path, wait_until="load")
    page.wait_for_timeout(settle_ms)
    speed = page.evaluate("window.__speed")
    return {"path": path, "cls": round(cumulative_layout_shift(speed["shifts"]), 4),
            "long_tasks_ms": [round(task["duration"]) for task in speed["longTasks"]],
            "blocking_ms": round(sum(max(0, task["duration"] - 50)
                                     for task in speed["longTasks"])),
            "shifted": sorted({source for shift in speed["shifts"]
                               for source in shift["sources"] if source})[:5]}


def cumulative_layout_shift(shifts: list[dict]) -> float:
    """The largest session window: shifts less than 1 s apart, over at most 5 s."""
    best = current = 0.0
    start = last = None
    for shift in sorted(shifts, key=lambda s: s["at"]):
        if start is None or shift["at"] - last > 1000 or shift["at"] - start > 5000:
            start, current = shift["at"], 0.0
        current += shift["value"]
        last = shift["at"]
        best = max(best, current)
    return best
