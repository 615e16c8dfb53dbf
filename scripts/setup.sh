#!/usr/bin/env bash
# Set up intake on a fresh Debian/Ubuntu machine: system packages, then a venv.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the service and its tests use: "check|package" pairs.
NEEDED=(
  "command -v dovecot || test -x /usr/sbin/dovecot|dovecot-imapd"      # demo mailbox, IMAP tests
  "ls /usr/lib/postgresql/*/bin/initdb|postgresql"                    # PostgreSQL tests
  "command -v soffice|libreoffice-writer-nogui"                       # .doc/.wps/.rtf/.odt
  "command -v bwrap|bubblewrap"                                       # LibreOffice confined to its own folder
  "command -v tesseract|tesseract-ocr"                                # scans and photos
  "ls /usr/share/tesseract-ocr/*/tessdata/chi_sim.traineddata|tesseract-ocr-chi-sim"
  "fc-list | grep -q 'Noto Sans CJK'|fonts-noto-cjk"                 # rendering sample scans; Chinese in the browser
  "fc-list | grep -qi 'ukai'|fonts-arphic-ukai"                       # handwriting-style samples
  "command -v chromium|chromium"                                      # review app tests in a real browser (Playwright)
)

missing=()
for entry in "${NEEDED[@]}"; do
  check="${entry%|*}"; package="${entry##*|}"
  bash -c "$check" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts a system-wide Dovecot/PostgreSQL on install; intake runs its own
# private instances on other ports, so the system ones are not needed.

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing Python packages into .venv"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt -e '.[test]'
