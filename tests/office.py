"""LibreOffice headless for tests: one start converts every file given (recalculating formulas)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# 宋体 (the font the workbooks name, as the printed form uses) is a Windows font; on Linux it is drawn
# with Noto Serif CJK SC (fonts-noto-cjk) instead of a Japanese fallback.
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <alias binding="same"><family>宋体</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
  <alias binding="same"><family>SimSun</family><prefer><family>Noto Serif CJK SC</family></prefer></alias>
</fontconfig>
"""


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        raise AssertionError("LibreOffice is missing: run `sudo bash scripts/setup-system.sh` "
                             "(apt-get install libreoffice-calc)")
    return found


def convert(paths: list[Path], outdir: Path, fmt: str = "xlsx", work: Path | None = None) -> list[Path]:
    """Open each file in LibreOffice (formulas recalculated) and save it as ``fmt`` into ``outdir``."""
    work = work or outdir
    profile = work / "lo-profile"
    (work / "fonts.conf").write_text(FONTS_CONF, encoding="utf-8")
    env = dict(os.environ, FONTCONFIG_FILE=str(work / "fonts.conf"), HOME=str(work))
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--nologo",
           "--convert-to", fmt, "--outdir", str(outdir), *map(str, paths)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    out = [outdir / (Path(p).stem + "." + fmt.split(":")[0]) for p in paths]
    missing = [p for p in out if not p.is_file()]
    assert not missing, f"LibreOffice did not write {missing}: {done.stdout}\n{done.stderr}"
    return out
