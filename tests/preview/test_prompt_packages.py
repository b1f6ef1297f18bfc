"""The system prompt's list of packages says what the preview runtime really ships (no node needed)."""

from __future__ import annotations

import json
import re

from vzero.engine.prompt import PROMPTS
from vzero.preview.runtime import SOURCE_DIR

# In the runtime for the bundler, the page's Tailwind or fonts; an app does not import them as they are.
NOT_FOR_APPS = {"esbuild", "cjs-module-lexer", "es-module-lexer", "tailwindcss", "react-is"}


def test_the_prompt_names_every_pinned_package_with_its_major_version() -> None:
    prompt = (PROMPTS / "system.md").read_text()
    pinned = json.loads((SOURCE_DIR / "package.json").read_text())["dependencies"]
    for name in pinned:
        if name in NOT_FOR_APPS or name.startswith("@fontsource"):
            continue
        short = name.removeprefix("@radix-ui/react")
        assert f"`{name}`" in prompt or f"`{short}`" in prompt or name in ("react", "react-dom"), name
    for name in ("lucide-react", "recharts", "zod", "react-day-picker", "date-fns", "framer-motion", "sonner"):
        major = pinned[name].split(".")[0]
        assert re.search(rf"`{re.escape(name)}` {major}\b", prompt), f"{name} {major}"
    assert "installs it from the npm registry on first use" in prompt
