"""Small presentation helpers available in every template."""

from django import forms, template

register = template.Library()

CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def bootstrap(bound_field):
    """Render a form field's widget with the Bootstrap class its kind needs."""
    widget = bound_field.field.widget
    if isinstance(widget, CHECK_WIDGETS):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


@register.filter
def is_checkbox(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(bound_field) -> bool:
    return isinstance(bound_field.field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect)
