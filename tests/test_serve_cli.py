"""`palabra2vec serve` as a user runs it: a real process, a real socket, hostile bytes."""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytest.importorskip("uvicorn", reason="the [serve] extra (uvicorn) is not installed")
pytest.importorskip("starlette", reason="the [serve] extra (starlette) is not installed")

from palabra2vec.cli.main import main  # noqa: E402
from palabra2vec.cli.serve import is_loopback  # noqa: E402
from serve_helpers import write_toy_model  # noqa: E402


def _start(args: list[str]) -> tuple[subprocess.Popen, str]:
    """Starts `palabra2vec serve ARGS`; returns the process and the URL it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "palabra2vec", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"explorer at (http://\S+/)", line)
        if m:
            return proc, m.group(1)
    proc.kill()
    raise AssertionError(f"no URL printed: {lines} {proc.stderr.read()}")


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _raw(host: str, port: int, data: bytes, half_close: bool = True) -> bytes:
    """What the server answers to ``data`` sent as is (then, with ``half_close``, the end of our
    side: uvicorn drops a request whose client has gone); a connection it resets answers b""."""
    chunks = []
    with socket.create_connection((host, port), timeout=10) as s:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, BrokenPipeError):
            pass
        except OSError as e:  # shutdown() after the server has already dropped the connection
            if e.errno != errno.ENOTCONN:
                raise
    return b"".join(chunks)


@pytest.fixture
def server(tmp_path):
    proc, url = _start([str(write_toy_model(tmp_path / "toy.txt")), "--port", "0"])
    try:
        yield proc, url
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_prints_the_url_and_answers(server):
    proc, url = server
    assert url.startswith("http://127.0.0.1:")
    status, body = _get(url + "api/info")
    assert status == 200 and body["words"] == 21
    status, body = _get(url + "api/neighbours?word=rey&topn=2")
    assert status == 200 and len(body["neighbours"]) == 2


def test_server_survives_malformed_requests(server):
    proc, url = server
    host, port = url[len("http://"):-1].rsplit(":", 1)
    port = int(port)
    assert _raw(host, port, b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw(host, port, b"\x00\xff\xfe\r\n\r\n").startswith(b"HTTP/1.1 400")
    assert _raw(host, port, b"GET /api/info HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n").startswith(b"HTTP/1.1 400")
    huge = b"GET /api/neighbours?word=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = _raw(host, port, huge)
    assert answer == b"" or answer.split(b" ")[1].startswith(b"4")  # refused, never a 5xx
    answer = _raw(host, port, b"GET /api/neighbours?word=%ZZ%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", half_close=False)
    assert answer.startswith(b"HTTP/1.1 404") and b"not in the vocabulary" in answer
    answer = _raw(host, port, b"GET /api/neighbours?word=rey&topn=5 HTTP/1.1\r\nHost: x\r\n")  # cut short
    assert _get(url + "api/info")[0] == 200  # still serving
    assert proc.poll() is None


def test_serve_warns_when_not_on_loopback(tmp_path):
    proc, url = _start([str(write_toy_model(tmp_path / "toy.txt")), "--host", "0.0.0.0", "--port", "0"])
    try:
        assert url.startswith("http://0.0.0.0:")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "warning: listening on 0.0.0.0: anyone who can reach this computer" in err


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.1.2.3")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")


def test_serve_errors_are_one_line(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "missing"), "--port", "0"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [f"palabra2vec: error: no model directory or word2vec file at {tmp_path / 'missing'}"]
    assert main(["serve", str(tmp_path), "--port", "70000"]) == 2
    assert capsys.readouterr().err.strip() == "palabra2vec: error: --port must be between 0 and 65535, got 70000"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        model = write_toy_model(tmp_path / "toy.txt")
        assert main(["serve", str(model), "--port", str(busy.getsockname()[1])]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"palabra2vec: error: cannot listen on 127.0.0.1:{busy.getsockname()[1]}: ")
        assert "\n" not in err
    finally:
        busy.close()


def test_serve_help_mentions_the_extra(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "palabra2vec[serve]" in capsys.readouterr().out


def test_bound_socket_is_tcp_so_answers_are_not_delayed():
    """asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; without it a keep-alive
    client waits ~40 ms (Nagle + delayed ACK) for each answer's body."""
    from palabra2vec.cli.serve import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if `pip install palabra2vec` without [serve]
    assert main(["serve", str(tmp_path), "--port", "0"]) == 1
    assert capsys.readouterr().err.strip() == ("palabra2vec: error: serve needs the web extra: "
                                               "pip install 'palabra2vec[serve]' (uvicorn is missing)")
