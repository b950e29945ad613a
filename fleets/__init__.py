"""The hardware domain: systems and their chips, the fleet's deliveries, sites and power caps,
what may be bought (``schema``), the fleet over time as arrays and tables (``timeline``,
``capacity``), the cost of a chip-hour (``costs``), purchase slots (``procurement``) and the
embedded default catalog and fleet (``data/``)."""
from importlib import resources

DEFAULT_FILES = ("data/systems.yaml", "data/fleet.yaml")  # the default catalog, then the fleet
PROCUREMENT_FILE = "data/procurement.yaml"  # vendor allocations `planner run --buy` adds


def data_text(name: str) -> str:
    """The text of this package's data file ``name`` (e.g. ``data/fleet.yaml``)."""
    return resources.files(__name__).joinpath(name).read_text("utf-8")
