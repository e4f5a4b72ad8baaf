"""The reads behind the four list pages (clients, contacts, deals, tickets).

One small framework, one declaration per list: a :class:`ListSpec` names its
filters, sortable columns, search fields and suggested views. :func:`read`
turns a query string into a :class:`ListState` (bad values are dropped with a
note a person can read, never an error), :func:`rows` gives the ordered
queryset, :func:`page_rows` the same for the paginator (a page's ids first,
then their rows), and :func:`row` one record annotated exactly like a page
row, for the live fragments. Every list runs a fixed number of queries whatever its
size: annotations are correlated subqueries, relations are joined.

Modules: ``filters`` (the kinds of filter and periods), ``state`` (ListSpec,
ListState, reading a query string, the rows) and ``specs`` (the four lists).
"""

from records.selectors.lists.filters import (
    PERIODS,
    AmountFilter,
    ChoiceFilter,
    Filter,
    Invalid,
    Option,
    PersonFilter,
    RelatedFilter,
    TagFilter,
    Where,
    choice_options,
    matches,
    period_options,
)
from records.selectors.lists.specs import (
    BY_NOUN,
    CLIENTS,
    CONTACTS,
    DEALS,
    LISTS,
    OPEN_STATUSES,
    SLA_DUE_SOON,
    TICKETS,
)
from records.selectors.lists.state import (
    PAGE_KEY,
    PER_PAGE,
    SEARCH_KEY,
    SORT_KEY,
    BoundFilter,
    Column,
    Header,
    IdsFirst,
    ListSpec,
    ListState,
    add_filter,
    bound_filters,
    page_rows,
    read,
    row,
    rows,
)

__all__ = [
    "BY_NOUN",
    "CLIENTS",
    "CONTACTS",
    "DEALS",
    "LISTS",
    "OPEN_STATUSES",
    "PAGE_KEY",
    "PERIODS",
    "PER_PAGE",
    "SEARCH_KEY",
    "SLA_DUE_SOON",
    "SORT_KEY",
    "TICKETS",
    "AmountFilter",
    "BoundFilter",
    "ChoiceFilter",
    "Column",
    "Filter",
    "Header",
    "IdsFirst",
    "Invalid",
    "ListSpec",
    "ListState",
    "Option",
    "PersonFilter",
    "RelatedFilter",
    "TagFilter",
    "Where",
    "add_filter",
    "bound_filters",
    "choice_options",
    "matches",
    "page_rows",
    "period_options",
    "read",
    "row",
    "rows",
]
