from django.http import HttpResponse

from common.access import public


@public
def hello(request):
    """The floor of the stack: every middleware runs, the view renders no template and reads
    nothing. Public, because the permission check must not add queries to the floor; it exists
    only in the benchmark's URLconf (bench.urls), never in the site's."""
    return HttpResponse("hello")
