#!/usr/bin/env bash
# Install everything harvester needs on a fresh Debian 12 machine (as root, or with sudo),
# then the package itself with its development extras.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

DEBIAN_PACKAGES=(
  chromium                      # real browser for JavaScript lists and challenge pages
  fonts-wqy-microhei            # CJK font: LibreOffice-made PDFs need it
  libreoffice-writer-nogui      # DOC / WPS conversion, DOCX -> PDF in the demo world
  antiword catdoc               # fallbacks when LibreOffice cannot read a DOC
  poppler-utils                 # pdftoppm for OCR of image-only PDFs
  tesseract-ocr tesseract-ocr-chi-sim
  libmagic1
  postgresql                    # tests run against a real PostgreSQL server
  redis-server                  # distributed crawling (scrapy-redis)
  libarchive-tools              # bsdtar: rarfile extracts compressed RAR members with it
)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's own python3 refuses system-wide pip installs (PEP 668); a pyenv or virtualenv
# python does not. On Debian's python, install anyway as the machine's tool.
if ! python3 -m pip install -q -e ".[dev]"; then
  echo "retrying the pip install with PIP_BREAK_SYSTEM_PACKAGES=1 (Debian-managed python)"
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q -e ".[dev]"
fi
echo "setup done: $(command -v harvester)"
