"""What goes wrong with a rule at run time, beyond a person's bad input."""


class BrokenReference(Exception):
    """The rule names a person, department, field, template or endpoint that is gone or
    unusable (deactivated, deleted). The engine disables the rule and tells its owner
    this message: word it for them ("Dana Ruiz, named in 'Assign owner', has left.")."""
