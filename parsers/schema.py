"""The application form's fields, loaded from ``form_schema.yaml``.

The YAML is data the centre may edit (new synonyms or key terms, another
county); this module only turns it into typed, immutable objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional, Sequence

import yaml

SCHEMA_FILE = "form_schema.yaml"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    synonyms: tuple[str, ...] = ()
    required: bool = False
    validator: Optional[str] = None
    kind: str = "text"
    # Allowed values in form order (ticked lists, counties, gender).
    options: tuple[str, ...] = ()
    # Key terms of the field's labels with their weights, longest first.
    terms: tuple[tuple[str, float], ...] = ()
    # Words only answers hold ("硕士"): text holding one is not a label.
    answers: tuple[str, ...] = ()

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


@dataclass(frozen=True)
class FormSchema:
    fields: list[FieldSpec]
    title_keywords: tuple[str, ...] = ()
    ignored_labels: tuple[str, ...] = ()
    ignored_terms: tuple[str, ...] = ()
    other_label_terms: tuple[str, ...] = ()
    label_fillers: tuple[str, ...] = ()
    label_endings: tuple[str, ...] = ()
    _by_key: dict[str, FieldSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_key.update({spec.key: spec for spec in self.fields})

    @property
    def keys(self) -> list[str]:
        return [spec.key for spec in self.fields]

    @property
    def required_keys(self) -> list[str]:
        return [spec.key for spec in self.fields if spec.required]

    def spec_for(self, key: str) -> FieldSpec:
        return self._by_key[key]

    def with_choices(self, choices: Mapping[str, Sequence[str]]) -> "FormSchema":
        """This schema with other options for some choice fields (a campaign's counties)."""
        if not choices:
            return self
        fields = [replace(spec, options=tuple(choices[spec.key])) if choices.get(spec.key) else spec
                  for spec in self.fields]
        return replace(self, fields=fields, _by_key={})

    def label_for(self, key: str) -> str:
        return self._by_key[key].label


def _terms(data: dict | None) -> tuple[tuple[str, float], ...]:
    weighted = ((str(term).lower(), float(weight)) for term, weight in (data or {}).items())
    return tuple(sorted(weighted, key=lambda item: len(item[0]), reverse=True))


def _words(data: dict, name: str) -> tuple[str, ...]:
    return tuple(str(word).lower() for word in data.get(name) or ())


def schema_from_dict(data: dict) -> FormSchema:
    specs = []
    for item in data["fields"]:
        specs.append(
            FieldSpec(
                key=item["key"],
                label=item["label"],
                synonyms=tuple(item.get("synonyms") or ()),
                required=bool(item.get("required", False)),
                validator=item.get("validator"),
                kind=item.get("kind", "text"),
                options=tuple(item.get("options") or ()),
                terms=_terms(item.get("terms")),
                answers=_words(item, "answers"),
            )
        )
    return FormSchema(
        fields=specs,
        title_keywords=tuple(data.get("title_keywords") or ()),
        ignored_labels=tuple(data.get("ignored_labels") or ()),
        ignored_terms=_words(data, "ignored_terms"),
        other_label_terms=_words(data, "other_label_terms"),
        label_fillers=_words(data, "label_fillers"),
        label_endings=_words(data, "label_endings"),
    )


@lru_cache(maxsize=1)
def load_schema() -> FormSchema:
    text = Path(__file__).with_name(SCHEMA_FILE).read_text(encoding="utf-8")
    return schema_from_dict(yaml.safe_load(text))
