#!/usr/bin/env bash
# System packages the kit needs (Debian/Ubuntu). Installs what is missing when run as root;
# otherwise prints the command to run. Safe to run again.
#
#   fonts-noto-cjk  Noto Serif/Sans CJK SC: the report's Chinese fonts (HTML and PDF)
#   fontconfig      fc-list, used to check that a Chinese font is installed before printing
#   chromium        headless browser that prints the PDF (driven by Playwright; never downloaded)
#   poppler-utils   pdftotext, pdffonts, pdftoppm: the tests read the PDFs back with them
#   libreoffice-calc, libreoffice-writer
#                   a real office suite, headless: the tests open the kit's .xlsx and .docx with it
#                   (recalculating the workbook's check formulas, converting Word output to PDF)
#   iproute2        ip netns: the offline test runs an export in a network namespace with loopback only
#   strace          the offline test traces every socket call of that export (no DNS, no UDP, no TCP out)
#   python3-venv    only when the Python that builds .venv lacks ensurepip (Debian's own python3)
set -euo pipefail
packages=(fonts-noto-cjk fontconfig chromium poppler-utils libreoffice-calc libreoffice-writer iproute2 strace)
need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
python="${PYTHON:-python3}"
if ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
  version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  need+=("python${version}-venv")
fi
# Linux stand-ins for the official-document font names of the Word output (方正小标宋, 仿宋_GB2312, 楷体,
# 黑体 → Noto Serif/Sans CJK SC), so LibreOffice shows report.docx in the intended faces.
fontconf="$(dirname "$0")/../lib/nianbao/exporters/fontconfig/nianbao-fonts.conf"
if [ "$(id -u)" -eq 0 ] && [ -d /etc/fonts/conf.d ] && [ -f "$fontconf" ] \
   && ! cmp -s "$fontconf" /etc/fonts/conf.d/65-nianbao-fonts.conf; then
  cp "$fontconf" /etc/fonts/conf.d/65-nianbao-fonts.conf && echo "installed /etc/fonts/conf.d/65-nianbao-fonts.conf"
fi
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${need[*]} — install them with your system's package manager." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}. Run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Refresh the font cache so Chromium sees newly installed fonts at once.
command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1 || true
