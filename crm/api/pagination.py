from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Stable keyset pages: no COUNT over a big table, no page drift while partners sync."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 1000
