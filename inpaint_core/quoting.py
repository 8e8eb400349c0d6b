"""Short quotes of given values for error sentences: a 1 MB value never comes back in a 1 MB error. Imports nothing."""

QUOTE_CHARS = 80  # at most this much of a value is quoted back


def quote(value, limit: int = QUOTE_CHARS) -> str:
    """`value` as repr shows it, cut to `limit` characters with its full size after the cut."""
    try:
        shown = repr(value)
    except ValueError:  # an integer past Python's 4300 digits for str()
        return "an integer of over 4300 digits"
    if len(shown) <= limit:
        return shown
    size = f"{len(value)} characters" if isinstance(value, str) else f"a {type(value).__name__}"
    return f"{shown[:limit]}… ({size})"
