"""Batch runs: every unit of a year in one command (``nianbao batch``).

Submodules, imported on demand so that a run where every unit is unchanged stays cheap:

- :mod:`.plan`       which units to run, in which order, and which can be skipped (content keys)
- :mod:`.state`      ``outputs/<year>/.batch-state.json``: last outcome and key of every unit
- :mod:`.worker`     what a worker process does for one unit (warm kernel, run_report, outcome)
- :mod:`.executors`  local worker processes or Dask distributed
- :mod:`.run`        the batch itself: plan → schedule → progress → state → dashboard → summary
- :mod:`.kernelside` code that runs *inside* a kept (warm) kernel: warm-up and reset

This package must stay light to import: nothing here imports papermill, nbconvert, pandas or Great
Expectations at module level.
"""
