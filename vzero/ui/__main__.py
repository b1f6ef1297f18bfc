"""`python -m vzero.ui build [--build-dir DIR]`: build the workspace now (CI, or before the first start)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vzero.config import Settings
from vzero.ui.build import UiBuildError, build, build_dir_for


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m vzero.ui", description=__doc__)
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--build-dir", type=Path, default=None, help="default: VZERO_UI_BUILD_DIR, else vzero/ui (or <data_dir>/ui)")
    args = parser.parse_args()
    settings = Settings()
    try:
        folder = build(build_dir_for(settings.data_dir, args.build_dir or settings.ui_build_dir))
    except UiBuildError as exc:
        print(f"vzero: {exc}", file=sys.stderr)
        return 1
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
