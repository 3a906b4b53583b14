"""Method validation: records (:mod:`.records`), the demo's synthetic truth (:mod:`.demo`), the real
reference data (:mod:`.reference`), and the ``cgtsafe validate-demo`` command (:mod:`.cli`).

Layers: ``records`` <- ``demo``, ``reference`` <- ``cli``; no module imports one above it.
"""

from cgtsafe.validation.cli import register

__all__ = ["register"]
