"""YAML from files an adversary may have written: safe_load's types, no aliases, bounded depth.

Baselines and framework mapping files are YAML. ``yaml.safe_load`` builds only
plain types, but it expands aliases (nine levels of anchors in 400 bytes are
billions of nodes) and its composer recurses once per nesting level (a deep
file ends in RecursionError). :func:`parse_yaml` refuses both while composing,
keeps timestamps as the text written, and turns every failure into a
:class:`~auditor.model.errors.ValidationError` naming the file and line.
"""

from __future__ import annotations

from typing import Any

import yaml

from auditor.model.errors import ValidationError
from auditor.model.fsio import MAX_DEPTH


class BoundedLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses aliases and nesting deeper than MAX_DEPTH while composing.

    Aliases are refused outright rather than counted: the files read this way
    are short enough to write out in full, and a reviewer should see every
    field where it stands. Depth is bounded here because the composer
    recurses once per level.
    """

    _depth = 0
    what = "this file"

    def _mark(self) -> Any:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, f"aliases (*name) are not allowed in {self.what}; write the value out", self._mark()
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", self._mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """Keep ``2027-06-30`` as written: schemas and waiver code read dates from text.

    PyYAML's own timestamp constructor raises ValueError on ``2027-13-45``,
    which matches its pattern but is no date.
    """
    return str(loader.construct_scalar(node))


BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def parse_yaml(text: str, source: str, *, what: str = "this file") -> tuple[Any, yaml.Node | None]:
    """The document and its root node (for line numbers), or ValidationError naming ``source``."""
    loader: BoundedLoader | None = None
    try:
        loader = BoundedLoader(text)
        loader.what = what
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor met a value it cannot build
        raise ValidationError(f"{source}: not valid YAML: a value cannot be read ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "malformed"
        raise ValidationError(f"{source}{where}: not valid YAML: {str(problem)[:120]}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root
