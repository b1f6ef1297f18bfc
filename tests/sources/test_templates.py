"""The shipped templates: listed from disk, loaded whole, coherent enough for the preview to render."""

from __future__ import annotations

import json
import re

import pytest

from vzero.core.files import safe_path
from vzero.errors import InvalidInput
from vzero.sources.templates import DEFAULT_TEMPLATE, list_templates, load_template


def test_the_starter_is_listed() -> None:
    assert DEFAULT_TEMPLATE in list_templates()


def test_starter_has_the_expected_files() -> None:
    files = {f.path: f.content for f in load_template("nextjs-starter")}
    assert {
        "app/layout.tsx", "app/page.tsx", "app/globals.css", "components/ui/button.tsx", "components/ui/card.tsx",
        "components/ui/input.tsx", "lib/utils.ts", "package.json", "tsconfig.json", "postcss.config.mjs", ".gitignore",
    } <= set(files)
    for path in files:
        assert safe_path(path) == path
    assert not any(f.locked for f in load_template("nextjs-starter"))


def test_starter_is_internally_consistent() -> None:
    files = {f.path: f.content.decode() for f in load_template("nextjs-starter")}
    package = json.loads(files["package.json"])
    tsconfig = json.loads(files["tsconfig.json"])
    assert tsconfig["compilerOptions"]["paths"] == {"@/*": ["./*"]}
    declared = set(package["dependencies"]) | set(package["devDependencies"])
    # Every bare import in the sources is a declared package; every `@/` import is a file of the template.
    for path, text in files.items():
        if not path.endswith((".ts", ".tsx")):
            continue
        for spec in re.findall(r'from "([^"]+)"', text):
            if spec.startswith("@/"):
                target = spec[2:]
                assert any(f"{target}{ext}" in files for ext in (".ts", ".tsx")), f"{path} imports missing {spec}"
            elif not spec.startswith("."):
                name = "/".join(spec.split("/")[:2]) if spec.startswith("@") else spec.split("/")[0]
                assert name in declared, f"{path} imports undeclared package {name}"
    assert 'import "./globals.css"' in files["app/layout.tsx"]
    assert '@import "tailwindcss"' in files["app/globals.css"]
    assert "twMerge(clsx(inputs))" in files["lib/utils.ts"]
    assert "Slot" in files["components/ui/button.tsx"] and "cva(" in files["components/ui/button.tsx"]


@pytest.mark.parametrize("template_id", ["nope", "../sources", "nextjs-starter/app", "", "NEXTJS-STARTER"])
def test_unknown_template_names_the_valid_ones(template_id: str) -> None:
    with pytest.raises(InvalidInput, match="valid template ids: nextjs-starter"):
        load_template(template_id)
