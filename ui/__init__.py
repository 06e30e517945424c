"""The web chat: `rag serve` opens it; everything here runs on this machine and sends nothing elsewhere.

Modules: ``service`` (the shared, swappable assistant and the article add/remove it serialises),
``articles`` (turning an upload or a paste into a safe corpus file), ``chat`` (the streaming chat handler and
the public ``ask`` API), ``conversation`` (a conversation as plain data, kept in the browser and drawn from),
``html`` (escaped HTML for answers, sources and articles), ``app`` (the Blocks layout), ``page.js`` (the page's
script: plain-text copy, each marker opening its own answer's sources, refused uploads named), ``csp`` (the
Content-Security-Policy middleware), ``guard`` (no remote fetch, a readable busy reply) and ``server``
(start-up, login and launch).
"""

import os

# Set before anything imports gradio: no usage analytics and no version checks leave the machine.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
