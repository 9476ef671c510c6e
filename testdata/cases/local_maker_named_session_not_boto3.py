# proves: makers bound to a local `Session` or to `self.Session` do not make `boto3.Session()` (boto3 imported inside a function) a session factory; the local maker's own session is still found
from casefix import engine
from sqlalchemy.orm import sessionmaker


def s3_client(profile: str):
    import boto3

    session = boto3.Session(profile_name=profile)
    return session.client("s3")


class History:
    def __init__(self):
        Session = sessionmaker(bind=engine)
        self.session = Session()


class Store:
    def __init__(self):
        self.Session = sessionmaker(bind=engine)
