import datetime as dt

import pytest

from jalon.engine.periods import Frequency, Period, PeriodError, period_range, years_between


@pytest.mark.parametrize(
    ("code", "frequency", "start", "end", "position"),
    [
        ("2018", "year", dt.date(2018, 1, 1), dt.date(2018, 12, 31), 2018.0),
        ("2018/19", "academic_year", dt.date(2018, 9, 1), dt.date(2019, 8, 31), 2018 + 8 / 12),
        ("2018-Q1", "quarter", dt.date(2018, 1, 1), dt.date(2018, 3, 31), 2018.0),
        ("2018-Q4", "quarter", dt.date(2018, 10, 1), dt.date(2018, 12, 31), 2018.75),
        ("2018-03", "month", dt.date(2018, 3, 1), dt.date(2018, 3, 31), 2018 + 2 / 12),
        ("2020-02", "month", dt.date(2020, 2, 1), dt.date(2020, 2, 29), 2020 + 1 / 12),
    ],
)
def test_parse_dates_and_position(code, frequency, start, end, position):
    period = Period.parse(code, frequency)
    assert period.code == code
    assert (period.start, period.end) == (start, end)
    assert period.position == pytest.approx(position)
    assert Period.containing(start, frequency) == period
    assert Period.containing(end, frequency) == period


def test_academic_year_with_another_start_month():
    period = Period.parse("2018/19", Frequency.ACADEMIC_YEAR, start_month=10)
    assert (period.start, period.end) == (dt.date(2018, 10, 1), dt.date(2019, 9, 30))
    assert period != Period.parse("2018/19", Frequency.ACADEMIC_YEAR)
    assert Period(Frequency.ACADEMIC_YEAR, 2018) == Period.parse("2018/19", "academic_year")


@pytest.mark.parametrize(
    ("code", "frequency", "message"),
    [
        ("2018/20", "academic_year", "'2018/20' is not an academic year: expected YYYY/YY"),
        ("2018", "academic_year", "is not an academic year"),
        ("2018-Q5", "quarter", "is not a quarter"),
        ("2018-13", "month", "is not a month"),
        ("18", "year", "is not a year"),
        ("2018-03", "year", "is not a year"),
        ("2018", "week", "'week' is not a frequency"),
    ],
)
def test_parse_errors_are_plain_sentences(code, frequency, message):
    with pytest.raises(PeriodError, match=message):
        Period.parse(code, frequency)


def test_shift_next_prev_cross_year_boundaries():
    assert Period.parse("2018-Q4", "quarter").next().code == "2019-Q1"
    assert Period.parse("2018-01", "month").prev().code == "2017-12"
    assert Period.parse("2018-03", "month").shift(-15).code == "2016-12"
    assert Period.parse("2018/19", "academic_year").shift(2).code == "2020/21"
    assert Period.parse("2018", "year").next().code == "2019"


def test_contains_and_ordering_across_frequencies():
    year = Period.parse("2018", "year")
    academic = Period.parse("2018/19", "academic_year")
    q4 = Period.parse("2018-Q4", "quarter")
    december = Period.parse("2018-12", "month")
    august = Period.parse("2019-08", "month")
    assert year.contains(q4) and year.contains(december) and not year.contains(academic)
    assert academic.contains(q4) and academic.contains(august)
    assert not academic.contains(Period.parse("2018-08", "month"))
    assert not q4.contains(year)
    assert sorted([december, q4, academic, year]) == [year, academic, q4, december]
    assert len({year, Period.parse("2018", "year")}) == 1


def test_range_and_years_between():
    first, last = Period.parse("2018-11", "month"), Period.parse("2019-02", "month")
    assert [p.code for p in period_range(first, last)] == [
        "2018-11",
        "2018-12",
        "2019-01",
        "2019-02",
    ]
    assert period_range(last, first) == []
    a, b = Period.parse("2017/18", "academic_year"), Period.parse("2022/23", "academic_year")
    assert years_between(a, b) == pytest.approx(5.0)
    with pytest.raises(PeriodError, match="not on the same period axis"):
        period_range(Period.parse("2018", "year"), b)


def test_invalid_fields():
    with pytest.raises(PeriodError, match="out of range"):
        Period(Frequency.QUARTER, 2018, 5)
    with pytest.raises(PeriodError, match="calendar year"):
        Period(Frequency.ACADEMIC_YEAR, 2018, 0, 1)


def test_periods_survive_pickling_and_copying():
    import copy
    import pickle

    period = Period.parse("2018/19", "academic_year", start_month=10)
    for clone in (pickle.loads(pickle.dumps(period)), copy.deepcopy(period)):
        assert clone == period and hash(clone) == hash(period) and clone.start_month == 10


def test_no_start_month_means_september_for_academic_years():
    day = dt.date(2019, 3, 1)
    assert Period.containing(day, "academic_year", None).code == "2018/19"
    assert Period.parse("2018/19", "academic_year", None).start == dt.date(2018, 9, 1)
    assert Period.containing(day, "year", None).code == "2019"
