from tests.factories import ClaimFactory, FigureFactory


def test_current_figure_is_the_latest_report(db):
    first = FigureFactory(best=4)
    FigureFactory(entry=first.entry, scope=first.scope, best=6,
                  as_of=first.as_of.replace(hour=first.as_of.hour + 1))
    ClaimFactory(entry=first.entry)
    [current] = first.entry.current_figures()
    assert current.display == "at least 6 killed"
