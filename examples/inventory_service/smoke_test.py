"""Proves the example runs: in-memory SQLite, a few service calls, plain asserts.

Run from this folder: python smoke_test.py
"""
import asyncio
import os

os.environ.setdefault("INVENTORY_DB", "sqlite://")

from app import api, reporting  # noqa: E402
from app.errors import DuplicateResourceError, ResourceNotFoundError  # noqa: E402
from app.models import create_tables  # noqa: E402
from app.services import order_service, task_service  # noqa: E402, F401
from app.services.category_service import CategoryService  # noqa: E402
from app.services.location_service import LocationService  # noqa: E402
from app.services.part_service import PartService, bulk_adjust, rename_part  # noqa: E402


def main() -> None:
    create_tables()

    # categories
    tools = CategoryService.add_category({"name": "Tools", "description": "hand tools"})
    assert tools["status"] == "success"
    tools_id = tools["data"]["id"]
    fasteners = CategoryService.create_category_quick("Fasteners")
    assert CategoryService.get_category(name="Fasteners")["id"] == fasteners["id"]
    assert [c["name"] for c in CategoryService.get_all_categories()] == ["Fasteners", "Tools"]
    assert CategoryService.rename_category(fasteners["id"], "Screws") is True
    assert CategoryService.rename_category(fasteners["id"], "Tools") is False

    # locations
    shop = LocationService.add_location("Workshop", "room")
    shelf = LocationService.add_location("Shelf A", "shelf", parent_id=shop["id"])
    assert LocationService.location_path(shelf["id"]) == ["Workshop", "Shelf A"]
    details = LocationService.get_location_details(shop["id"])
    assert details["data"]["children"][0]["name"] == "Shelf A"
    assert LocationService.update_location(shelf["id"], name="Shelf B")["name"] == "Shelf B"
    assert len(LocationService.get_all_locations()) == 2

    # parts
    hammer = PartService.add_part("Hammer", quantity=3, category_id=tools_id)
    screw = PartService.add_part("M3 screw", quantity=200, category_id=fasteners["id"],
                                 part_number="M3-10")
    try:
        PartService.add_part("Hammer")
    except DuplicateResourceError:
        pass
    else:
        raise AssertionError("duplicate part accepted")
    assert PartService.get_part_by_id(hammer["id"])["name"] == "Hammer"
    assert PartService.get_part_by_name("M3 screw")["quantity"] == 200
    assert PartService.get_part_by_name("nope") is None
    assert PartService.update_quantity(hammer["id"], 4) == {"id": hammer["id"], "old": 3, "new": 4}
    assert PartService.try_reserve(screw["id"], 50) is True
    assert PartService.try_reserve(screw["id"], 500) is False
    assert [p["name"] for p in PartService.search_parts("m3")] == ["M3 screw"]
    assert PartService.get_part_counts() == {"total": 2, "in_stock": 2}
    assert bulk_adjust({"Hammer": -1, "Missing": 5}) == 1
    assert rename_part(hammer["id"], "Claw hammer")["name"] == "Claw hammer"
    assert len(api.call(api.read_parts, 10)) == 2
    assert api.call(api.read_category, tools_id)["name"] == "Tools"

    # orders (async def, sync session)
    order = asyncio.run(order_service.create_order("Acme", {screw["id"]: 100}))
    assert order.status == "draft"
    added = asyncio.run(order_service.add_item_to_order(order.id, hammer["id"], 2))
    assert len(added["items"]) == 2
    assert order_service.mark_ordered(order.id)["status"] == "ordered"
    assert order_service.receive_order(order.id) == {"order": order.id, "booked": 102}
    assert PartService.get_part_by_id(screw["id"])["quantity"] == 250
    assert asyncio.run(order_service.cancel_order(9999)) is False
    assert order_service.get_order(order.id).status == "received"

    # reports
    assert reporting.total_units() == 250 + 4 + 2 - 1
    report = reporting.InventoryReport()
    assert report.parts_per_category()["Tools"] == 1
    assert report.top_parts(1) == ["M3 screw"]
    report.close()
    assert reporting.per_category_totals([tools_id]) == {tools_id: 5}
    assert [p["name"] for p in reporting.low_stock(10)] == ["Claw hammer"]

    # deletes
    assert CategoryService.delete_category(12345) is False
    assert LocationService.delete_location(shelf["id"])["deleted"] == shelf["id"]
    assert PartService.delete_part(hammer["id"]) is True
    try:
        PartService.get_part_by_id(hammer["id"])
    except ResourceNotFoundError:
        pass
    else:
        raise AssertionError("deleted part still found")
    assert PartService.clear_all_parts() == 1

    print("smoke test passed")


if __name__ == "__main__":
    main()
