"""The 2019 format pack (国办公开办函〔2019〕60号), report years 2019 and 2020."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def pack():
    from ...formpack import load_pack

    return load_pack(Path(__file__).parent, standard_text=f"{__name__}.standard_text:StandardText",
                     synthetic=f"{__name__}.synthetic")
