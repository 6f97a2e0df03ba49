"""Only the methods Jalon answers: GET, HEAD and POST (OPTIONS for the API). Any other,
on any URL, is 405 before a view runs; the API says so in its own error shape."""

import json

from django.http import HttpResponseNotAllowed

PAGES = ("GET", "HEAD", "POST")
API = (*PAGES, "OPTIONS")


class AllowedMethods:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        allowed = API if api else PAGES
        if request.method not in allowed:
            response = HttpResponseNotAllowed(allowed)
            if api:
                response.content = json.dumps(
                    {
                        "error": {
                            "code": "method_not_allowed",
                            "problems": [],
                            "message": f"{request.method} is not answered here",
                        }
                    }  # fmt: skip
                ).encode()
                response["Content-Type"] = "application/json"
            return response
        return self.get_response(request)
