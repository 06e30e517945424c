"""A real Milvus standalone server (the ``milvus`` package's 2.3.5 build) for the tests, data in a temporary
folder, stopped by the fixture that starts it.

Every component's port is a free one chosen here, and each component advertises 127.0.0.1 (``<role>.ip``), so
the server's own traffic stays on loopback. Milvus 2.3.5 has no setting for the address it listens on: its
gRPC ports (and the metrics port) listen on every interface of the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from llm_servers import free_port

_ROLES = ("proxy", "rootCoord", "queryCoord", "queryNode", "indexNode", "dataCoord", "dataNode")
_PORTS = ("etcd_port", "proxy_port", "proxy_internal_port", "root_coord_port", "query_coord_port",
          "query_node_port", "index_coord_port", "index_node_port", "data_coord_port", "data_node_port")


class MilvusServer:
    def __init__(self, data: Path, ready_within: float = 180.0):
        ports = {name: free_port() for name in _PORTS}
        self.port = ports["proxy_port"]
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = data / "server.log"
        command = ["milvus-server", "--data", str(data / "milvus")]
        command += [f"--{name.replace('_', '-')}={port}" for name, port in ports.items()]
        for role in _ROLES:
            command += ["--extra-config", f"{role}.ip=127.0.0.1"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        with open(self.log, "wb") as out:  # its own session: stopping it stops the milvus binary it starts
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        self.wait_ready(ready_within)

    def wait_ready(self, within: float) -> None:
        from pymilvus import MilvusClient, MilvusException

        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus-server exited: {self.log.read_text(errors='replace')[-2000:]}")
            if "Ctrl+C to exit" in self.log.read_text(errors="replace"):  # printed once its health check passes
                try:
                    MilvusClient(uri=self.uri, timeout=10).list_collections()
                    return
                except MilvusException:
                    pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"milvus-server not ready within {within} s")

    def stop(self) -> None:
        """SIGTERM to the wrapper and the milvus binary it started (one process group), SIGKILL after 20 s."""
        self._signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while self._running() and time.monotonic() < deadline:
            time.sleep(0.2)
        self._signal(signal.SIGKILL)
        self.process.wait(10)

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def _running(self) -> bool:
        self.process.poll()  # reaps the wrapper once it exits
        try:
            os.killpg(self.process.pid, 0)
            return True
        except ProcessLookupError:
            return False
