from django.utils.translation import gettext_lazy as _

from crm.models import DictItem
from crm.selectors import OWNER_CODENAME
from crm.selectors import teaches_class as user_teaches_class
from rbac.defaults import ADMIN, SALES, SALES_MANAGER, TEACHER
from rbac.registry import object_hook, register

ADMIN_ONLY = (ADMIN,)
WRITE = ("GET", "POST")


@object_hook("crm.teaches_class")
def teaches_class(request, pk, **kwargs) -> bool:
    """The user teaches or advises the class in the URL."""
    return user_teaches_class(request.user, pk)


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

# --- Customers --------------------------------------------------------------------------------
# Which customers each entry reaches is the data scope's business (crm.selectors); entries only
# say which pages and actions a role has.
CONSULTANTS = (SALES_MANAGER, SALES)
MANAGERS = (SALES_MANAGER,)

register(
    "crm.customer_pool",
    _("View the public pool"),
    "crm:customer-pool",
    menu="sales",
    menu_label=_("Public pool"),
    icon="inboxes",
    order=10,
    default_roles=CONSULTANTS,
)
register(
    OWNER_CODENAME,
    _("Own customers (be a consultant)"),
    "crm:customer-mine",
    menu="sales",
    menu_label=_("My customers"),
    icon="person-lines-fill",
    order=20,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_list",
    _("View all customers in the data scope"),
    "crm:customer-list",
    menu="sales",
    menu_label=_("All customers"),
    icon="people",
    order=30,
    default_roles=MANAGERS,
)
register(
    "crm.customer_trash",
    _("View the recycle bin"),
    "crm:customer-trash",
    menu="sales",
    menu_label=_("Recycle bin"),
    icon="trash",
    order=40,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_restore",
    _("Restore deleted customers"),
    "crm:customer-restore",
    methods=("POST",),
    parent="crm.customer_trash",
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_detail",
    _("View customers"),
    "crm:customer-detail",
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
# A capability rather than a page: it grants no request (no methods), it makes the lists, the
# detail page and exports show full contact details of every customer in the scope.
register(
    "crm.customer_contacts_all",
    _("See the full contact details of every customer in the data scope"),
    "crm:customer-detail",
    methods=(),
    parent=OWNER_CODENAME,
    default_roles=MANAGERS,
)
register(
    "crm.customer_create",
    _("Enter customers"),
    "crm:customer-create",
    methods=WRITE,
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_notify_owner",
    _("Notify the owner of a duplicate"),
    "crm:customer-notify-owner",
    methods=("POST",),
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_update",
    _("Edit customers"),
    "crm:customer-update",
    methods=WRITE,
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_delete",
    _("Delete customers (to the recycle bin)"),
    "crm:customer-delete",
    methods=("POST",),
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.followup_create",
    _("Log follow-ups"),
    "crm:followup-create",
    methods=WRITE,
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_claim",
    _("Claim customers from the public pool"),
    "crm:customer-claim",
    methods=("POST",),
    parent="crm.customer_pool",
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_release",
    _("Release customers to the public pool"),
    "crm:customer-release",
    methods=("POST",),
    parent=OWNER_CODENAME,
    default_roles=CONSULTANTS,
)
register(
    "crm.customer_transfer",
    _("Transfer customers between consultants"),
    "crm:customer-transfer",
    methods=WRITE,
    parent="crm.customer_list",
    default_roles=MANAGERS,
)
# Batch actions: one URL, one entry per action, told apart by the posted `action`.
for action, label, parent, roles in (
    ("claim", _("Claim customers in batches"), "crm.customer_pool", CONSULTANTS),
    ("release", _("Release customers in batches"), OWNER_CODENAME, CONSULTANTS),
    ("delete", _("Delete customers in batches"), OWNER_CODENAME, CONSULTANTS),
    ("transfer", _("Transfer customers in batches"), "crm.customer_list", MANAGERS),
):
    register(
        f"crm.customer_batch_{action}",
        label,
        "crm:customer-batch",
        methods=("POST",),
        params={"action": action},
        parent=parent,
        default_roles=roles,
    )
# Export: one entry per list, so the scope of the export is the scope of the list.
for list_kind, label, parent, roles in (
    ("pool", _("Export the public pool"), "crm.customer_pool", CONSULTANTS),
    ("mine", _("Export own customers"), OWNER_CODENAME, CONSULTANTS),
    ("all", _("Export all customers in the data scope"), "crm.customer_list", MANAGERS),
):
    register(
        f"crm.customer_export_{list_kind}",
        label,
        "crm:customer-export",
        params={"list": list_kind},
        parent=parent,
        default_roles=roles,
    )
# Import: the upload page is in the menu; the template, the mapping/progress page and the
# problems report come with it. Auto-allocating the imported leads to colleagues is a manager's
# capability (no request of its own: it adds the choice to the mapping page).
register(
    "crm.customer_import",
    _("Import customers from spreadsheets"),
    "crm:customer-import",
    methods=WRITE,
    menu="sales",
    menu_label=_("Import customers"),
    icon="upload",
    order=35,
    default_roles=CONSULTANTS,
)
for suffix, label, url_name, methods in (
    ("template", _("Download the import template"), "crm:customer-import-template", ("GET",)),
    ("detail", _("Map the columns and follow an import"), "crm:customer-import-detail", WRITE),
    ("report", _("Download the rows an import refused"), "crm:customer-import-report", ("GET",)),
):
    register(
        f"crm.customer_import_{suffix}",
        label,
        url_name,
        methods=methods,
        parent="crm.customer_import",
        default_roles=CONSULTANTS,
    )
register(
    "crm.customer_import_allocate",
    _("Auto-allocate imported customers to consultants"),
    "crm:customer-import-detail",
    methods=(),
    parent="crm.customer_import",
    default_roles=MANAGERS,
)
register(
    "crm.poolpolicy_update",
    _("Edit the pool rules"),
    "crm:poolpolicy-update",
    methods=WRITE,
    menu="sales",
    menu_label=_("Pool rules"),
    icon="hourglass-split",
    order=80,
    default_roles=MANAGERS,
)
register(
    "crm.allocation_update",
    _("Edit allocation weights"),
    "crm:allocation-update",
    methods=WRITE,
    menu="sales",
    menu_label=_("Lead allocation"),
    icon="diagram-3",
    order=85,
    default_roles=MANAGERS,
)
