"""`python -m vzero.preview.runtime install`: install the preview's npm packages and build the vendor bundle."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from vzero.errors import PreviewUnavailable


async def _install(data_dir: Path, runtime_dir: Path | None) -> None:
    from vzero.preview.builder import PreviewBuilder

    started = time.perf_counter()
    builder = PreviewBuilder(data_dir, runtime_dir=runtime_dir)
    try:
        await builder.prepare()
        vendor = builder.worker.info.get("vendor", {})
        state = "built" if vendor.get("built") else "up to date"
        print(f"preview runtime ready in {builder.runtime_dir} (vendor bundle {state}, {time.perf_counter() - started:.1f} s)")
    finally:
        await builder.aclose()


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m vzero.preview.runtime`."""
    from vzero.config import Settings

    parser = argparse.ArgumentParser(prog="python -m vzero.preview.runtime", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    install = sub.add_parser("install", help="npm ci the pinned packages (once) and build the vendor bundle")
    install.add_argument("--data-dir", type=Path, help="vzero data directory (default: VZERO_DATA_DIR)")
    install.add_argument("--runtime-dir", type=Path, help="install here (default: VZERO_PREVIEW_RUNTIME_DIR or <data-dir>/preview-runtime)")
    args = parser.parse_args(argv)
    settings = Settings()
    runtime_dir = args.runtime_dir or settings.preview_runtime_dir
    data_dir = args.data_dir or settings.data_dir
    try:
        if runtime_dir is not None and args.data_dir is None:
            # Only the runtime is wanted: keep the build cache out of the working directory.
            with tempfile.TemporaryDirectory() as scratch:
                asyncio.run(_install(Path(scratch), runtime_dir))
        else:
            asyncio.run(_install(data_dir, runtime_dir))
    except PreviewUnavailable as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
