"""Template filters that turn data into chart geometry (timeline/charts.py)."""

from django import template

from .. import charts

register = template.Library()


@register.filter
def step_chart(history):
    """A figure's revisions as a step chart, or None with fewer than two standing reports."""
    return charts.step_chart(history)
