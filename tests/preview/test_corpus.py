"""Real-world v0 projects (tests/preview/corpus/) render in Chromium with no build, page or console error.

Each project is the usual v0 export plus one class of failure v0 users met: layouts importing
@vercel/analytics and geist fonts, lucide-react 0.454's brand icons, recharts 2, react-day-picker 8, zod 3,
packages outside the pinned set (gsap, three with @react-three/fiber and drei, MUI, react-beautiful-dnd,
react-window, qrcode, @farcaster/frame-sdk, swiper with its CSS, CommonJS lodash and moment, react-markdown's ~90 ESM packages), Tailwind v3 configs and v4 themes, Google
and local fonts, next/headers and server actions. Packages come from the npm registry on first use, into the
runtime's shared package cache, so later runs only build.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus_apps import load_project, projects
from preview_apps import PreviewServer, require_registry, require_runtime

from vzero.preview import BuildResult, PreviewBuilder
from vzero.preview.screenshots import find_chromium

playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the Python package; no browser download needed)")
CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="install Debian's chromium (apt-get install chromium) to load previews in a browser")

LOADED_FONTS = "[...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family)"

# What each project shows when it works, as a JavaScript expression that is true (or says what is wrong).
CHECKS: dict[str, str] = {
    "analytics-landing": f"""(() => {{
        const fonts = {LOADED_FONTS};
        const h = document.getElementById('headline');
        if (!fonts.includes('GeistSans')) return 'Geist Sans not loaded: ' + fonts;
        if (!getComputedStyle(h).fontFamily.startsWith('GeistSans')) return getComputedStyle(h).fontFamily;
        return document.querySelectorAll('.feature-card svg').length === 3 || 'feature icons missing';
    }})()""",
    "lucide-brands": """(() => {
        const brands = ['github', 'twitter', 'linkedin', 'instagram', 'youtube', 'facebook'];
        const missing = brands.filter((b) => !document.querySelector('svg.lucide-' + b));
        return missing.length === 0 || 'missing brand icons: ' + missing;
    })()""",
    "recharts-2": "document.querySelectorAll('.recharts-area').length === 2 && document.querySelectorAll('.recharts-bar-rectangle').length === 12 || 'charts not drawn'",
    "day-picker-8": """(() => {
        const text = document.getElementById('range-text').textContent;
        if (text !== 'Jun 12, 2025 - Jun 16, 2025') return text;
        const selected = document.querySelectorAll('#range-calendar [aria-selected=true]').length;
        return selected === 5 || 'selected days: ' + selected;
    })()""",
    "zod-3-form": """(async () => {
        document.getElementById('check').click();
        await new Promise((r) => setTimeout(r, 200));
        const issues = document.getElementById('issues').textContent;
        if (!issues.includes('Please enter a valid email address.')) return 'zod 3 errors: ' + issues;
        return getComputedStyle(document.body).fontFamily.startsWith('Inter') || getComputedStyle(document.body).fontFamily;
    })()""",
    "gsap-scroll": "document.getElementById('typed').textContent === 'Studio Nord' || 'TextPlugin did not run'",
    "three-fiber": "(() => { const c = document.querySelector('#scene canvas'); return !!(c && c.width > 0) || 'no canvas'; })()",
    "mui-dashboard": """(async () => {
        document.getElementById('add-order').click();
        await new Promise((r) => setTimeout(r, 200));
        const rows = document.querySelectorAll('.order-row').length;
        const bar = getComputedStyle(document.querySelector('header')).backgroundColor;
        return (rows === 4 && bar === 'rgb(79, 70, 229)') || `rows ${rows}, app bar ${bar}`;
    })()""",
    "dnd-kanban": "document.querySelectorAll('[data-rbd-draggable-id]').length === 4 || 'draggables missing'",
    "window-list": "(() => { const n = document.querySelectorAll('.contact-row').length; return (n > 5 && n < 20) || 'rows rendered: ' + n; })()",
    "qrcode-generator": "(document.getElementById('qr')?.src || '').startsWith('data:image/png;base64,') || 'no QR code'",
    "farcaster-frame": "document.getElementById('status').textContent === 'Open in Warpcast to play with friends' || document.getElementById('status').textContent",
    "tailwind-v3": """(() => {
        const button = getComputedStyle(document.getElementById('add'));
        const card = getComputedStyle(document.getElementById('steps-card'));
        const value = getComputedStyle(document.getElementById('steps'));
        const ring = getComputedStyle(document.getElementById('ring'));
        const got = [button.backgroundColor, button.borderRadius, card.backgroundColor, value.color, ring.animationName];
        const want = ['rgb(16, 183, 127)', '12px', 'rgb(236, 253, 245)', 'rgb(6, 78, 59)', 'pulse_ring'];
        return JSON.stringify(got) === JSON.stringify(want) || 'config theme not applied: ' + JSON.stringify(got);
    })()""",
    "tailwind-v4-theme": f"""(async () => {{
        const h = document.getElementById('heading');
        const before = [getComputedStyle(h).color, getComputedStyle(h).textShadow, getComputedStyle(document.getElementById('cup')).animationName];
        if (JSON.stringify(before) !== JSON.stringify(['rgb(62, 36, 23)', 'rgba(0, 0, 0, 0.15) 0px 2px 12px', 'steam'])) return 'theme: ' + before;
        document.getElementById('toggle').click();
        await new Promise((r) => setTimeout(r, 200));
        if (!document.documentElement.classList.contains('dark')) return 'next-themes did not switch';
        if (getComputedStyle(h).color !== 'rgb(245, 235, 224)') return 'dark variant: ' + getComputedStyle(h).color;
        const fonts = {LOADED_FONTS};
        return (fonts.includes('Playfair Display') && fonts.includes('DM Sans')) || 'fonts: ' + fonts;
    }})()""",
    "google-fonts": f"""(() => {{
        const fonts = {LOADED_FONTS};
        const wanted = ['Lobster', 'Space Mono', 'Cormorant Garamond', 'Inter', 'Caveat', 'Bebas Neue'];
        const missing = wanted.filter((f) => !fonts.includes(f));
        return missing.length === 0 || 'fonts not loaded: ' + missing;
    }})()""",
    "shadcn-kitchen-sink": """(() => {
        const got = {
            accordion: !!document.getElementById('accordion-open'),
            radio: document.getElementById('radio-b').dataset.state,
            command: document.querySelectorAll('[cmdk-item]').length,
            otp: document.getElementById('otp').textContent,
            panels: document.querySelectorAll('[data-panel]').length,
            slides: document.querySelectorAll('.embla-slide').length,
        };
        return JSON.stringify(got) === JSON.stringify({ accordion: true, radio: 'checked', command: 2, otp: '12', panels: 2, slides: 3 }) || JSON.stringify(got);
    })()""",
    "sidebar-cookies": """(async () => {
        if (location.hash !== '#/dashboard') return 'redirect() did not navigate: ' + location.hash;
        const input = document.getElementById('email');
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
        setter.call(input, 'bob@example.com');
        input.dispatchEvent(new Event('input', { bubbles: true }));
        document.getElementById('invite').click();
        await new Promise((r) => setTimeout(r, 400));
        const result = document.getElementById('invite-result').textContent;
        return result === 'Invitation sent to bob@example.com' || 'server action: ' + result;
    })()""",
    "framer-motion-11": "(() => { const plans = [...document.querySelectorAll('.plan')]; return (plans.length === 2 && plans.every((p) => getComputedStyle(p).opacity === '1')) || 'plans not animated in'; })()",
    "swiper-css": "(document.querySelectorAll('.swiper-pagination-bullet').length === 4 && getComputedStyle(document.querySelector('.swiper-wrapper')).display === 'flex') || 'swiper or its CSS missing'",
    "markdown-blog": """(() => {
        const first = document.querySelector('.post');
        if (!first.querySelector('table td') || !first.querySelector('del, input[type=checkbox]')) return 'GitHub markdown not rendered';
        if (!first.querySelector('pre, div[class*=language-], code span[style]')) return 'code not highlighted';
        const date = first.querySelector('.date').textContent;
        if (date !== 'March 2, 2024') return 'moment: ' + date;
        return document.querySelectorAll('.post-row').length === 2 || 'table rows missing';
    })()""",
    "local-font": f"(() => {{ const fonts = {LOADED_FONTS}; return (fonts.includes('geistSans') && fonts.includes('geistMono')) || 'local fonts: ' + fonts; }})()",
}


def test_every_project_has_a_check() -> None:
    assert sorted(CHECKS) == projects()
    assert len(projects()) >= 15


@pytest.fixture(scope="module")
def built() -> Iterator[tuple[dict[str, BuildResult], Path, Path]]:
    """Every project built once, with its packages installed into the runtime's shared package cache."""
    runtime_dir = require_runtime()
    require_registry()
    results: dict[str, BuildResult] = {}

    async def build_all(data: Path) -> Path:
        builder = PreviewBuilder(data, runtime_dir=runtime_dir)
        try:
            for name in projects():
                results[name] = await builder.build(load_project(name, runtime_dir), key=name)
        finally:
            await builder.aclose()
        return builder.packages_dir

    import tempfile

    with tempfile.TemporaryDirectory() as data:
        packages_dir = asyncio.run(build_all(Path(data)))
        yield results, runtime_dir, packages_dir


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.mark.parametrize("name", projects())
def test_v0_project_renders(name: str, built: tuple[dict[str, BuildResult], Path, Path], browser: Any) -> None:
    results, runtime_dir, packages_dir = built
    result = results[name]
    assert result.ok, [str(e) for e in result.errors]
    server = PreviewServer(runtime_dir, packages_dir)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: failed.append(f"{r.url} HTTP {r.status}") if r.status >= 400 else None)
    try:
        page.goto(server.url(result), wait_until="networkidle")
        page.wait_for_timeout(600)  # effects, fonts and Tailwind's first build settle
        outcome = page.evaluate(CHECKS[name])
        assert not page.query_selector("#vzero-error-overlay"), page.inner_text("#vzero-error-overlay")
        assert errors == [] and console == [] and failed == [], (errors, console, failed)
        assert server.reports == []
        assert outcome is True, outcome
    finally:
        page.close()
        server.close()


