"""The texts the site's scripts show (``T("…")`` in frontend_map's static JS), translated on
the server: every page of a non-default language carries its catalogue inline (base.html,
``window.gettext``), so popups and lists follow the page's language without another request
(and keep working offline from the service worker's cached page). Russian pages carry
nothing: the scripts' own texts are Russian. tests/frontend_map/test_english_labels.py keeps
this list in step with the scripts."""
from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_noop as N_

JS_TEXTS: tuple[str, ...] = (
    # public-map.js: the appeal popup, points notice, cluster titles
    N_("Категория"), N_("Статус"), N_("Исполнитель"), N_("Поступило"), N_("Адрес"), N_("обращений"),
    N_("Показаны"), N_("из"), N_("Приблизьте карту или уточните фильтры."), N_("Обращений в видимой области"),
    N_("Они показаны группами."),
    # queue.js: the agency queue list and popups
    N_("срок нарушен"), N_("срок истекает"), N_("в срок"), N_("Не удалось выполнить действие."), N_("Выбрать"),
    N_("новое"), N_("Срок"), N_("исполнитель"), N_("Взять в работу"), N_("Ответить"), N_("Переадресовать"),
    N_("На карте"), N_("Очередь пуста: новых обращений по выбранным условиям нет."), N_("Новых обращений"),
    N_("Обновлено"), N_("в списке"), N_("— не назначен —"),
    # report.js: the report form
    N_("Место проблемы"), N_("Метка"),
    N_("Метка стоит там, где вы находитесь. Коснитесь карты или перетащите метку, чтобы уточнить."),
    N_("Не удалось определить местоположение. Коснитесь карты, чтобы поставить метку."),
    N_("Коснитесь карты, чтобы поставить метку."), N_("Поддержали"), N_("Открыть"), N_("Поддержать вместо нового"),
    N_("Спасибо! Вы поддержали обращение"), N_("Не удалось"), N_("Обращение отправлено."), N_("Мои обращения"),
    N_("Нет сети: обращение сохранено на телефоне и будет отправлено автоматически, как только связь появится."),
    N_("Не удалось отправить обращение."), N_("Поставьте метку на карте."), N_("Выберите категорию."),
    N_("Опишите проблему хотя бы в 10 символах."), N_("Для этой категории нужна фотография."),
    N_("(обязательно для этой категории)"), N_("Ничего не нашлось: выберите категорию из списка."),
    # leadership.js: the heat map and choropleth
    N_("В области карты"), N_("ячеек"), N_("на 1000 жителей"), N_("обращений на 1000 жителей"),
)


def catalogue() -> dict[str, str]:
    """The scripts' texts in the active language ({} on pages in the default language)."""
    if (get_language() or settings.LANGUAGE_CODE) == settings.LANGUAGE_CODE:
        return {}
    return {text: gettext(text) for text in JS_TEXTS}
