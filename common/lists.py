"""Helpers every list page uses: a FilterSet over an already scoped queryset, a page-size choice,
one capped COUNT, and row links reversed once a page."""

from collections.abc import Callable
from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

# A list counts its rows up to this many (or up to the page asked for): counting every one of a
# million customers that match a filter costs more than the rest of the page.
COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """A paginator that counts at most `COUNT_CAP` rows, or as many as reach one row past the
    page asked for, and says "more than" when there are more. The count reads no joined table
    and keeps no order, so the database counts from whichever index fits the filter best."""

    def __init__(self, object_list, per_page: int, *, wanted_page: int, cap: int = COUNT_CAP):
        super().__init__(object_list, per_page)
        self.limit = max(cap, wanted_page * per_page) + 1

    @cached_property
    def count(self) -> int:
        return self.object_list.select_related(None).order_by()[: self.limit].count()

    def page(self, number):
        """Django's page, with its rows read in two steps inside one query: the ids of the page
        first, from the index alone, then those rows. A deep page (1000 of the pool) skips its
        19,980 earlier rows in the index instead of reading each from the table."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        ids = self.object_list.select_related(None).values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)

    @property
    def capped(self) -> bool:
        """Whether there are more rows than were counted."""
        return self.count >= self.limit

    @property
    def counted(self) -> int:
        """The number a page shows: the exact count, or the "more than" figure when capped."""
        return self.limit - 1 if self.capped else self.count

    def page_links(self, number: int):
        """The page numbers to link, around `number`: Django's elided range, without the last
        pages when they are not known."""
        if not self.capped:
            return list(self.get_elided_page_range(number))
        links = [
            link for link in self.get_elided_page_range(number) if link == self.ELLIPSIS or link <= number + 3
        ]
        while links and links[-1] == self.ELLIPSIS:
            links.pop()
        return [*links, self.ELLIPSIS]


# No list has this many pages; a larger number would only make the count's LIMIT overflow
# PostgreSQL's bigint. A page past the last shows the last, as Django's get_page does.
MAX_PAGE = 1_000_000


def wanted_page(request: HttpRequest) -> int:
    try:
        return min(max(1, int(request.GET.get("page", 1))), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def page_size_from(request: HttpRequest) -> int:
    sizes = settings.LIST_PAGE_SIZES
    try:
        size = int(request.GET.get("size", sizes[0]))
    except (TypeError, ValueError):
        return sizes[0]
    return size if size in sizes else sizes[0]


def bound_params(request: HttpRequest) -> dict[str, str]:
    """The request parameters the permission entry of this page requires (a sales manager's
    ?kind=source): a link that drops them would be refused, so "Clear" keeps them."""
    access = getattr(request, "rbac", None)
    entry = access.current_entry if access is not None else None
    if entry is None:
        return {}
    return {name: request.GET[name] for name in entry.params if name in request.GET}


def filtered_page(request: HttpRequest, filterset) -> dict:
    """Context for a list template: the filter form, the current page and the page sizes.

    An invalid filter (say a non-numeric id) shows the form errors and an empty page, never a 500.
    """
    queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    paginator = CappedPaginator(queryset, page_size_from(request), wanted_page=wanted_page(request))
    page = paginator.get_page(request.GET.get("page"))
    bound = bound_params(request)
    not_filters = {"page", "size", "o", *bound}
    return {
        "filter": filterset,
        "page_obj": page,
        "page_links": paginator.page_links(page.number),
        "object_list": page.object_list,
        "page_sizes": settings.LIST_PAGE_SIZES,
        "is_filtered": any(value for key, value in request.GET.items() if key not in not_filters),
        "clear_url": f"?{urlencode(bound)}",
    }


def simple_page(request: HttpRequest, queryset):
    """One page of an unfiltered list (for example a user's own notifications)."""
    return Paginator(queryset, page_size_from(request)).get_page(request.GET.get("page"))


# An id no row has, reversed once and then replaced by each row's own.
_ROW_ID_MARK = 987654321987654321


def row_url(url_name: str) -> Callable[[int], str]:
    """`row_url("crm:customer-detail")(42)` is `reverse("crm:customer-detail", args=[42])`.

    A list page links every row to a few pages; reversing each link per row costs more than the
    rest of the row. This reverses once and formats each id into the result."""
    mark = str(_ROW_ID_MARK)
    prefix, found, suffix = reverse(url_name, args=[_ROW_ID_MARK]).partition(mark)
    if not found or mark in suffix:
        raise ValueError(f"{url_name} does not take the row's id as its one argument")
    return lambda pk: f"{prefix}{pk}{suffix}"


def attach_row_urls(rows, **url_names: str) -> None:
    """Give each row a `urls` dict: `attach_row_urls(page, detail="crm:customer-detail")` lets the
    template write `{{ row.urls.detail }}`."""
    builders = {key: row_url(name) for key, name in url_names.items()}
    for row in rows:
        row.urls = {key: build(row.pk) for key, build in builders.items()}
