"""Checking a report against its evidence: ``nianbao verify``.

What can be verified:

- a unit-year's outputs folder (``outputs/2022/zhungeer``) or its ``report.ipynb``;
- a bundle (``nianbao bundle``), as the zip or unzipped anywhere: its inputs travel inside it;
- a year's outputs folder holding the batch's year manifest.

Checks, in order: every output listed in ``manifest.json`` is present with the recorded sha256 (else
the file is named with the expected and actual hashes); the notebook carries its provenance and agrees
with the manifest; each recorded input still has the recorded sha256 and no new input appeared; with
``rerun``, the report is executed again in a fresh kernel from copies of exactly the recorded inputs,
and the new notebook and HTML are compared with the old ones, ignoring only the fields declared in
:data:`nianbao.manifest.VOLATILE_FIELDS` (and the software-environment part of the provenance, which is
reported when it differs).
"""
from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from . import manifest as mf
from . import provenance
from .errors import InputError, NianbaoError, SetupError
from .inputs import input_files
from .project import MARKER, Project
from .signing import SIGNATURE_NAME

BUNDLE_INPUTS = "inputs"  # folder of a bundle holding the project-relative inputs
BUNDLE_README = "README.txt"
FAILED_NB = "report.failed.ipynb"
# A file with one of these suffixes beside a manifest that does not list it could be posted as the
# report: verification fails on it (any other unlisted file is only noted).
PUBLISHABLE_SUFFIXES = (".html", ".htm", ".pdf", ".docx", ".doc", ".wps", ".ofd", ".xlsx", ".xls")


CHECK_ZH = {"outputs": "输出文件未被改动", "inputs": "输入文件与记录一致", "rerun": "重新运行结果相同",
            "signature": "签名有效"}
CHECK_EN = {"outputs": "outputs unchanged", "inputs": "inputs as recorded", "rerun": "re-run identical",
            "signature": "signature valid"}
CHECK_NAME_ZH = {"outputs": "输出文件", "inputs": "输入文件", "rerun": "重新运行"}

# Extraction limits for a bundle: a real one holds about ten files of a few MB at most. Checked against
# the archive's directory before anything is extracted (and again while extracting).
MAX_BUNDLE_ENTRIES = 1000
MAX_BUNDLE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    status: str  # "ok" | "fail" | "note"
    zh: str
    en: str

    def __str__(self) -> str:
        mark = {"ok": "[通过 ok]", "fail": "[失败 FAIL]", "note": "[说明 note]"}[self.status]
        return f"{mark} {self.zh} / {self.en}"


@dataclass
class Verdict:
    target: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # "outputs", "inputs", "rerun"

    def ok(self, zh, en):
        self.findings.append(Finding("ok", zh, en))

    def fail(self, zh, en):
        self.findings.append(Finding("fail", zh, en))

    def note(self, zh, en):
        self.findings.append(Finding("note", zh, en))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    @property
    def passed(self) -> bool:
        return not self.failures

    def verdict_line(self) -> str:
        if self.passed:
            zh = "，".join(CHECK_ZH[c] for c in CHECK_ZH if c in self.checked) or "无可核对内容"
            en = ", ".join(CHECK_EN[c] for c in CHECK_EN if c in self.checked) or "nothing to check"
            missing = [c for c in CHECK_NAME_ZH if c not in self.checked]
            tail = f"（未核对：{'、'.join(CHECK_NAME_ZH[c] for c in missing)}）" if missing else ""
            tail_en = f" (not checked: {', '.join(missing)})" if missing else ""
            return f"核验通过：{zh}{tail} / VERIFIED: {en}{tail_en} — {self.target}"
        n = len(self.failures)
        return f"核验未通过：{n} 处问题 / VERIFICATION FAILED: {n} problem{'s' if n > 1 else ''} — {self.target}"

    def lines(self) -> list[str]:
        return [str(f) for f in self.findings] + [self.verdict_line()]


# ---------------------------------------------------------------------------------------------------
# What the target is


