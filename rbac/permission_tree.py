"""Arrange the permission checkboxes of the role form as admins think of them: by app, then by
feature (a menu page with the actions that belong to it)."""

from dataclasses import dataclass, field

from django.apps import apps

from rbac.models import PermissionEntry
from rbac.registry import registry


@dataclass
class Checkbox:
    pk: int
    codename: str
    label: str
    checked: bool


@dataclass
class Feature:
    key: str
    title: str
    boxes: list[Checkbox] = field(default_factory=list)


@dataclass
class AppSection:
    label: str
    features: list[Feature] = field(default_factory=list)


def permission_tree(form) -> list[AppSection]:
    selected = {str(value) for value in (form["permissions"].value() or [])}
    rows = {row.codename: row for row in PermissionEntry.objects.all()}
    sections: dict[str, AppSection] = {}
    features: dict[str, Feature] = {}
    for entry in sorted(
        registry.entries(), key=lambda e: (e.app_label, e.parent or e.codename, e.parent is not None, e.order)
    ):
        row = rows.get(entry.codename)
        if row is None:
            continue
        section = sections.get(entry.app_label)
        if section is None:
            section = sections[entry.app_label] = AppSection(
                label=str(apps.get_app_config(entry.app_label).verbose_name)
            )
        feature_code = entry.parent or entry.codename
        feature = features.get(feature_code)
        if feature is None:
            lead = registry.get(feature_code) or entry
            feature = features[feature_code] = Feature(
                key=feature_code.replace(".", "-"), title=str(lead.menu_label or lead.label)
            )
            section.features.append(feature)
        feature.boxes.append(
            Checkbox(
                pk=row.pk, codename=entry.codename, label=str(entry.label), checked=str(row.pk) in selected
            )
        )
    return list(sections.values())
