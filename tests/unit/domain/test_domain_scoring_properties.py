"""Property tests: valid answers always score within range; invalid ones raise ScoringError only."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_desktop.domain.errors import ScoringError
from alliance_desktop.domain.instruments import INSTRUMENTS, Instrument, Item
from alliance_desktop.domain.scoring import score

ALL = list(INSTRUMENTS.values())
IDS = list(INSTRUMENTS)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def grid_value(item: Item) -> st.SearchStrategy[float]:
    """Values on the item's grid, computed the naive way so float noise is included."""
    steps = round((item.maximum - item.minimum) / item.step)
    return st.integers(0, steps).map(lambda k: item.minimum + k * item.step)


@st.composite
def valid_answers(draw: st.DrawFn, instrument: Instrument) -> list[float | None]:
    """A valid answer list, with missing answers only where the definition allows them."""
    values: list[float | None] = [draw(grid_value(item)) for item in instrument.items]
    required = [i.number for i in instrument.items if not i.optional]
    missing = draw(
        st.lists(
            st.sampled_from(required) if required else st.nothing(),
            max_size=instrument.max_prorated_items,
            unique=True,
        )
    )
    for number in missing:
        values[number - 1] = None
    optional = [i.number for i in instrument.items if i.optional]
    for number in optional:
        if draw(st.booleans()):
            values[number - 1] = None
    if all(v is None for v in values):
        values[draw(st.sampled_from(optional or required)) - 1] = draw(
            grid_value(instrument.items[0])
        )
    while len(values) > instrument.min_values and values[-1] is None and draw(st.booleans()):
        values.pop()  # trailing optional answers may be left out
    return values


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_valid_answers_always_score_within_range(instrument: Instrument) -> None:
    @FAST
    @given(valid_answers(instrument))
    def check(values: list[float | None]) -> None:
        result = score(instrument, values)
        assert result.total is not None
        assert instrument.total_min <= result.total <= instrument.total_max
        assert result.answered == sum(v is not None for v in values)
        assert result.band == instrument.band_for(result.total)
        assert all(math.isfinite(v) for v in result.subscales.values())
        # Rounded totals carry no float noise.
        assert result.total == round(result.total, instrument.total_decimals)

    check()


@st.composite
def invalid_answers(draw: st.DrawFn, instrument: Instrument) -> Any:
    """An answer list broken in exactly one way the scorer must refuse."""
    base: list[Any] = [draw(grid_value(item)) for item in instrument.items]
    position = draw(st.integers(0, len(base) - 1))
    item = instrument.items[position]
    kind = draw(
        st.sampled_from(
            [
                "above",
                "below",
                "off_grid",
                "nan",
                "inf",
                "bool",
                "str",
                "too_many",
                "too_few",
                "too_many_missing",
                "not_a_list",
            ]
        )
    )
    if kind == "above":
        base[position] = item.maximum + item.step * draw(st.integers(1, 1000))
    elif kind == "below":
        base[position] = item.minimum - item.step * draw(st.integers(1, 1000))
    elif kind == "off_grid":
        steps = round((item.maximum - item.minimum) / item.step)
        k = draw(st.integers(0, steps - 1))
        fraction = draw(st.floats(0.01, 0.99))
        base[position] = item.minimum + (k + fraction) * item.step
    elif kind == "nan":
        base[position] = math.nan
    elif kind == "inf":
        base[position] = draw(st.sampled_from([math.inf, -math.inf]))
    elif kind == "bool":
        base[position] = draw(st.booleans())
    elif kind == "str":
        base[position] = draw(st.text(max_size=5))
    elif kind == "too_many":
        return base + [draw(grid_value(item)) for _ in range(draw(st.integers(1, 3)))]
    elif kind == "too_few":
        return base[: draw(st.integers(0, instrument.min_values - 1))]
    elif kind == "too_many_missing":
        required = [i.number for i in instrument.items if not i.optional]
        if len(required) <= instrument.max_prorated_items:
            return [None] * len(instrument.items)  # nothing answered at all
        gone = draw(
            st.lists(
                st.sampled_from(required),
                min_size=instrument.max_prorated_items + 1,
                max_size=len(required),
                unique=True,
            )
        )
        for number in gone:
            base[number - 1] = None
    else:
        junk = st.one_of(
            st.none(), st.integers(), st.text(), st.dictionaries(st.text(), st.integers())
        )
        return draw(junk)
    return base


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_invalid_answers_raise_scoring_error_only(instrument: Instrument) -> None:
    @FAST
    @given(invalid_answers(instrument))
    def check(values: Any) -> None:
        with pytest.raises(ScoringError) as info:
            score(instrument, values)
        assert str(info.value).strip()

    check()


@pytest.mark.parametrize("instrument", ALL, ids=IDS)
def test_arbitrary_input_never_raises_anything_else(instrument: Instrument) -> None:
    anything = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=3),
    )

    @FAST
    @given(st.lists(anything, max_size=len(instrument.items) + 2))
    def check(values: list[Any]) -> None:
        try:
            result = score(instrument, values)
        except ScoringError as error:
            assert str(error).strip()
        else:
            assert result.total is not None
            assert instrument.total_min <= result.total <= instrument.total_max

    check()
