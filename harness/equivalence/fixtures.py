"""What the harness needs to call the cases: seed rows and the argument tables.

Seeds are keyed by table name (every table name in testdata and the example is distinct)
and written straight into each run's fresh SQLite file after the code under test created
its tables, so every run starts from the same rows: lookups by id 1 and 2 or by the
names below find something, id 999 and the name "absent" find nothing, and inserting
one of the seeded names violates the unique constraint on `name`.

Arguments are derived from the signature (see harness.auto_argsets); ARGS below replaces
(`args`) or extends (`extra`) them for functions whose parameters need a shape the
names cannot tell (a dict of column values, an id that must point at a row in a given
state, an amount that takes another branch).
"""

SEEDS = {
    # testdata/casefix.py
    "items": [
        {"id": 1, "name": "widget", "qty": 5},
        {"id": 2, "name": "gadget", "qty": 7},
        {"id": 3, "name": "broken", "qty": -2},
    ],
    # testdata/cases/close_only_guard, no_guard_in_tree
    "widgets": [
        {"id": 1, "name": "alpha"},
        {"id": 2, "name": "beta"},
    ],
    # testdata/cases/guard_made_by_contextmanager_call
    "users": [
        {"id": 1, "name": "alice"},
        {"id": 2, "name": "bob"},
    ],
    # testdata/cases/sqla13_requirements_pin_guard_rewritten, sqla14_pyproject_begin_forms
    "memos": [
        {"id": 1, "name": "todo"},
        {"id": 2, "name": "done"},
    ],
    "tags": [
        {"id": 1, "name": "red"},
        {"id": 2, "name": "blue"},
    ],
    # testdata/cases/config_names_guard
    "restaurants": [
        {"id": 1, "name": "Chez Nous", "city": "Paris"},
        {"id": 2, "name": "Da Mario", "city": "Rome"},
    ],
    # examples/inventory_service
    "categories": [
        {"id": 1, "name": "Tools", "description": "hand tools"},
        {"id": 2, "name": "Fasteners", "description": None},
    ],
    "locations": [
        {"id": 1, "name": "Workshop", "location_type": "room", "parent_id": None},
        {"id": 2, "name": "Shelf A", "location_type": "shelf", "parent_id": 1},
    ],
    "parts": [
        {"id": 1, "name": "Hammer", "part_number": None, "quantity": 3,
         "category_id": 1, "location_id": 2},
        {"id": 2, "name": "M3 screw", "part_number": "M3-10", "quantity": 200,
         "category_id": 2, "location_id": None},
    ],
    "orders": [
        {"id": 1, "supplier": "Acme", "status": "draft",
         "created_at": "2024-01-01 00:00:00.000000"},
        {"id": 2, "supplier": "Bolt Co", "status": "ordered",
         "created_at": "2024-01-02 00:00:00.000000"},
    ],
    "order_items": [
        {"id": 1, "order_id": 1, "part_id": 2, "quantity": 100},
    ],
    "tasks": [
        {"id": 1, "name": "index", "status": "pending", "progress": 0, "error": None},
        {"id": 2, "name": "sync", "status": "running", "progress": 50, "error": None},
        {"id": 3, "name": "old", "status": "done", "progress": 100, "error": None},
    ],
}

# Tables a case uses without creating them, by unit prefix (created before seeding).
SCHEMA = {
    "cases/guard_made_by_contextmanager_call/": [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) UNIQUE)",
    ],
}

# Seeded names that string parameters take in the "existing" argument set, by unit prefix.
EXISTING_NAMES = {
    "cases/close_only_guard": ["alpha", "beta"],
    "cases/no_guard_in_tree": ["alpha", "beta"],
    "cases/config_names_guard": ["Chez Nous", "Da Mario"],
    "cases/guard_made_by_contextmanager_call": ["alice", "bob"],
    "cases/sqla13_requirements_pin_guard_rewritten": ["todo", "done"],
    "cases/sqla14_pyproject_begin_forms": ["red", "blue"],
    "cases/": ["widget", "gadget"],
    "example/": ["Tools", "Workshop"],
}

