# proves: a file that does not parse (error on line 4) is reported with its line and skipped, even though it mentions a factory
from casefix import SessionLocal
VALUE = 1
def broken(:
    session = SessionLocal()
    return VALUE
