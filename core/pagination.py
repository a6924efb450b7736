from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Pages of 50 by default; clients may ask for up to 500 with `?page_size=`."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


# For an APIView whose GET lists rows: one page of them, serialized, with count, next and previous (APIView has
# no paginator of its own; GenericAPIView's would bring its queryset and filter machinery). A comment, not a
# docstring: drf-spectacular would publish a mixin's docstring as each endpoint's description.
class PagedListApi:
    pagination_class = StandardPagination

    def page_response(self, rows, serializer_class):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)
