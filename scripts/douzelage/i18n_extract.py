"""A babel extractor for the texts of site/site.yaml that the public pages show and translate: the guide's
worked questions and their explanations (`guide: - question: … how: …`). babel.cfg registers it
(`[extractors] site_yaml = douzelage.i18n_extract:extract_site_yaml`) and names the keys to read:

    [site_yaml: site/site.yaml]
    keys = guide.*.question guide.*.how

A key is a dotted path through the YAML's mappings and lists, `*` standing for every item. The SQL beside
them is not extracted: it stays as it is in every language. Only `make i18n-extract` and the i18n tests
use this module; the site reads site.yaml on its own and translates the texts with the catalogues.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml


def _walk(node: yaml.Node, path: list[str]) -> Iterator[yaml.ScalarNode]:
    if not path:
        if isinstance(node, yaml.ScalarNode) and node.value.strip():
            yield node
        return
    head, rest = path[0], path[1:]
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if head in ("*", key.value):
                yield from _walk(value, rest)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            if head in ("*", str(i)):
                yield from _walk(value, rest)


def extract_site_yaml(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, None, str, list[str]]]:
    """Every text at one of the `keys` (babel.cfg), with its line, in the order of the file."""
    text = fileobj.read()
    root = yaml.compose(text.decode("utf-8") if isinstance(text, bytes) else text)
    if root is None:
        return
    found = []
    for key in options.get("keys", "").split():
        for node in _walk(root, key.split(".")):
            found.append((node.start_mark.line + 1, node.value, key))
    for line, value, key in sorted(found):
        yield line, None, value, [f"site.yaml: {key}"]
