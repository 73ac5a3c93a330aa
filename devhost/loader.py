"""Find and import the Functions app named by a ``module:attribute`` spec."""

from __future__ import annotations

import importlib
import importlib.util
import threading
import weakref
from pathlib import Path
from typing import Any

DEFAULT_APP_SPEC = "function_app:app"

# get_functions() may only be called once per app object (a second call raises a
# duplicate-name error), yet a test session may start several hosts on one app.
_registered: weakref.WeakKeyDictionary[Any, tuple[Any, ...]] = weakref.WeakKeyDictionary()
_registered_lock = threading.Lock()


def split_spec(spec: str) -> tuple[str, str]:
    """``"pkg.module:attr"`` -> ``("pkg.module", "attr")``; the attribute defaults to ``app``."""
    module, _, attribute = spec.partition(":")
    if not module:
        raise ValueError(f"app spec {spec!r} must look like 'module:attribute'")
    return module, attribute or "app"


def app_directory(spec: str) -> Path:
    """The directory of the app's module, found without importing the module itself."""
    module, _ = split_spec(spec)
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        raise ValueError(f"cannot find module {module!r} for app spec {spec!r}")
    return Path(found.origin).resolve().parent


def load_app(spec: str) -> Any:
    """Import the module and return the app object."""
    module_name, attribute = split_spec(spec)
    module = importlib.import_module(module_name)
    try:
        app = getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not callable(getattr(app, "get_functions", None)):
        raise TypeError(f"{spec!r} is not a Functions app (it has no get_functions())")
    return app


def registered_functions(app: Any) -> tuple[Any, ...]:
    """``app.get_functions()``, called at most once per app object."""
    with _registered_lock:
        functions = _registered.get(app)
        if functions is None:
            functions = tuple(app.get_functions())
            _registered[app] = functions
        return functions
