from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control


class SiteLanguageMiddleware(LocaleMiddleware):
    """Use the language the user picked with the switcher, else the school's LANGUAGE_CODE.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which shows an English
    UI to staff whose browsers happen to be English. Schools choose their default instead.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreMiddleware:
    """Mark every response `Cache-Control: no-store` unless its view chose a Cache-Control itself.

    Nearly every EduCRM page shows personal data (customers' phones, a student's ID card number on
    the public enrollment form, exports, documents), and a page cached by the browser or a proxy
    outlives the sign-out: the next person at a shared office computer presses Back and reads it.
    Telling which pages are harmless would be a rule to get wrong one day, so the rule is the
    other way round: nothing is stored. Static files never reach this middleware (whitenoise,
    above it, answers them with its long-lived caching), and a view that sets Cache-Control has
    decided for itself (Django's never_cache on the login and password views says no-store too).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response
