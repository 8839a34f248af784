from django.utils.translation import gettext_lazy as _

from crm.models import DictItem
from crm.selectors import classes_taught_by
from rbac.defaults import ADMIN, SALES, SALES_MANAGER, TEACHER
from rbac.registry import object_hook, register

ADMIN_ONLY = (ADMIN,)
WRITE = ("GET", "POST")


@object_hook("crm.teaches_class")
def teaches_class(request, pk, **kwargs) -> bool:
    """The user teaches or advises the class in the URL."""
    return classes_taught_by(request.user).filter(pk=pk).exists()


def _setup_pages(model: str, labels: tuple, *, icon: str, order: int, readers=ADMIN_ONLY) -> None:
    """The four entries of one setup page: list (in the menu), create, edit, (de)activate."""
    list_label, menu_label, create_label, update_label, active_label = labels
    url = model.replace("_", "")  # dict_item -> dictitem-list
    register(
        f"crm.{model}_list",
        list_label,
        f"crm:{url}-list",
        menu="setup",
        menu_label=menu_label,
        icon=icon,
        order=order,
        default_roles=readers,
    )
    register(
        f"crm.{model}_create",
        create_label,
        f"crm:{url}-create",
        methods=WRITE,
        parent=f"crm.{model}_list",
        default_roles=ADMIN_ONLY,
    )
    register(
        f"crm.{model}_update",
        update_label,
        f"crm:{url}-update",
        methods=WRITE,
        parent=f"crm.{model}_list",
        default_roles=ADMIN_ONLY,
    )
    register(
        f"crm.{model}_set_active",
        active_label,
        f"crm:{url}-set-active",
        methods=("POST",),
        parent=f"crm.{model}_list",
        default_roles=ADMIN_ONLY,
    )


_setup_pages(
    "campus",
    (_("View campuses"), _("Campuses"), _("Create campuses"), _("Edit campuses"), _("Deactivate campuses")),
    icon="geo-alt",
    order=10,
)
_setup_pages(
    "course",
    (_("View courses"), _("Courses"), _("Create courses"), _("Edit courses"), _("Deactivate courses")),
    icon="journal-bookmark",
    order=20,
    readers=(ADMIN, SALES_MANAGER, SALES),
)
_setup_pages(
    "class",
    (_("View classes"), _("Classes"), _("Create classes"), _("Edit classes"), _("Deactivate classes")),
    icon="people",
    order=30,
    readers=(ADMIN, SALES_MANAGER, SALES),
)
_setup_pages(
    "dict_item",
    (
        _("View the data dictionary"),
        _("Data dictionary"),
        _("Create dictionary items"),
        _("Edit dictionary items"),
        _("Deactivate dictionary items"),
    ),
    icon="card-list",
    order=60,
)

# Two entries for one page: any class for those who run the school, own classes for teachers.
register(
    "crm.class_detail",
    _("View any class"),
    "crm:class-detail",
    parent="crm.class_list",
    default_roles=(ADMIN, SALES_MANAGER, SALES),
)
register(
    "crm.class_detail_own",
    _("View own classes (teachers and advisers)"),
    "crm:class-detail",
    hook="crm.teaches_class",
    parent="crm.class_list",
    default_roles=(TEACHER,),
)

# Parameter-bound entries: a sales manager keeps the list of customer sources up to date, and
# nothing else in the dictionary.
register(
    "crm.dict_item_list_sources",
    _("View customer sources"),
    "crm:dictitem-list",
    params={"kind": DictItem.Kind.SOURCE},
    menu="sales",
    menu_label=_("Customer sources"),
    icon="signpost-split",
    order=90,
    default_roles=(SALES_MANAGER,),
)
register(
    "crm.dict_item_create_source",
    _("Add customer sources"),
    "crm:dictitem-create",
    methods=WRITE,
    params={"kind": DictItem.Kind.SOURCE},
    parent="crm.dict_item_list_sources",
    default_roles=(SALES_MANAGER,),
)


@object_hook("crm.is_customer_source")
def is_customer_source(request, pk, **kwargs) -> bool:
    """The dictionary item in the URL is a customer source, and a posted form keeps it one."""
    source = DictItem.Kind.SOURCE
    if request.method == "POST" and request.POST.get("kind", source) != source:
        return False
    return DictItem.objects.filter(pk=pk, kind=source).exists()


register(
    "crm.dict_item_update_source",
    _("Edit customer sources"),
    "crm:dictitem-update",
    methods=WRITE,
    hook="crm.is_customer_source",
    parent="crm.dict_item_list_sources",
    default_roles=(SALES_MANAGER,),
)
register(
    "crm.dict_item_set_active_source",
    _("Deactivate customer sources"),
    "crm:dictitem-set-active",
    methods=("POST",),
    hook="crm.is_customer_source",
    parent="crm.dict_item_list_sources",
    default_roles=(SALES_MANAGER,),
)
