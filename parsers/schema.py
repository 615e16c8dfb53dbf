"""The application form's fields, loaded from ``form_schema.yaml``.

The YAML is data the centre may edit (new synonyms, another county); this
module only turns it into typed, immutable objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

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

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (self.label, *self.synonyms)


@dataclass(frozen=True)
class FormSchema:
    fields: list[FieldSpec]
    title_keywords: tuple[str, ...] = ()
    ignored_labels: tuple[str, ...] = ()
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

    def label_for(self, key: str) -> str:
        return self._by_key[key].label


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
            )
        )
    return FormSchema(
        fields=specs,
        title_keywords=tuple(data.get("title_keywords") or ()),
        ignored_labels=tuple(data.get("ignored_labels") or ()),
    )


@lru_cache(maxsize=1)
def load_schema() -> FormSchema:
    text = Path(__file__).with_name(SCHEMA_FILE).read_text(encoding="utf-8")
    return schema_from_dict(yaml.safe_load(text))
