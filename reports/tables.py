"""What a report builder returns: headline figures, one chart and the table behind it.

The table is the report (the chart draws some of its columns; CSV exports
it); values stay raw (numbers, dates, Decimal) and are formatted in the
viewer's locale by the browser (static/js/reports.js), as `<time>` is.

Column and figure kinds: ``text``, ``number``, ``money`` (in the report's
currency), ``percent`` (0 to 100), ``hours``, ``days``, ``date``, ``month``
(a date, shown as its month), ``person``.
"""

from dataclasses import dataclass, field

from workspace.spreadsheets import cell

KINDS = ("text", "number", "money", "percent", "hours", "days", "date", "month", "person")
CHART_KINDS = ("bar", "hbar", "line", "doughnut")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.kind!r} is not a column kind: {KINDS}.")

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date", "month", "person")


@dataclass(frozen=True)
class Figure:
    """A headline number above the chart ("Win rate 34 %")."""

    label: str
    value: object
    kind: str = "number"
    link: str = ""  # the list behind the number, when there is one


@dataclass(frozen=True)
class Series:
    label: str
    column: str  # the table column it draws
    stack: str = ""  # series with the same stack are stacked


@dataclass(frozen=True)
class Chart:
    """Draws ``series`` (table columns) against the ``labels`` column, row by row."""

    kind: str
    labels: str  # the column naming each row on the axis
    series: tuple[Series, ...]
    value_kind: str = "number"

    def __post_init__(self):
        if self.kind not in CHART_KINDS:
            raise ValueError(f"{self.kind!r} is not a chart kind: {CHART_KINDS}.")


@dataclass
class Report:
    title: str
    columns: list[Column]
    rows: list[dict]
    chart: Chart | None = None
    figures: list[Figure] = field(default_factory=list)
    totals: dict | None = None  # a last row, by column key
    currency: str = ""  # the currency of every money value, when there are some
    notes: list[str] = field(default_factory=list)  # plain sentences under the table
    empty: str = "Nothing in this period."
    row_link: str = ""  # a row key holding a link for the row's first cell

    def chart_data(self) -> dict | None:
        """The chart as plain data for the page's JSON (static/js/reports.js draws it)."""
        if self.chart is None or not self.rows:
            return None
        return {
            "kind": self.chart.kind,
            "valueKind": self.chart.value_kind,
            "labelKind": self._column(self.chart.labels).kind,
            "currency": self.currency,
            "labels": [_label(row.get(self.chart.labels)) for row in self.rows],
            "series": [
                {
                    "label": series.label,
                    "stack": series.stack,
                    "values": [_number(row.get(series.column)) for row in self.rows],
                }
                for series in self.chart.series
            ],
        }

    def _column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def csv_rows(self) -> list[list]:
        """Header then rows (then totals) as CSV cells: the same table, unformatted."""
        header = [column.label for column in self.columns]
        body = [[cell(row.get(column.key)) for column in self.columns] for row in self.rows]
        if self.totals:
            body.append([cell(self.totals.get(column.key)) for column in self.columns])
        return [header, *body]


def _number(value):
    return None if value is None else float(value)


def _label(value) -> str:
    return "" if value is None else str(value)