@dataclass
class Subject:
    label: str
    folder: Path  # the folder holding the outputs (and, for a bundle, inputs/)
    manifest: dict | None
    notebook: Path | None
    project: Project | None
    bundle: bool = False
    notebook_only: bool = False  # a report.ipynb was named, with no manifest beside it


def safe_extract(archive: Path, dest: Path, *, max_entries: int | None = None, max_bytes: int | None = None) -> None:
    """Unzip ``archive`` into ``dest``, refusing names that would land outside it, and archives with more
    entries or more bytes than a bundle can have (checked before extracting anything)."""
    max_entries = MAX_BUNDLE_ENTRIES if max_entries is None else max_entries
    max_bytes = MAX_BUNDLE_BYTES if max_bytes is None else max_bytes
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{archive}: 不是有效的 zip 压缩包 / not a valid zip archive ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > max_entries:
            raise InputError(f"{archive}: 压缩包有 {len(infos)} 个条目，超过证据包上限 {max_entries}，未解压 / "
                             f"too many entries for a bundle, not extracted")
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            big = max(infos, key=lambda i: i.file_size)
            raise InputError(f"{archive}: 解压后共 {total} 字节（最大的 {big.filename!r} {big.file_size} 字节），超过证据包上限 "
                             f"{max_bytes} 字节，未解压 / {total} bytes uncompressed, over the bundle limit: not extracted")
        for info in infos:
            parts = PurePosixPath(info.filename.replace("\\", "/")).parts
            if not parts or info.filename.startswith("/") or ".." in parts or ":" in parts[0]:
                raise InputError(f"{archive}: 压缩包中有不安全的路径 {info.filename!r} / unsafe path in archive")
        written = 0
        for info in infos:
            target = dest / info.filename
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > max_bytes:  # the directory lied about the sizes
                            raise InputError(f"{archive}: 解压内容超过证据包上限 {max_bytes} 字节，已停止 / over the limit")
                        out.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
                raise InputError(f"{archive}: 压缩包已损坏（{info.filename}: {exc}）/ damaged archive") from None


def _bundle_root(folder: Path) -> Path:
    if (folder / mf.MANIFEST_NAME).is_file():
        return folder
    subdirs = [p for p in folder.iterdir() if p.is_dir() and (p / mf.MANIFEST_NAME).is_file()]
    if len(subdirs) == 1:
        return subdirs[0]
    raise InputError(f"{folder}: 找不到 manifest.json / no manifest.json found")


def resolve(target: Path, project: Path | None, stack: ExitStack) -> Subject:
    target = Path(target)
    label = str(target)
    if not target.exists():
        raise InputError(f"{target}: 不存在 / does not exist")
    if target.is_file() and (target.suffix.lower() == ".zip" or target.suffix != ".ipynb" and zipfile.is_zipfile(target)):
        if not zipfile.is_zipfile(target):
            raise InputError(f"{target}: 不是有效的 zip 压缩包 / not a valid zip archive")
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nianbao-verify-")))
        safe_extract(target, tmp)
        target = _bundle_root(tmp)
    notebook = None
    if target.is_file():
        if target.suffix != ".ipynb":
            raise InputError(f"{target}: 请给出输出目录、report.ipynb 或 bundle 压缩包 / "
                             "give an outputs folder, a report.ipynb or a bundle zip")
        notebook, folder = target, target.parent
    else:
        folder = target
        if (folder / "report.ipynb").is_file():
            notebook = folder / "report.ipynb"
    man_path = folder / mf.MANIFEST_NAME
    manifest = mf.load(man_path) if man_path.is_file() else None
    if manifest is None and notebook is None:
        raise InputError(f"{folder}: 既没有 manifest.json 也没有 report.ipynb / neither manifest.json nor report.ipynb here")
    bundle = (folder / BUNDLE_INPUTS / MARKER).is_file()
    if project is not None:
        proj = Project(Path(project).resolve())
    elif bundle:
        proj = Project((folder / BUNDLE_INPUTS).resolve())
    else:
        try:
            proj = Project.find(folder)
        except InputError:
            proj = None
    return Subject(label=label, folder=folder, manifest=manifest, notebook=notebook, project=proj, bundle=bundle,
                   notebook_only=manifest is None and target.is_file())


