"""Before a kernel starts: can it? A report kernel talks to the kit over the loopback interface; with
it down (``ip link set lo down``, a container without networking) a kernel would wait 60 s and fail
with a traceback. This checks in milliseconds and says what to do instead (exit 6)."""
from __future__ import annotations

import socket

from .errors import SetupError


def check_loopback(timeout: float = 2.0) -> None:
    """Raise SetupError unless a TCP connection to 127.0.0.1 can be made (as the kernel's ZeroMQ sockets do)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=timeout):
                pass
    except OSError as exc:
        raise SetupError(
            f"报告内核无法启动：本机回环网络 127.0.0.1 不可用（{exc.strerror or exc}）。内核通过回环接口与 nianbao 通信，"
            "不需要外网；请启用回环接口（如 ip link set lo up，容器中需开启网络命名空间的 lo）后重试。"
        ) from None


def kernel_start_error(exc: BaseException, kernel_name: str) -> SetupError:
    """A SetupError for a kernel that could not be started (no such kernelspec, died or timed out at start)."""
    from jupyter_client.kernelspec import NoSuchKernel

    if isinstance(exc, NoSuchKernel):
        return SetupError(f"找不到名为 {kernel_name!r} 的 Jupyter 内核。请运行 make setup（它会注册内核），"
                          f"或 .venv/bin/python -m ipykernel install --sys-prefix --name {kernel_name}。")
    return SetupError(f"报告内核无法启动或没有响应（{type(exc).__name__}: {exc}）。请检查 ipykernel 是否安装完好"
                      "（make setup），以及本机回环网络是否可用；然后重试。")
