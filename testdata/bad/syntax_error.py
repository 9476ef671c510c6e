# proves: a file that does not parse (error on line 3) is reported as unparseable and skipped
VALUE = 1
def broken(:
    return VALUE
