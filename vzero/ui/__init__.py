"""The web workspace: TypeScript sources in src/, built by build.py, served by routes.py at / and every webUrl."""
