"""No network, proven: a real PDF export (the nianbao_pdf exporter, headless Chromium) runs inside a
network namespace that has only a loopback interface, under ``strace -f``, and every socket call of
every process (Python, Playwright's driver, each Chromium process) is checked: no DNS query, no TCP
connection and no datagram to anything but loopback. The page asks for remote images, styles and
links on purpose.

Needs root (``ip netns``) and strace (scripts/setup-system.sh installs iproute2 and strace).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import uuid

import pytest

pytestmark = pytest.mark.slow

EXPORT = textwrap.dedent("""
    import sys
    import nbformat
    from nianbao.exporters.pdf import ReportPDFExporter
    html = ('<header class="nb-title"><h1>政府信息公开工作年度报告</h1></header>'
            '<img alt="远程图片" src="https://www.google.com/logo.png">'
            '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Noto">'
            '<link rel="dns-prefetch" href="//update.googleapis.com">'
            '<p><a href="https://clients2.google.com/">链接</a>本年度新收申请57件。</p>')
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "x"})]
    nb.cells = [cell]
    nb.metadata["nianbao"] = {"title": "离线导出测试"}
    pdf, _ = ReportPDFExporter().from_notebook_node(nb)
    import time
    time.sleep(2)  # give background services the time to try the network after the print
    open(sys.argv[1], "wb").write(pdf)
""")

SOCKET = re.compile(r"^(\d+)\s+socket\((AF_INET6?), (SOCK_\w+)[^)]*\)\s*=\s*(\d+)")
SOCKET_START = re.compile(r"^(\d+)\s+socket\((AF_INET6?), (SOCK_\w+).*<unfinished")
SOCKET_END = re.compile(r"^(\d+)\s+<\.\.\. socket resumed>.*=\s*(\d+)")
CALL = re.compile(r"^(\d+)\s+(connect|sendto|sendmsg|sendmmsg)\((\d+),(.*)")
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
ADDR = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"')


def _loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr in ("::1", "::ffff:127.0.0.1")


def network_calls(trace: str) -> tuple[list[str], list[str]]:
    """(problems, route_probes) found in an ``strace -f -e trace=network`` log."""
    kinds: dict[int, str] = {}  # fd → socket type of the latest inet socket with that number
    pending: dict[str, str] = {}
    connected: dict[int, str] = {}  # fd → non-loopback address a datagram socket was connected to
    problems, probes = [], []
    for line in trace.splitlines():
        m = SOCKET.match(line)
        if m:
            kinds[int(m.group(4))] = m.group(3)
            continue
        m = SOCKET_START.match(line)
        if m:
            pending[m.group(1)] = m.group(3)
            continue
        m = SOCKET_END.match(line)
        if m and m.group(1) in pending:
            kinds[int(m.group(2))] = pending.pop(m.group(1))
            continue
        m = CALL.match(line)
        if not m:
            continue
        call, fd, rest = m.group(2), int(m.group(3)), m.group(4)
        port = PORT.search(rest)
        addr = ADDR.search(rest)
        if port and port.group(1) == "53":
            problems.append(f"DNS: {line}")
        elif call == "connect" and addr and not _loopback(addr.group(1)):
            if kinds.get(fd) == "SOCK_DGRAM":
                # connect() on a datagram socket only asks the kernel for a route (Chromium's IPv6
                # reachability probe); it sends nothing — unless data follows on that socket.
                connected[fd] = addr.group(1)
                probes.append(line)
            else:
                problems.append(f"connection: {line}")
        elif call != "connect":
            if addr and not _loopback(addr.group(1)):
                problems.append(f"datagram: {line}")
            elif not addr and fd in connected:
                problems.append(f"data to {connected[fd]}: {line}")
    return problems, probes


def test_trace_reader_catches_dns_and_connections():
    trace = "\n".join([
        '10 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 19',
        '10 connect(19, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        '11 socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP <unfinished ...>',
        '11 <... socket resumed>)             = 21',
        '11 connect(21, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2a00:1450::1", &sin6_addr)}, 28) = -1',
        '12 socket(AF_INET6, SOCK_DGRAM, IPPROTO_IP) = 22',
        '12 connect(22, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr)}, 28) = 0',
        '13 socket(AF_INET, SOCK_STREAM, IPPROTO_TCP) = 23',
        '13 connect(23, {sa_family=AF_INET, sin_port=htons(9222), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
    ])
    problems, probes = network_calls(trace)
    assert [p.split(":")[0] for p in problems] == ["DNS", "connection"]
    assert len(probes) == 1 and "2001:4860:4860::8888" in probes[0]
    problems, _ = network_calls(trace + '\n12 sendto(22, "x", 1, 0, NULL, 0) = 1')
    assert problems[-1].startswith("data to 2001:4860:4860::8888")


def test_pdf_export_sends_nothing_beyond_loopback(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("ip netns needs root (CI and the development machine run as root)")
    for tool in ("ip", "strace"):
        assert shutil.which(tool), f"{tool} is missing: run `make setup` (scripts/setup-system.sh installs it)"
    ns = f"nianbao-offline-{uuid.uuid4().hex[:8]}"
    script, trace, pdf = tmp_path / "export.py", tmp_path / "trace.txt", tmp_path / "out.pdf"
    script.write_text(EXPORT, encoding="utf-8")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        links = subprocess.run(["ip", "netns", "exec", ns, "ip", "-o", "link"], check=True,
                               capture_output=True, text=True).stdout
        assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
        proc = subprocess.run(
            ["ip", "netns", "exec", ns, "strace", "-f", "-qq", "-e", "trace=socket,connect,sendto,sendmsg,sendmmsg",
             "-o", str(trace), sys.executable, str(script), str(pdf)],
            capture_output=True, text=True, timeout=180)
    finally:
        subprocess.run(["ip", "netns", "delete", ns], check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "本年度新收申请57件" in re.sub(r"\s+", "", text)
    log = trace.read_text(encoding="utf-8", errors="replace")
    assert "chromium" in log or "socket(AF_UNIX" in log  # the browser's processes were traced
    problems, probes = network_calls(log)
    assert problems == [], "\n".join(problems[:20])
