"""Feature building: PostGIS and the batch spatial join agree, borders, outside, gaps."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from routing.features import FeatureBuilder, RoutingRow, clean_text, enrich_batch, jurisdiction_for_point

from .helpers import MSK, region_geometry


def _shared_vertex() -> tuple[float, float, tuple[int, str], tuple[int, str]]:
    districts, _agencies, _north = region_geometry()
    for i, (pk_a, code_a, _n, shape_a) in enumerate(districts):
        for pk_b, code_b, _m, shape_b in districts[i + 1:]:
            border = shape_a.boundary.intersection(shape_b.boundary)
            if border.length > 0:
                for lon, lat in shapely.get_coordinates(border):
                    if shape_a.intersects(shapely.Point(lon, lat)) and shape_b.intersects(shapely.Point(lon, lat)):
                        return float(lon), float(lat), (pk_a, code_a), (pk_b, code_b)
    raise AssertionError("the demo districts share no border")


def test_point_inside_a_district_gets_its_district_and_competent_agencies(region: dict[str, int]) -> None:
    from geoportal.models import Agency, District

    sormovsky = District.objects.get(code="sormovsky")
    centre = sormovsky.boundary.point_on_surface
    code, agency_ids = jurisdiction_for_point(centre.x, centre.y)
    names = set(Agency.objects.filter(pk__in=agency_ids).values_list("short_name", flat=True))
    assert code == "sormovsky"
    assert {"Теплосеть-Север", "Адм. Сормовский", "Комдорхоз"} <= names
    assert "Теплосеть-Юг" not in names and "Адм. Нагорный" not in names
    [row] = enrich_batch([RoutingRow(None, "", lat=centre.y, lon=centre.x)])
    assert row.district_code == code and row.jurisdiction_agency_ids == agency_ids


def test_point_on_a_district_border_goes_to_the_lowest_id_and_both_administrations(region: dict[str, int]) -> None:
    from geoportal.models import Agency

    lon, lat, (pk_a, code_a), (pk_b, code_b) = _shared_vertex()
    expected = code_a if pk_a < pk_b else code_b
    code, agency_ids = jurisdiction_for_point(lon, lat)
    assert code == expected
    admins = set(Agency.objects.filter(pk__in=agency_ids, kind="district_administration").values_list(
        "districts__code", flat=True))
    assert {code_a, code_b} <= admins  # both districts' administrations are competent on the border
    [row] = enrich_batch([RoutingRow(None, "", lat=lat, lon=lon)])
    assert (row.district_code, row.jurisdiction_agency_ids) == (code, agency_ids)


def test_point_outside_every_district_has_no_district_or_agency(region: dict[str, int]) -> None:
    code, agency_ids = jurisdiction_for_point(37.6, 55.75)  # Moscow: far outside the demo city
    assert code is None and agency_ids == ()
    [row] = enrich_batch([RoutingRow(None, "текст", lat=55.75, lon=37.6, district_code="stale")])
    assert row.district_code is None and row.jurisdiction_agency_ids == ()


def test_batch_join_matches_postgis_for_random_points(region: dict[str, int]) -> None:
    rng = random.Random(7)
    rows = [RoutingRow(i, "", lat=56.3269 + rng.uniform(-0.1, 0.1), lon=44.0059 + rng.uniform(-0.2, 0.2))
            for i in range(40)]
    enriched = enrich_batch(rows)
    for row in enriched:
        assert row.lon is not None and row.lat is not None
        assert (row.district_code, row.jurisdiction_agency_ids) == jurisdiction_for_point(row.lon, row.lat)
    assert sum(1 for r in enriched if r.district_code is None) < len(enriched)  # most land inside


def test_rows_without_point_keep_their_typed_district(region: dict[str, int]) -> None:
    rows = [RoutingRow(1, "нет света", district_code="nagorny"), RoutingRow(2, "", lat=float("nan"), lon=44.0)]
    assert enrich_batch(rows) == rows


def test_clean_text_strips_html_and_normalises() -> None:
    assert clean_text("<p>Не&nbsp;горит <b>ФОНАРЬ</b></p><br/>Ёлка №5") == "не горит фонарь елка 5"
    assert clean_text(None) == "" and clean_text("<br/>") == ""


def test_feature_matrix_handles_missing_point_text_category_and_date() -> None:
    when = dt.datetime(2024, 1, 15, tzinfo=MSK)
    train = [RoutingRow(1, "Не горит фонарь", "light", ("light", "city"), 56.3, 44.0, "nagorny", (5, 7), "web", when),
             RoutingRow(2, "Яма на дороге", "roads", ("roads", "city"), 56.31, 44.01, "sovetsky", (5,), "phone",
                        when)]
    builder = FeatureBuilder(min_df=1).fit(train, [1, 2])
    rows = [RoutingRow(3, "", None, (), None, None, None, (), None, None),
            RoutingRow(4, "<p>фонарь</p>", "light", ("light", "city"), None, None, "nagorny", (), None, when)]
    X = builder.transform(rows).toarray()
    meta = builder.meta_
    col = {(m.group, m.key): i for i, m in enumerate(meta)}
    assert X.shape == (2, len(meta))
    assert X[0, col[("flag", "no_point")]] == 1 and X[0, col[("flag", "no_text")]] == 1
    assert X[0, col[("flag", "no_category")]] == 1
    assert not X[0, [i for i, m in enumerate(meta) if m.group == "coords"]].any()
    assert X[1, col[("category", "light")]] == 1 and X[1, col[("category", "city")]] == 1
    assert X[1, col[("district", "nagorny")]] == 1 and X[1, col[("month", 1)]] == 1
    assert X[1, col[("season", "зима")]] == 1
    assert X[1, col[("text", "фонарь")]] > 0
    full = builder.transform(train[:1]).toarray()
    assert full[0, col[("coords", "lat")]] == pytest.approx(56.3)
    assert full[0, col[("jurisdiction", 7)]] == 1
    assert np.isfinite(full).all()


def test_batch_cleaning_equals_one_by_one() -> None:
    from routing.features import clean_texts

    texts = ["<p>Не&nbsp;горит <b>ФОНАРЬ</b></p>", None, "", "температура < 10 градусов", "а > б, <i>ёлка</i>",
             "&lt;b&gt;жирный&lt;/b&gt; &amp; снег", "snake_case и  двойные   пробелы", "<br/>", "№ 17!",
             "незакрытый <тег до конца", "разделитель \x1f внутри"]
    assert clean_texts(texts) == [clean_text(t) for t in texts]
    assert clean_texts(texts[:-1]) == [clean_text(t) for t in texts[:-1]]  # the fast path (no separator inside)
    assert clean_texts([]) == []


def test_batch_words_equal_the_words_of_each_cleaned_text() -> None:
    from routing.features import text_tokens

    texts = ["<p>Не&nbsp;горит <b>ФОНАРЬ</b></p>", None, "", "температура < 10 градусов", "а > б, <i>ёлка</i>",
             "&lt;b&gt;жирный&lt;/b&gt; &amp; снег", "snake_case и  двойные   пробелы", "<br/>", "№ 17!",
             "незакрытый <тег до конца", "Straße — naïve café", "tab\tnew\nline\u00a0nbsp", "разделитель \x1f внутри"]

    def expected(batch: list[str | None]) -> list[str]:
        out: list[str] = []
        for i, text in enumerate(batch):
            out += (["\x1f"] if i else []) + clean_text(text).split()
        return out

    assert text_tokens(texts[:-1]) == expected(texts[:-1])  # one regex pass over the joined texts
    plain = [t for t in texts[:-1] if "_" not in (t or "")]
    assert len(plain) == len(texts) - 2 and text_tokens(plain) == expected(plain)  # runs of \w: no «_» to cut at
    assert text_tokens(texts) == expected(texts)  # a text holds the separator: one by one
    assert text_tokens(["<b>один</b>"]) == ["один"] and text_tokens([]) == []


def test_byte_words_equal_the_words_when_windows_1251_holds_every_character() -> None:
    from routing.features import byte_tokens, text_tokens

    texts = ["<p>Не&nbsp;горит <b>ФОНАРЬ</b></p>", None, "", "Ёлка, ёж — «школа № 17»!", "snake_case_x и 2-й дом",
             "&lt;b&gt;жирный&lt;/b&gt; &amp; снег", "µ-метр, €5, ‰, ™ Ђђ Ўў Ї ї Ґ", "tab\tnew\nline\u00a0nbsp",
             "Latin Words 42", "<br/>", "   "]
    encoded = byte_tokens(texts)
    assert encoded is not None
    assert [w.decode("cp1251") for w in encoded] == text_tokens(texts)
    every = "".join(bytes([b]).decode("cp1251") for b in range(32, 256) if b != 0x98)  # each character once
    encoded = byte_tokens([every, every[::-1], " ".join(every)])
    assert encoded is not None
    assert [w.decode("cp1251") for w in encoded] == text_tokens([every, every[::-1], " ".join(every)])
    assert byte_tokens(["яма 🕳", "фонарь"]) is None and byte_tokens(["Straße"]) is None  # not in Windows-1251
    assert byte_tokens(["разделитель \x1f внутри"]) is None


def test_batch_matrix_equals_the_rows_built_one_at_a_time() -> None:
    """A batch shares caches (word ids, structured columns per combination of codes, gathered
    with numpy): it must give each row exactly what a fresh builder gives that row alone."""
    import pickle

    when = dt.datetime(2024, 7, 3, tzinfo=MSK)
    train = [RoutingRow(1, "Не горит фонарь у дома", "light", ("light", "city"), 56.3, 44.0, "nagorny", (5, 7),
                        "web", when),
             RoutingRow(2, "Яма на дороге у дома", "roads", ("roads", "city"), 56.31, 44.01, "sovetsky", (5,),
                        "phone", when),
             RoutingRow(3, "фонарь не горит во дворе", "light", ("light", "city"), None, None, "sovetsky", (), None,
                        None)]
    builder = FeatureBuilder(min_df=1).fit(train, [1, 2, 1])
    rows = [*train, RoutingRow(4, "<p>Яма</p> на дороге!", "roads", ("roads", "city"), 56.2, 44.1, None, (7,),
                               "web", when),
            RoutingRow(5, "", None, (), float("nan"), 44.0, None, (), None, None),
            RoutingRow(6, "новые слова у дома", "unknown", ("unknown",), 56.3, 44.0, "nagorny", (5, 7), "mail",
                       when), *train]
    rows_with_emoji = [*rows, RoutingRow(8, "Не горит фонарь 🔦 у дома")]  # the batch reads words as str
    fresh = pickle.dumps(builder)  # no caches travel with the builder
    batch = builder.transform(rows)
    one_by_one = sp.vstack([pickle.loads(fresh).transform([row]) for row in rows], format="csr")
    one_by_one.sort_indices()
    assert batch.shape == one_by_one.shape and batch.has_sorted_indices
    assert np.array_equal(batch.indptr, one_by_one.indptr) and np.array_equal(batch.indices, one_by_one.indices)
    assert np.array_equal(batch.data, one_by_one.data)
    assert np.array_equal(builder.transform(rows[::-1]).toarray(), batch.toarray()[::-1])  # caches now warm
    mixed = builder.transform(rows_with_emoji)
    alone = sp.vstack([pickle.loads(fresh).transform([row]) for row in rows_with_emoji], format="csr")
    assert np.array_equal(mixed.toarray(), alone.toarray()) and mixed[-1, builder.structured_width_:].nnz > 0


def test_texts_without_words_get_the_no_text_flag() -> None:
    train = [RoutingRow(1, "Не горит фонарь"), RoutingRow(2, "Яма на дороге"), RoutingRow(3, "фонарь не горит")]
    builder = FeatureBuilder(min_df=1, use_location=False).fit(train, [1, 2, 1])
    rows = [RoutingRow(4, "!!! ..."), RoutingRow(5, "<br/>"), RoutingRow(6, "фонарь!"), RoutingRow(7, "")]
    X = builder.transform(rows).toarray()
    flag = next(i for i, m in enumerate(builder.meta_) if (m.group, m.key) == ("flag", "no_text"))
    assert X[:, flag].tolist() == [1, 1, 0, 1]
    assert X[2, builder.structured_width_:].any() and not X[[0, 1, 3], builder.structured_width_:].any()


@pytest.mark.parametrize("mode", ["stems", "char"])
def test_text_block_equals_sklearn_tfidf_over_the_kept_terms(mode: str) -> None:
    """The selected terms are counted and weighted by our own code: it must give what sklearn's
    TfidfVectorizer gives for the same vocabulary (same idf: fitted on the same texts)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    train_texts = ["Не горит уличный фонарь у дома", "Фонари не горят во дворе", "Яма на дороге у дома",
                   "Глубокая яма на проезжей части", "Не вывозят мусор во дворе", "Мусор не вывозили у дома",
                   "Не горит фонарь у подъезда", "Яма у подъезда во дворе", ""]
    rows = [RoutingRow(i, t) for i, t in enumerate(train_texts)]
    builder = FeatureBuilder(text_mode=mode, min_df=1, max_text_features=12, use_location=False)
    builder.fit(rows, [0, 0, 1, 1, 2, 2, 0, 1, 2])  # light, road, waste
    assert len(builder.text_terms_) == 12
    if mode == "stems":
        assert any(" " in t for t in builder.text_terms_) and any(t.endswith("…") for t in builder.text_terms_)
    texts = ["фонарь фонарь фонари не горит не горит", "у дома яма яма у дома", "совсем новые слова здесь",
             "", "а б в у дома", "<p>не&nbsp;горит</p> уличный фонарь", "горит", "во дворе во дворе мусор"]
    X = builder.transform([RoutingRow(100 + i, t) for i, t in enumerate(texts)])
    text_block = X[:, builder.structured_width_:].toarray()
    vocabulary = {term: j for j, term in enumerate(builder.text_terms_)}
    if mode == "stems":
        reference = TfidfVectorizer(analyzer=builder._stem_analyzer, vocabulary=vocabulary, sublinear_tf=True)
    else:
        reference = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), vocabulary=vocabulary, sublinear_tf=True)
    reference.fit([clean_text(t) for t in train_texts if clean_text(t)])
    expected = reference.transform([clean_text(t) for t in texts]).toarray()
    assert text_block.shape == expected.shape
    assert np.abs(text_block - expected).max() < 1e-6
    assert text_block.any(axis=1).sum() >= 2 and not text_block[3].any()  # the empty text has no terms
