"""Stories told in real headless Chromium (Playwright, Debian's chromium package)."""