# ---------------------------------------------------------------------------------------------------
# Checks


def check_outputs(subject: Subject, v: Verdict) -> None:
    man = subject.manifest
    if man is None:
        v.fail("没有 manifest.json，无法核对输出文件是否被改动（运行可能被中断；请重新运行 nianbao run）",
               "no manifest.json: cannot tell whether outputs were changed (an interrupted run? run again)")
        return
    good = 0
    for name, rec in sorted(man.get("outputs", {}).items()):
        path = subject.folder / name
        if not path.is_file():
            v.fail(f"缺少输出文件 {name}", f"output file missing: {name}")
            continue
        now = mf.file_record(path)
        if now["sha256"] != rec["sha256"]:
            v.fail(f"输出文件 {name} 已被改动：manifest 记录 sha256 {rec['sha256']}，实际 {now['sha256']}"
                   f"（大小 {rec['size']} → {now['size']} 字节）",
                   f"output file changed: {name}: expected sha256 {rec['sha256']}, actual {now['sha256']}")
        else:
            good += 1
    if good and good == len(man.get("outputs", {})):
        v.ok(f"{good} 个输出文件与 manifest 一致（{'、'.join(sorted(man['outputs']))}）",
             f"{good} output files match the manifest")
    known = set(man.get("outputs", {})) | {mf.MANIFEST_NAME, BUNDLE_README, BUNDLE_INPUTS, SIGNATURE_NAME}
    for p in sorted(subject.folder.iterdir()):
        if p.name in known:
            continue
        if ".partial" in p.name:
            v.note(f"{p.name} 是被中断的运行留下的临时文件，可删除；它没有取代任何输出",
                   f"{p.name} is a temp file left by an interrupted run (safe to delete); it replaced nothing")
        elif p.name == FAILED_NB:
            v.note(f"{FAILED_NB} 是之后一次失败运行的笔记本；上面核验的是上一次成功的报告",
                   f"{FAILED_NB} is from a later failed run; the report verified here is the last good one")
        elif p.is_file() and _is_report_file(p.name):
            v.fail(f"{p.name} 不在 manifest 中：它不是本次运行生成的，内容可能与其他报告文件不符，不能与它们一同发布；"
                   "请删除它，或用 nianbao run 重新生成全部格式",
                   f"{p.name} is not in the manifest: it was not made by this run and may show other figures; "
                   "remove it or re-run with every format")
        else:
            v.note(f"{p.name} 不在 manifest 中，未核验", f"{p.name} is not in the manifest and was not verified")


def _is_report_file(name: str) -> bool:
    """A file that reads as one of the report's outputs (report.*, evidence.*, any format's file name)."""
    from .outputs import filenames

    return (name in filenames() or name.startswith(("report.", "evidence."))
            or Path(name).suffix.lower() in PUBLISHABLE_SUFFIXES)


def check_signature(subject: Subject, public_key, v: Verdict) -> None:
    """With ``--key``: manifest.json must carry a valid signature by that key (manifest.json.sig)."""
    from .errors import VerificationFailed
    from .signing import check

    sig_path, man_path = subject.folder / SIGNATURE_NAME, subject.folder / mf.MANIFEST_NAME
    if public_key is None:
        if sig_path.is_file():
            v.note(f"带有签名 {SIGNATURE_NAME}，但未核对：用 --key 指定签名者的公钥",
                   f"{SIGNATURE_NAME} present but not checked: give the signer's public key with --key")
        return
    if not man_path.is_file():
        v.fail("没有 manifest.json，无从核对签名", "no manifest.json: nothing signed to check")
        return
    if not sig_path.is_file():
        v.fail(f"没有签名 {SIGNATURE_NAME}：此证据未签名（用 nianbao bundle --sign 生成签名的证据包）",
               f"no {SIGNATURE_NAME}: this evidence is not signed")
        return
    try:
        sig = check(man_path.read_bytes(), sig_path.read_bytes(), public_key)
    except VerificationFailed as exc:
        v.fail(f"签名无效：{exc}", f"signature invalid: {exc}")
        return
    v.ok(f"manifest.json 的签名有效，签名者公钥 {sig.fingerprint}（manifest 中的每个文件随后按其 sha256 核对）",
         f"manifest.json is signed by {sig.fingerprint}")
    _checked(v, "signature")


