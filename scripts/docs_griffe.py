"""griffe extension for the docs site (mkdocs.yml loads it into mkdocstrings).

Two things static analysis cannot give the API reference on its own:

* **Sphinx roles.** The docstrings are written for readers of the source and of
  ``help()``, with reST roles (``:class:`~hologram.Executor```). mkdocstrings
  renders Markdown, where a role would show verbatim, so each becomes an inline
  code span of its target (the short name with ``~``, the full name without).
* **Generated functions.** ``hologram.ops`` and ``hologram.lowlevel`` build
  most of their functions at import time (one factory per op family), so the
  source shows assignments such as ``add = _binary(...)`` and the ``.pyi`` stub
  signatures without docstrings. For the names in such a module's ``__all__``,
  the function is imported and its real signature and docstring documented.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")
#: Modules whose public functions are generated at import.
GENERATED = ("hologram.ops", "hologram.lowlevel")

_KINDS: dict[Any, Any] = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


def _replace(match: re.Match[str]) -> str:
    short, target = match.group(1), match.group(2).strip()
    if short:
        target = target.rsplit(".", 1)[-1]
    return f"`{target}`"


def convert(text: str) -> str:
    """``text`` with every Sphinx cross-reference role replaced by a code span."""
    return _ROLE.sub(_replace, text)


def _annotation(value: Any) -> str | None:
    if value is inspect.Parameter.empty:
        return None
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _function(name: str, func: Any, parent: griffe.Module) -> griffe.Function:
    signature = inspect.signature(func)
    parameters = griffe.Parameters(*[
        griffe.Parameter(
            p.name,
            annotation=_annotation(p.annotation),
            kind=_KINDS[p.kind],
            default=None if p.default is inspect.Parameter.empty else repr(p.default),
        )
        for p in signature.parameters.values()
    ])
    doc = inspect.getdoc(func)
    function = griffe.Function(
        name,
        parameters=parameters,
        returns=_annotation(signature.return_annotation),
        docstring=griffe.Docstring(convert(doc), parent=None) if doc else None,
        parent=parent,
    )
    if function.docstring is not None:
        function.docstring.parent = function
    return function


class HologramDocs(griffe.Extension):
    """Rewrites roles in every docstring; documents the generated functions."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        for path in GENERATED:
            package, _, module_name = path.partition(".")
            if pkg.name != package or module_name not in pkg.members:
                continue
            module: griffe.Module = pkg.members[module_name]  # type: ignore[assignment]
            runtime = importlib.import_module(path)
            for name in getattr(runtime, "__all__", []):
                func = getattr(runtime, name, None)
                if not inspect.isfunction(func):
                    continue
                current = module.members.get(name)
                if isinstance(current, griffe.Function) and current.docstring is not None:
                    continue
                module.set_member(name, _function(name, func, module))
