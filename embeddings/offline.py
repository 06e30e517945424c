"""OpenVINO without its usage reports.

OpenVINO and NNCF send usage events to Google Analytics unless the user opted out; both fall back to a no-op
when their telemetry package cannot be imported, so it is blocked before OpenVINO is first imported.

>>> import_openvino().__name__  # doctest: +SKIP
'openvino'
"""

from __future__ import annotations

import sys


def import_openvino():
    """The ``openvino`` module, imported with its telemetry package blocked (this program is offline)."""
    sys.modules.setdefault("openvino_telemetry", None)
    import openvino

    return openvino
