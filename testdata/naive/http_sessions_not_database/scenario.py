import json
import sys
import types


class FakeHttpSession:
    """Stands in for requests.Session (not installed here): answers every GET."""

    def get(self, url):
        return types.SimpleNamespace(status_code=200, json=lambda: {"url": url})

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


for name in ["requests", "aiohttp", "boto3", "vendor_sdk"]:
    module = types.ModuleType(name)
    module.Session = FakeHttpSession
    sys.modules[name] = module

from app import http  # noqa: E402

out = []
for name in ["fetch_json", "fetch_status"]:
    try:
        out.append([name, "returned %r" % (getattr(http, name)("http://example.test/a"),)])
    except Exception as exc:
        out.append([name, "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0])])
print(json.dumps(out))
