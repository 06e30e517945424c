"""OpenVINO without its usage reports, and without its model converter where none is needed.

OpenVINO and NNCF send usage events to Google Analytics unless the user opted out; both fall back to a no-op
when their telemetry package cannot be imported, so it is blocked before OpenVINO is first imported.
``import openvino`` also imports its model converter (``openvino.tools.ovc``, 0.06 s) when it can; only a
conversion uses it, so it is blocked the same way until one asks for it.

>>> import_openvino().__name__  # doctest: +SKIP
'openvino'
"""

from __future__ import annotations

import sys

CONVERTER = "openvino.tools.ovc"


def import_openvino(converter: bool = False):
    """The ``openvino`` module, imported with its telemetry package blocked (this program is offline), with
    ``openvino.tools.ovc`` (``convert_model``) imported when ``converter``, else left out if not yet imported."""
    sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]  # None: cannot be imported
    if not converter:
        sys.modules.setdefault(CONVERTER, None)  # type: ignore[arg-type]
    elif sys.modules.get(CONVERTER, 0) is None:  # blocked by an earlier call: unblock, so the import below runs
        del sys.modules[CONVERTER]
    import openvino

    if converter:
        import openvino.tools.ovc  # noqa: F401  (makes ov.tools.ovc.convert_model available)
    return openvino
