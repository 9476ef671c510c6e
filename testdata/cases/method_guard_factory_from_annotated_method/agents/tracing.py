import functools


def trace_method(func):
    """Stands for a tracing decorator stacked above the guard's own."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)

    return wrapper
