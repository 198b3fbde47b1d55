"""One site plugin's module, shared by the others: Datasette loads site/plugins/ file by file, by path, so
a plugin cannot `import` another; this loads it once by its path (as `douzelage_site_<name>`) for all."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def sibling(plugin_file: str, name: str) -> ModuleType:
    """The module site/plugins/<name>.py, beside `plugin_file` (a plugin's __file__), loaded once."""
    key = f"douzelage_site_{name}"
    module = sys.modules.get(key)
    if module is None:
        spec = importlib.util.spec_from_file_location(key, Path(plugin_file).resolve().with_name(f"{name}.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return module
