from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


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
