import json

import settings
from config_manager import manager
from db import Gauge, SessionLocal

out = []
for name, args in [("add_setting", ("tmp-a",)), ("add_setting_via", (manager, "tmp-b"))]:
    try:
        getattr(settings, name)(*args)
        with SessionLocal() as s:
            left = sorted(g.name for g in s.query(Gauge).all())
        # config_changed deletes the tmp- rows: the one just added is gone only if the
        # work was committed before that call.
        out.append([name, "rows left: %r" % (left,)])
    except Exception as exc:
        out.append([name, "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0])])
print(json.dumps(out))
