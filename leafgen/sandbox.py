"""Content text is data: it may only show the authority's facts with {{ authority.x }}."""
from __future__ import annotations

from typing import Any

import re

from jinja2 import StrictUndefined, Template, TemplateError, Undefined, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment

# Content may hold expressions only: no statements, calls, filters, includes or imports,
# so it can neither loop, read files nor reach Python internals.
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr)


class ContentTemplateError(Exception):
    pass


class _FactsEnvironment(SandboxedEnvironment):
    """The facts are nested dicts of text, so authority.x may only look up the key x.
    Jinja's own lookup falls back to Python attributes, which printed a method as
    "<built-in method upper of str object at 0x7f...>" (a memory address in a leaflet,
    and a build that was never the same twice)."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return self.undefined(obj=obj, name=attribute)


def _one_fact(value: Any) -> str | Undefined:
    """Only text may be printed: {{ authority }} or {{ authority.timescales }} would print
    a Python dict."""
    if isinstance(value, (str, Undefined)):  # printing an Undefined raises "no fact"
        return value
    raise TemplateError("that names a group of facts; name one fact, such as "
                        "authority.timescales.first_review")


class ContentRenderer:
    """Renders one content string against the authority's facts."""

    def __init__(self) -> None:
        self._env = _FactsEnvironment(undefined=StrictUndefined, autoescape=False,
                                      finalize=_one_fact)
        self._cache: dict[str, Template] = {}

    def render(self, text: str, context: dict[str, Any]) -> str:
        if "{" not in text:
            return text
        template = self._cache.get(text)
        if template is None:
            template = self._cache[text] = self._compile(text)
        try:
            return template.render(context)
        except UndefinedError as e:
            name = re.sub(r"^'\w+ object' has no attribute ", "", e.message or "")
            raise ContentTemplateError(f"in '{_short(text)}': there is no fact {name}") from None
        except TemplateError as e:
            raise ContentTemplateError(f"in '{_short(text)}': {e.message}") from None

    def check(self, text: str) -> None:
        """Raise ContentTemplateError if text is not allowed content (no facts needed)."""
        if "{" in text and text not in self._cache:
            self._cache[text] = self._compile(text)

    def _compile(self, text: str) -> Template:
        try:
            tree = self._env.parse(text)
        except TemplateError as e:
            raise ContentTemplateError(f"template syntax: {e.message}") from None
        except RecursionError:  # "{{ ((((...)))) }}": Jinja's parser recurses per bracket
            raise ContentTemplateError(f"expression nested too deeply in '{_short(text)}'") from None
        for node in tree.find_all(nodes.Node):
            if not isinstance(node, _ALLOWED):
                raise ContentTemplateError(
                    f"only {{{{ authority.<fact> }}}} expressions are allowed in content, "
                    f"found {type(node).__name__.lower()} in '{_short(text)}'")
            if isinstance(node, nodes.Name) and node.name != "authority":
                raise ContentTemplateError(f"unknown name '{node.name}' in '{_short(text)}': "
                                           "content may only use 'authority'")
        return self._env.from_string(tree)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
