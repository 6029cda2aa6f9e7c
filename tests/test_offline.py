"""No network, proven: a real PDF export (the nianbao_pdf exporter, headless Chromium) and a Word export
whose SVG chart Chromium draws as a picture (nianbao_docx) run inside a network namespace that has only
a loopback interface, under ``strace -f``, and every socket call of every process (Python, Playwright's
driver, each Chromium process) is checked: no DNS query, no TCP connection and no datagram to anything
but loopback. The page and the chart ask for remote images, styles and links on purpose.

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
    time.sleep(1)  # give background services the time to try the network after the print
    open(sys.argv[1], "wb").write(pdf)
    from nianbao.exporters.docx import ReportDocxExporter
    cell.outputs[0]["data"]["text/html"] = (
        '<figure><svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        '<title>图表</title><style>@import url(https://fonts.googleapis.com/css?family=Noto);</style>'
        '<image href="https://www.google.com/logo.png" width="20" height="20"/>'
        '<text x="4" y="30" font-family="Noto Serif CJK SC">申请57件</text></svg></figure>')
    docx, _ = ReportDocxExporter().from_notebook_node(nb)
    time.sleep(1)
    open(sys.argv[2], "wb").write(docx)
""")

# strace -yy annotates every socket argument with its protocol and, once connected, both ends:
#   sendto(18<UDPv6:[[::1]:40000->[2001:db8::1]:443]>, ...)   connect(21<TCP:[4711]>, {... "10.0.0.1" ...})
CALL = re.compile(r"^(\d+)\s+(connect|sendto|sendmsg|sendmmsg)\((\d+)<((?:->|[^<>])*)>(.*)")
PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
ADDR = re.compile(r'inet_(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"')
REMOTE = re.compile(r"->\[?([0-9a-fA-F:.]+?)\]?:(\d+)\]")
INET = ("TCP", "TCPv6", "UDP", "UDPv6", "UDPLITE", "UDPLITEv6", "RAW", "RAWv6", "SCTP", "SCTPv6")


def _loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr in ("::1", "::ffff:127.0.0.1")


def network_calls(trace: str) -> tuple[list[str], list[str]]:
    """(problems, route_probes) in an ``strace -f -yy -e trace=connect,sendto,sendmsg,sendmmsg`` log."""
    problems, probes = [], []
    for line in trace.splitlines():
        m = CALL.match(line)
        if not m:
            continue
        call, proto, rest = m.group(2), m.group(4).split(":", 1)[0], m.group(5)
        if proto not in INET:
            continue  # UNIX sockets and netlink (the kernel's routing table) stay on the machine
        port, addr, remote = PORT.search(rest), ADDR.search(rest), REMOTE.search(m.group(4))
        if (port and port.group(1) == "53") or (remote and remote.group(2) == "53"):
            problems.append(f"DNS: {line}")
        elif call == "connect":
            if addr and not _loopback(addr.group(1)):
                if proto.startswith("UDP"):
                    # connect() on a datagram socket only asks the kernel for a route (Chromium's IPv6
                    # reachability probe); nothing is sent unless data follows, which is caught below.
                    probes.append(line)
                else:
                    problems.append(f"connection: {line}")
        elif (addr and not _loopback(addr.group(1))) or (remote and not _loopback(remote.group(1))):
            problems.append(f"data out: {line}")
    return problems, probes


def test_trace_reader_catches_dns_connections_and_data():
    trace = "\n".join([
        '10 connect(19<UDP:[1001]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0',
        '11 connect(21<TCPv6:[1002]>, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2a00:1450::1", &sin6_addr)}, 28) = -1',
        '12 connect(22<UDPv6:[1003]>, {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr)}, 28) = 0',
        '13 connect(23<TCP:[1004]>, {sa_family=AF_INET, sin_port=htons(9222), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        '13 sendto(23<TCP:[127.0.0.1:5000->127.0.0.1:9222]>, "x", 1, 0, NULL, 0) = 1',
        '14 sendto(18<NETLINK:[ROUTE:13484]>, [{nlmsg_len=17}], 17, 0, {sa_family=AF_NETLINK}, 12) = 17',
        '15 sendto(18<UNIX-STREAM:[155223->155222]>, "x", 80, MSG_NOSIGNAL, NULL, 0) = 80',
    ])
    problems, probes = network_calls(trace)
    assert [p.split(":")[0] for p in problems] == ["DNS", "connection"]
    assert len(probes) == 1 and "2001:4860:4860::8888" in probes[0]
    problems, _ = network_calls('12 sendmsg(22<UDPv6:[[::]:4000->[2001:4860:4860::8888]:443]>, {msg_name=NULL}, 0) = 9')
    assert problems and problems[0].startswith("data out")


def test_pdf_export_sends_nothing_beyond_loopback(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("ip netns needs root (CI and the development machine run as root)")
    for tool in ("ip", "strace"):
        assert shutil.which(tool), f"{tool} is missing: run `make setup` (scripts/setup-system.sh installs it)"
    ns = f"nianbao-offline-{uuid.uuid4().hex[:8]}"
    script, trace, pdf = tmp_path / "export.py", tmp_path / "trace.txt", tmp_path / "out.pdf"
    word = tmp_path / "out.docx"
    script.write_text(EXPORT, encoding="utf-8")
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"], check=True)
        links = subprocess.run(["ip", "netns", "exec", ns, "ip", "-o", "link"], check=True,
                               capture_output=True, text=True).stdout
        assert [line.split(":")[1].strip() for line in links.splitlines()] == ["lo"]
        proc = subprocess.run(
            ["ip", "netns", "exec", ns, "strace", "-f", "--seccomp-bpf", "-qq", "-yy", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
             "-o", str(trace), sys.executable, str(script), str(pdf), str(word)],
            capture_output=True, text=True, timeout=180)
    finally:
        subprocess.run(["ip", "netns", "delete", ns], check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "本年度新收申请57件" in re.sub(r"\s+", "", text)
    import docx

    assert [s.width for s in docx.Document(str(word)).inline_shapes] == [docx.shared.Mm(120 * 25.4 / 96)]
    log = trace.read_text(encoding="utf-8", errors="replace")
    assert "UNIX" in log and len({line.split()[0] for line in log.splitlines()}) > 5  # every process was traced
    problems, probes = network_calls(log)
    assert problems == [], "\n".join(problems[:20])
