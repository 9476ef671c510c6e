# What the plan refuses: the HTTP sessions of `get_db_session()` taken for database sessions.
import aiohttp
import boto3
import requests
from vendor_sdk import Session as VendorSession

from app.db import session_scope


def get_db_session():
    return requests.Session()


def fetch_json(url):
    with session_scope() as s:
        return s.get(url).json()


def fetch_status(url):
    with session_scope() as s:
        r = s.get(url)
    return r.status_code


def fetch_with(client, url):
    s = client.Session()
    s.get(url)
    s.close()


def ping(url):
    http = requests.Session()
    http.get(url)


def s3_client():
    s = boto3.Session()
    return s.client("s3")


def s3_resource():
    s = boto3.session.Session(profile_name="ci")
    res = s.resource("s3")
    return res


async def fetch_text(url):
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as r:
            return await r.text()


def vendor_call():
    s = VendorSession()
    s.query("x")
    s.commit()
    s.close()


class Notifier:
    def __init__(self, boto3_module):
        self.boto3 = boto3_module

    def publish(self, topic):
        session = self.boto3.Session(region_name="eu-west-1")
        session.client("sns").publish(TopicArn=topic, Message="hi")