def kit_differences(old: dict | None, new: dict | None) -> list[str]:
    """How the kit that re-ran differs from the one recorded: version, git commit, source hash."""
    a, b = (old or {}).get("kit") or {}, (new or {}).get("kit") or {}
    return [f"kit.{k}: {a.get(k)!r} → {b.get(k)!r}" for k in ("version", "git_commit", "source_sha256")
            if a.get(k) != b.get(k)]


def read_notebook(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: 不是可读的笔记本 / not a readable notebook: {exc}") from None


def check_provenance(subject: Subject, nb: dict | None, v: Verdict) -> dict | None:
    """The provenance record to check inputs against (None when there is none)."""
    record = provenance.of_notebook(nb) if nb is not None else None
    man_inputs = (subject.manifest or {}).get("inputs")
    if nb is not None and record is None:
        v.fail("report.ipynb 中没有来源记录（metadata.nianbao.provenance）",
               "report.ipynb carries no provenance record (metadata.nianbao.provenance)")
    if record is not None:
        shown = provenance.record_in_outputs(nb)
        if shown is not None and {k: x for k, x in shown.items() if k != "kernel_mode"} != {
                k: x for k, x in record.items() if k != "kernel_mode"}:
            v.fail("笔记本元数据中的来源记录与附录中显示的不一致",
                   "the provenance in the notebook metadata differs from the one shown in its appendix")
    if record is not None and man_inputs is not None:
        a = {r: (x["path"], x["sha256"]) for r, x in record.get("inputs", {}).items()}
        b = {r: (x["path"], x["sha256"]) for r, x in man_inputs.items()}
        if a != b:
            v.fail("manifest 与笔记本记录的输入文件不一致", "manifest and notebook disagree about the inputs")
    if record is not None:
        return record.get("inputs", {})
    return {r: {"path": x["path"], "sha256": x["sha256"]} for r, x in (man_inputs or {}).items()} or None


def unit_year(subject: Subject, nb: dict | None) -> tuple[str | None, int | None]:
    if subject.manifest and subject.manifest.get("kind") == mf.UNIT_KIND:
        return subject.manifest["unit"], int(subject.manifest["year"])
    meta = (nb or {}).get("metadata", {}).get("nianbao", {})
    return meta.get("unit"), meta.get("year")


def check_inputs(subject: Subject, recorded: dict, unit: str, year: int, v: Verdict) -> None:
    project = subject.project
    if project is None:
        v.note("找不到项目目录，未核对输入文件（可用 --project 指定）",
               "project folder not found: inputs not checked (use --project)")
        return
    problems = 0
    for role, rec in sorted(recorded.items()):
        path = project.root / rec["path"]
        label = provenance.role_label(role)
        if not path.is_file():
            v.fail(f"输入文件 {rec['path']}（{label}）已不存在", f"input missing: {rec['path']} ({role})")
            problems += 1
            continue
        now = mf.file_record(path)["sha256"]
        if now != rec["sha256"]:
            v.fail(f"输入文件 {rec['path']}（{label}）在报告生成后已改变：记录 sha256 {rec['sha256']}，现在 {now}"
                   "；若改动是有意的，请重新运行 nianbao run",
                   f"input changed since the report was made: {rec['path']} ({role}): "
                   f"recorded sha256 {rec['sha256']}, now {now}")
            problems += 1
    try:
        children = provenance.rollup_children(project, unit)
        current = input_files(project, unit, year, children)
    except NianbaoError as exc:
        v.fail(f"无法读取当前的单位名录：{exc}", f"cannot read the current unit registry: {exc}")
        return
    for role, path in sorted(current.items()):
        if role not in recorded:
            v.fail(f"出现了报告生成时没有的输入文件 {project.rel(path)}（{provenance.role_label(role)}）；重新运行会用到它",
                   f"new input since the report was made: {project.rel(path)} ({role}); a re-run would read it")
            problems += 1
    if not problems:
        where = "bundle 内" if subject.bundle else "项目中"
        v.ok(f"{len(recorded)} 个输入文件与记录一致（{where}）",
             f"{len(recorded)} input files match the record ({'inside the bundle' if subject.bundle else 'in the project'})")


# ---------------------------------------------------------------------------------------------------
# Re-running


def first_difference(a, b, where: str = "") -> str | None:
    """Path of the first place two JSON values differ, with the two values (shortened)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b or a[k] != b[k]:
                if k in a and k in b:
                    return first_difference(a[k], b[k], f"{where}.{k}" if where else k)
                return f"{where}.{k}: {'缺少 / absent' if k not in a else _short(a[k])} → {'缺少 / absent' if k not in b else _short(b[k])}"
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{where}[{i}]")
        if len(a) != len(b):
            return f"{where}: {len(a)} 项 → {len(b)} 项 / {len(a)} items → {len(b)} items"
        return None
    if a != b:
        return f"{where}: {_short(a)} → {_short(b)}"
    return None


def _short(value, n: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return repr(text if len(text) <= n else text[:n] + "…")


def first_text_difference(a: str, b: str) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            col = next((j for j, (c, d) in enumerate(zip(x, y)) if c != d), min(len(x), len(y)))
            return f"第 {i} 行 / line {i}: {_short(x[max(0, col - 30):col + 50])} → {_short(y[max(0, col - 30):col + 50])}"
    return f"行数 / lines: {len(la)} → {len(lb)}"


def rerun(subject: Subject, recorded: dict, unit: str, year: int, v: Verdict, *, allow_kit_change: bool = False) -> None:
    from .runner import run_report

    project = subject.project
    if project is None:
        v.fail("找不到输入文件，无法重新运行（可用 --project 指定项目目录）",
               "inputs not found, cannot re-run (use --project)")
        return
    outputs = set((subject.manifest or {}).get("outputs", {})) or {
        p.name for p in subject.folder.iterdir() if p.name.startswith("report.") and p.name != FAILED_NB}
    from .outputs import selectable

    formats = [n for n, f in selectable().items() if f.filename in outputs] or ["html"]
    with tempfile.TemporaryDirectory(prefix="nianbao-rerun-") as tmp:
        fresh = Project(Path(tmp).resolve() / "project")
        for rec in recorded.values():
            src = project.root / rec["path"]
            if not src.is_file():
                v.fail(f"输入文件 {rec['path']} 不存在，无法重新运行", f"cannot re-run: input missing: {rec['path']}")
                return
            dest = fresh.root / rec["path"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        (fresh.outputs_dir).mkdir(parents=True, exist_ok=True)
        try:
            try:
                run_report(fresh, unit, year, formats)
            except SetupError as exc:
                if "pdf" not in formats:
                    raise
                v.note(f"本机无法生成 PDF，未比较 report.pdf：{exc}", f"cannot make PDF here; report.pdf not compared: {exc}")
                formats = [f for f in formats if f != "pdf"] or ["html"]
                run_report(fresh, unit, year, formats)
        except NianbaoError as exc:
            v.fail(f"重新运行失败：{exc}", f"re-run failed: {exc}")
            return
        old_rec = provenance.of_notebook(read_notebook(subject.folder / "report.ipynb"))
        new_rec = provenance.of_notebook(read_notebook(fresh.output_dir(unit, year) / "report.ipynb"))
        kit_diff = kit_differences(old_rec, new_rec)
        man_version = (subject.manifest or {}).get("kit_version")
        new_version = ((new_rec or {}).get("kit") or {}).get("version")
        if man_version is not None and man_version != new_version:
            kit_diff.append(f"manifest kit_version: {man_version!r} → {new_version!r}")
        if kit_diff and allow_kit_change:
            v.note("重新运行所用的 nianbao 与记录的不同（已按 --allow-kit-change 接受）：" + "；".join(kit_diff),
                   "the kit that re-ran differs from the recorded one (accepted by --allow-kit-change): " + "; ".join(kit_diff))
        elif kit_diff:
            v.fail("重新运行所用的 nianbao 与报告记录的不同，结果不能证明报告出自所记录的版本：" + "；".join(kit_diff)
                   + "。请用记录的版本重新运行；确知版本不同仍要比较时加 --allow-kit-change",
                   "the kit that re-ran is not the recorded one: " + "; ".join(kit_diff)
                   + " (use the recorded version, or --allow-kit-change)")
        compare_outputs(subject.folder, fresh.output_dir(unit, year), outputs, v)


def compare_outputs(old_dir: Path, new_dir: Path, names, v: Verdict) -> None:
    """Compare a re-run's outputs with the originals, file by file, ignoring declared volatile fields."""
    old_nb = read_notebook(old_dir / "report.ipynb")
    new_nb = read_notebook(new_dir / "report.ipynb")
    env_diff = provenance.environment_differences(provenance.of_notebook(old_nb), provenance.of_notebook(new_nb))
    if env_diff:
        v.note("重新运行的软件环境与原记录不同，比较时忽略环境部分：" + "；".join(env_diff),
               "the re-run's software environment differs from the record (ignored when comparing): "
               + "; ".join(env_diff))
    same = []
    for name in sorted(names):
        old, new = old_dir / name, new_dir / name
        if not old.is_file():
            continue
        if not new.is_file():
            if name == "report.pdf":
                continue  # noted above when the PDF could not be made
            v.fail(f"重新运行没有产生 {name}", f"the re-run did not produce {name}")
            continue
        if name.endswith(".ipynb"):
            diff = first_difference(mf.normalise_notebook(old_nb, environment=bool(env_diff)),
                                    mf.normalise_notebook(new_nb, environment=bool(env_diff)))
        elif name.endswith(".html"):
            a = mf.normalise_html(old.read_text(encoding="utf-8"), environment=bool(env_diff))
            b = mf.normalise_html(new.read_text(encoding="utf-8"), environment=bool(env_diff))
            diff = None if a == b else first_text_difference(a, b)
        elif name.endswith(".pdf"):
            a, b = mf.pdf_text(old), mf.pdf_text(new)
            if a is None or b is None:
                a, b = mf.normalise_pdf_bytes(old.read_bytes()), mf.normalise_pdf_bytes(new.read_bytes())
                diff = None if a == b else "PDF 内容不同 / PDF content differs"
            else:
                a = mf.normalise_pdf_text(a, environment=bool(env_diff))
                b = mf.normalise_pdf_text(b, environment=bool(env_diff))
                diff = None if a == b else "文字 / text: " + first_text_difference(a, b)
        elif name.endswith(".json"):
            try:
                a = mf.normalise_json(name, json.loads(old.read_bytes()))
                b = mf.normalise_json(name, json.loads(new.read_bytes()))
            except ValueError:
                a, b = old.read_bytes(), new.read_bytes()
            diff = first_difference(a, b) if a != b else None
        else:
            a, b = old.read_bytes(), new.read_bytes()
            diff = None if a == b else first_text_difference(a.decode("utf-8", "replace"), b.decode("utf-8", "replace"))
        if diff:
            v.fail(f"重新运行的 {name} 与原件不同：{diff}", f"re-run {name} differs from the original: {diff}")
        else:
            same.append(name)
    if same:
        v.ok(f"在全新内核中重新运行，结果一致：{'、'.join(same)}（已忽略声明的易变字段）",
             f"re-run in a fresh kernel reproduces {', '.join(same)} (declared volatile fields ignored)")


# ---------------------------------------------------------------------------------------------------
# Entry point


def verify(target: str | Path, *, rerun_report: bool = False, project: str | Path | None = None,
           key: str | Path | None = None, allow_kit_change: bool = False) -> Verdict:
    """Verify ``target`` (outputs folder, report.ipynb, bundle zip or folder, year folder); with ``key``
    (an Ed25519 public key file) the manifest's signature must be valid for it."""
    public_key = None
    if key is not None:
        from .signing import load_public_key

        public_key = load_public_key(key)
    with ExitStack() as stack:
        subject = resolve(Path(target), Path(project) if project else None, stack)
        v = Verdict(target=subject.label)
        if subject.manifest is not None and subject.manifest.get("kind") == mf.YEAR_KIND:
            check_signature(subject, public_key, v)
            verify_year(subject, v, rerun_report)
            return v
        check_signature(subject, public_key, v)
        verify_unit(subject, v, rerun_report, allow_kit_change=allow_kit_change)
        return v


def verify_unit(subject: Subject, v: Verdict, rerun_report: bool, *, allow_kit_change: bool = False) -> None:
    if subject.notebook_only:
        v.note("旁边没有 manifest.json：只核对笔记本自身的来源记录",
               "no manifest.json beside it: checking the notebook's own provenance only")
    else:
        check_outputs(subject, v)
        if subject.manifest is not None:
            _checked(v, "outputs")
    try:
        nb = read_notebook(subject.notebook) if subject.notebook and subject.notebook.is_file() else None
    except InputError:
        if not v.failures:
            raise
        # changed after the run so that it no longer parses: the hash mismatch above already says so
        v.note("report.ipynb 已无法读取，未再核对其来源记录", "report.ipynb no longer parses: its provenance was not checked")
        return
    recorded = check_provenance(subject, nb, v)
    unit, year = unit_year(subject, nb)
    if recorded is None or unit is None or year is None:
        v.fail("没有可核对的输入记录", "no record of the inputs to check")
        return
    check_inputs(subject, recorded, unit, int(year), v)
    if subject.project is not None:
        _checked(v, "inputs")
    if rerun_report:
        if nb is None:
            v.fail("缺少 report.ipynb，无法比较重新运行的结果", "report.ipynb missing: cannot compare a re-run")
            return
        before = len(v.failures)
        rerun(subject, recorded, unit, int(year), v, allow_kit_change=allow_kit_change)
        if len(v.failures) == before:
            _checked(v, "rerun")


def _checked(v: Verdict, what: str) -> None:
    if what not in v.checked:
        v.checked.append(what)


def verify_year(subject: Subject, v: Verdict, rerun_report: bool) -> None:
    man = subject.manifest
    for name, rec in sorted(man.get("files", {}).items()):
        path = subject.folder / name
        now = mf.file_record(path)["sha256"] if path.is_file() else None
        if now != rec["sha256"]:
            v.fail(f"年度文件 {name} 已被改动或缺失：记录 sha256 {rec['sha256']}，实际 {now}",
                   f"year file changed or missing: {name}: expected sha256 {rec['sha256']}, actual {now}")
    for unit, entry in sorted(man.get("units", {}).items()):
        unit_dir = subject.folder / unit
        mpath = subject.folder / entry["manifest"]["path"]
        now = mf.file_record(mpath)["sha256"] if mpath.is_file() else None
        if now != entry["manifest"]["sha256"]:
            v.fail(f"{entry['manifest']['path']} 已被改动或缺失：记录 sha256 {entry['manifest']['sha256']}，实际 {now}",
                   f"unit manifest changed or missing: {entry['manifest']['path']}")
            continue
        sub = Subject(label=str(unit_dir), folder=unit_dir, manifest=mf.load(mpath),
                      notebook=unit_dir / "report.ipynb", project=subject.project)
        uv = Verdict(target=str(unit_dir))
        verify_unit(sub, uv, rerun_report)
        for f in uv.findings:
            v.findings.append(Finding(f.status, f"[{unit}] {f.zh}", f"[{unit}] {f.en}"))
        for c in uv.checked:
            _checked(v, c)
    for unit in man.get("missing", []):
        v.note(f"单位 {unit} 在这一年没有成功生成的报告", f"unit {unit} has no successful report this year")