def test_dragging_a_card_moves_it(built: tuple[dict[str, BuildResult], Path, Path], browser: Any) -> None:
    """react-beautiful-dnd (written for React 18) drags a card to another column under the preview's React 19."""
    results, runtime_dir, packages_dir = built
    server = PreviewServer(runtime_dir, packages_dir)
    page = browser.new_page()
    try:
        page.goto(server.url(results["dnd-kanban"]), wait_until="networkidle")
        card = page.locator("[data-rbd-drag-handle-draggable-id=t1]").bounding_box()
        doing = page.locator("[data-rbd-droppable-id=doing]")
        target = doing.bounding_box()
        assert card is not None and target is not None
        start_x, start_y = card["x"] + 20, card["y"] + 10
        page.mouse.move(start_x, start_y)
        page.mouse.down()
        for step in range(1, 21):  # small steps, as a hand moves: the library waits for a few pixels before it drags
            page.mouse.move(start_x + (target["x"] + 40 - start_x) * step / 20, start_y + (target["y"] + 60 - start_y) * step / 20)
            page.wait_for_timeout(30)
        page.wait_for_timeout(300)
        page.mouse.up()
        page.wait_for_timeout(500)
        assert doing.inner_text().split("\n")[0] == "Write the brief"
    finally:
        page.close()
        server.close()


def test_a_select_inside_a_dialog_keeps_the_dialog_open(built: tuple[dict[str, BuildResult], Path, Path], browser: Any) -> None:
    """Radix's dialog and select at v0's pins, from separate bundles, share one layer stack (one dismissable-layer)."""
    results, runtime_dir, packages_dir = built
    server = PreviewServer(runtime_dir, packages_dir)
    page = browser.new_page()
    try:
        page.goto(server.url(results["shadcn-kitchen-sink"]), wait_until="networkidle")
        page.click("#open-dialog")
        page.click("#size-trigger")
        page.get_by_role("option", name="Large").click()
        page.wait_for_timeout(300)
        assert page.get_by_role("dialog").is_visible()  # picking an option is not a click outside the dialog
        assert page.inner_text("#size-trigger").strip() == "Large"
    finally:
        page.close()
        server.close()