# (unit, qualified function name) -> {"args": {label: kwargs}} replaces the derived sets,
# {"extra": {label: kwargs}} adds to them.
ARGS = {
    # --- testdata/cases
    ("cases/early_return_before_commit", "restock"): {
        "extra": {"over-capacity": {"name": "widget", "amount": 2000}},
    },
    ("cases/nested_sessions", "copy_item"): {
        "extra": {"copy": {"name": "widget", "new_name": "fresh-copy"}},
    },
    ("cases/manual_lifecycle_next_get_session", "rename_item"): {
        "extra": {"conflict": {"item_id": 1, "new_name": "gadget"}},
    },
    ("cases/checkpoint_commit_manual", "move_stock"): {
        "extra": {"no-destination": {"src_id": 1, "dst_id": 999, "qty": 2}},
    },
    ("cases/local_factory_other_engine", "ping"): {
        # "sqlite://" is pointed at the run's database file like every in-memory URL.
        "args": {"main": {"url": "sqlite://"},
                 "unreachable": {"url": "sqlite:////nonexistent/dir/x.db"}},
    },
    ("cases/guard_made_by_contextmanager_call/users", "rename_user"): {
        "extra": {"rename": {"old": "alice", "new": "carol"}},
    },
    ("cases/config_names_guard/restaurants", "add_restaurant"): {
        "args": {
            "main": {"name": "Le Coin", "city": "Paris"},
            "existing": {"name": "Chez Nous", "city": "Lyon"},
        },
    },
    ("cases/config_names_guard/restaurants", "restaurants_in"): {
        "args": {"main": {"city": "Paris"}, "none": {"city": "Oslo"}},
    },
    # --- examples/inventory_service
    ("example/app.services.category_service", "CategoryService.add_category"): {
        "args": {
            "main": {"category_data": {"name": "Paint", "description": "cans"}},
            "existing": {"category_data": {"name": "Tools"}},
            "bad-column": {"category_data": {"name": "Glue", "colour": "red"}},
        },
    },
    ("example/app.services.category_service", "CategoryService.create_category_quick"): {
        "args": {"main": {"name": "Paint"}, "existing": {"name": "Tools"}},
    },
    ("example/app.services.category_service", "CategoryService.get_category"): {
        "args": {
            "by-id": {"category_id": 1},
            "by-name": {"name": "Fasteners"},
            "missing": {"category_id": 999},
        },
    },
    ("example/app.services.location_service", "LocationService.add_location"): {
        "args": {
            "main": {"name": "Bin 1", "location_type": "bin", "parent_id": 2},
            "root": {"name": "Garage", "location_type": "room"},
            "existing": {"name": "Workshop"},
            "missing-parent": {"name": "Bin 2", "parent_id": 999},
        },
    },
    ("example/app.services.location_service", "LocationService.update_location"): {
        "args": {
            "main": {"location_id": 1, "name": "Garage"},
            "type": {"location_id": 2, "location_type": "bin"},
            "conflict": {"location_id": 2, "name": "Workshop"},
            "missing": {"location_id": 999, "name": "Nowhere"},
        },
    },
    ("example/app.services.order_service", "create_order"): {
        "args": {
            "main": {"supplier": "Acme", "lines": {1: 2}},
            "no-lines": {"supplier": "Bolt Co"},
        },
    },
    ("example/app.services.order_service", "add_item_to_order"): {
        "extra": {"not-draft": {"order_id": 2, "part_id": 1, "quantity": 1}},
    },
    ("example/app.services.part_service", "PartService.get_part_by_name"): {
        "args": {"main": {"name": "Hammer"}, "missing": {"name": "absent"}},
    },
    ("example/app.services.part_service", "PartService.add_part"): {
        "args": {
            "main": {"name": "Saw", "quantity": 2, "category_id": 1, "part_number": "S-1"},
            "existing": {"name": "Hammer"},
        },
    },
    ("example/app.services.part_service", "PartService.update_quantity"): {
        "extra": {"negative": {"part_id": 1, "new_quantity": -1}},
    },
    ("example/app.services.part_service", "PartService.search_parts"): {
        "args": {"main": {"term": "m3"}, "none": {"term": "zzz"}},
    },
    ("example/app.services.part_service", "PartService.try_reserve"): {
        "extra": {"too-many": {"part_id": 1, "amount": 500}},
    },
    ("example/app.services.task_service", "create_task"): {
        "args": {"main": {"name": "reindex"}},
    },
}


def setup_unit(unit, modules, async_url, create_async_engine):
    """Per-unit setup after import, before seeding. `modules` is sys.modules."""
    if unit.startswith("cases/pyproject_names_async_guard"):
        # The case leaves its async factory unbound (binding needs a driver).
        sessions = modules["sessions"]
        sessions._async_factory.configure(bind=create_async_engine(async_url))
