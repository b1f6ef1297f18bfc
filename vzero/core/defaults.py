"""The files a complete Next.js app needs besides what the model writes (`includeDefaultFiles`)."""

from __future__ import annotations

import json

from vzero.core.files import FileSet

_PACKAGE_JSON = {
    "name": "my-v0-project",
    "version": "0.1.0",
    "private": True,
    "scripts": {"dev": "next dev", "build": "next build", "start": "next start", "lint": "next lint"},
    "dependencies": {
        "@radix-ui/react-slot": "^1.1.0",
        "class-variance-authority": "^0.7.1",
        "clsx": "^2.1.1",
        "lucide-react": "^0.454.0",
        "next": "15.1.0",
        "react": "^19",
        "react-dom": "^19",
        "tailwind-merge": "^2.5.5",
    },
    "devDependencies": {
        "@tailwindcss/postcss": "^4.0.0",
        "@types/node": "^22",
        "@types/react": "^19",
        "@types/react-dom": "^19",
        "postcss": "^8.5",
        "tailwindcss": "^4.0.0",
        "typescript": "^5",
    },
}

_TSCONFIG = {
    "compilerOptions": {
        "lib": ["dom", "dom.iterable", "esnext"],
        "allowJs": True,
        "target": "ES6",
        "skipLibCheck": True,
        "strict": True,
        "noEmit": True,
        "esModuleInterop": True,
        "module": "esnext",
        "moduleResolution": "bundler",
        "resolveJsonModule": True,
        "isolatedModules": True,
        "jsx": "preserve",
        "incremental": True,
        "plugins": [{"name": "next"}],
        "paths": {"@/*": ["./*"]},
    },
    "include": ["next-env.d.ts", "**/*.ts", "**/*.tsx", ".next/types/**/*.ts"],
    "exclude": ["node_modules"],
}

DEFAULT_FILES: dict[str, str] = {
    "package.json": json.dumps(_PACKAGE_JSON, indent=2) + "\n",
    "tsconfig.json": json.dumps(_TSCONFIG, indent=2) + "\n",
    "next.config.mjs": "/** @type {import('next').NextConfig} */\nconst nextConfig = {\n  images: { unoptimized: true },\n}\n\nexport default nextConfig\n",
    "postcss.config.mjs": "const config = {\n  plugins: {\n    '@tailwindcss/postcss': {},\n  },\n}\n\nexport default config\n",
    "next-env.d.ts": '/// <reference types="next" />\n/// <reference types="next/image-types/global" />\n',
    "lib/utils.ts": (
        'import { clsx, type ClassValue } from "clsx"\nimport { twMerge } from "tailwind-merge"\n\n'
        "export function cn(...inputs: ClassValue[]) {\n  return twMerge(clsx(inputs))\n}\n"
    ),
    "app/globals.css": '@import "tailwindcss";\n',
}


def with_default_files(files: FileSet) -> FileSet:
    """The files plus every default file the version does not define itself."""
    result = files
    for path, content in DEFAULT_FILES.items():
        if path not in result:
            result = result.with_written(path, content.encode())
    return result
