import json

import service

out = []
for name, args in [("add_two", ("a", "b")), ("add_deep", (" c ", "d")), ("listing", ())]:
    try:
        out.append([name, "returned %r" % (getattr(service, name)(*args),)])
    except Exception as exc:
        out.append([name, "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0])])
print(json.dumps(out))
