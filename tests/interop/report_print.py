#!/usr/bin/env python3
"""Prints a chainstat report as a person would, in headless Chromium, on A4 portrait and
landscape, and checks that no table is cut: every table must fit the printable width
(page width minus the report's 12 mm margins), measured in the DOM with print styles on.
Writes report-<orientation>.pdf and report-<orientation>.png into OUT_DIR.

Usage: report_print.py REPORT_HTML OUT_DIR
Run by tests/it/interop.rs with the interpreter scripts/test-env.sh installs (playwright,
driving the system's Chromium: CHAINSTAT_CHROMIUM, else /usr/bin/chromium).
"""

import os
import pathlib
import sys

from playwright.sync_api import sync_playwright

MM = 96 / 25.4  # CSS pixels per millimetre
MARGIN_MM = 12  # @page margin in the report's print style
PAGES = {"portrait": (210, 297), "landscape": (297, 210)}


def main():
    report, out = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CHAINSTAT_CHROMIUM", "/usr/bin/chromium")
    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, (width_mm, height_mm) in PAGES.items():
            printable = round((width_mm - 2 * MARGIN_MM) * MM)
            page = browser.new_page(viewport={"width": printable, "height": round(height_mm * MM)})
            page.goto(report.as_uri())
            page.emulate_media(media="print")
            tables = page.evaluate(
                """() => [...document.querySelectorAll('table')].map(t => ({
                       caption: (t.closest('section')?.querySelector('h2')?.textContent || '?'),
                       width: Math.ceil(t.getBoundingClientRect().width),
                       scroll: t.scrollWidth,
                       right: Math.ceil(t.getBoundingClientRect().right)}))"""
            )
            if not tables:
                problems.append(f"{name}: no table in the report")
            for t in tables:
                widest = max(t["width"], t["scroll"], t["right"])
                if widest > printable:
                    problems.append(
                        f"{name}: table '{t['caption']}' is {widest} px wide, the page {printable} px"
                    )
            page.pdf(path=str(out / f"report-{name}.pdf"), format="A4",
                     landscape=(name == "landscape"), print_background=True)
            page.screenshot(path=str(out / f"report-{name}.png"), full_page=True)
            print(f"{name}: {len(tables)} tables, printable width {printable} px")
            page.close()
        browser.close()
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    print("report print: no table cut")
    return 0


if __name__ == "__main__":
    sys.exit(main())
