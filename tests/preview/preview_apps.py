"""Sample apps and the shared npm runtime for the preview tests (a helper module, not a test file)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from vzero.preview import BuildResult, preview_headers, read_asset

# Read at import: the suite's autouse fixture clears VZERO_* variables before each test.
_RUNTIME_DIR = os.environ.get("VZERO_PREVIEW_RUNTIME_DIR")
_installed: Path | None = None


def shared_runtime_dir() -> Path:
    """Where the tests' npm runtime lives: VZERO_PREVIEW_RUNTIME_DIR, else one folder in the temp dir."""
    return Path(_RUNTIME_DIR) if _RUNTIME_DIR else Path(tempfile.gettempdir()) / "vzero-preview-runtime"


def require_runtime() -> Path:
    """The installed runtime (installing it on first use), or skip when node/npm are missing."""
    global _installed
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm is not installed: install Node.js 20+ with npm to run the preview build tests")
    if _installed is None:
        from vzero.preview.runtime import install_runtime

        _installed = install_runtime(shared_runtime_dir())
    return _installed


class PreviewServer:
    """Serves built previews at /p/<n>/ the way the app will: read_asset plus preview_headers."""

    def __init__(self, runtime_dir: Path, packages_dir: Path | None = None) -> None:
        self.runtime_dir = runtime_dir
        self.packages_dir = packages_dir or runtime_dir / "packages"
        self.results: list[BuildResult] = []
        self.reports: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                _, _, index, name = (self.path.split("?")[0] + "/").split("/", 3)
                name = name.rstrip("/") if name != "/" else ""
                result = outer.results[int(index)]
                hit = read_asset(result, outer.runtime_dir, name, outer.packages_dir)
                if hit is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", hit[1])
                for key, value in preview_headers(result.script_hashes if name in ("", "index.html") else ()).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(hit[0])

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.endswith("/__errors"):
                    outer.reports.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, result: BuildResult) -> str:
        self.results.append(result)
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/p/{len(self.results) - 1}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


_registry_problem: str | None = None
_registry_checked = False


def require_registry() -> str:
    """The npm registry npm is configured for, or skip when it cannot be reached (an offline machine)."""
    global _registry_checked, _registry_problem
    import httpx

    from vzero.preview.registry import npm_config

    url = npm_config().registry
    if not _registry_checked:
        _registry_checked = True
        try:
            response = httpx.get(url.rstrip("/") + "/is-number", timeout=15)
            if response.status_code != 200:
                _registry_problem = f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            _registry_problem = f"{exc.__class__.__name__}: {exc}"
    if _registry_problem is not None:
        pytest.skip(f"the npm registry {url} cannot be reached ({_registry_problem}): these tests install packages from it")
    return url


BUTTON = '''import * as React from "react"
import { Slot } from "@radix-ui/react-slot"
import { cva, type VariantProps } from "class-variance-authority"

import { cn } from "@/lib/utils"

const buttonVariants = cva(
  "inline-flex items-center justify-center gap-2 whitespace-nowrap rounded-md text-sm font-medium transition-colors",
  {
    variants: {
      variant: {
        default: "bg-primary text-primary-foreground hover:bg-primary/90",
        outline: "border border-input bg-background hover:bg-accent",
      },
      size: { default: "h-10 px-4 py-2", icon: "h-10 w-10" },
    },
    defaultVariants: { variant: "default", size: "default" },
  }
)

export interface ButtonProps
  extends React.ButtonHTMLAttributes<HTMLButtonElement>,
    VariantProps<typeof buttonVariants> {
  asChild?: boolean
}

const Button = React.forwardRef<HTMLButtonElement, ButtonProps>(
  ({ className, variant, size, asChild = false, ...props }, ref) => {
    const Comp = asChild ? Slot : "button"
    return <Comp className={cn(buttonVariants({ variant, size, className }))} ref={ref} {...props} />
  }
)
Button.displayName = "Button"

export { Button, buttonVariants }
'''

COUNTER_APP: dict[str, bytes] = {
    "app/layout.tsx": b'''import type { Metadata } from "next"
import { Inter } from "next/font/google"
import "./globals.css"

const inter = Inter({ subsets: ["latin"] })

export const metadata: Metadata = { title: "Counter" }

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en">
      <body className={inter.className}>{children}</body>
    </html>
  )
}
''',
    "app/page.tsx": b'''"use client"

import { useState } from "react"
import { Plus } from "lucide-react"
import { Button } from "@/components/ui/button"

export default function Page() {
  const [count, setCount] = useState(0)
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-4">
      <p id="count" className="text-4xl font-bold">{count}</p>
      <Button id="increment" onClick={() => setCount(count + 1)}>
        <Plus className="h-4 w-4" /> Increment
      </Button>
    </main>
  )
}
''',
    "app/globals.css": b'''@import "tailwindcss";
@import "tw-animate-css";

@custom-variant dark (&:is(.dark *));

:root {
  --radius: 0.625rem;
  --background: oklch(1 0 0);
  --foreground: oklch(0.145 0 0);
  --primary: oklch(0.205 0 0);
  --primary-foreground: oklch(0.985 0 0);
}

@theme inline {
  --color-background: var(--background);
  --color-foreground: var(--foreground);
  --color-primary: var(--primary);
  --color-primary-foreground: var(--primary-foreground);
}

@layer base {
  body { @apply bg-background text-foreground; }
}
''',
    "components/ui/button.tsx": BUTTON.encode(),
    "lib/utils.ts": b'''import { clsx, type ClassValue } from "clsx"
import { twMerge } from "tailwind-merge"

export function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs))
}
''',
    "public/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>',
    "package.json": b'{"name": "counter", "dependencies": {"next": "15.0.0"}}',
}
