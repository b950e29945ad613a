"""The demand domain: models and their demand series (``schema``), demand over time as arrays
and tables (``timeline``, ``forecast``), the price-responsive demand curve (``elasticity``)
and the embedded default models and forecast (``data/``)."""
from importlib import resources

DEFAULT_FILES = ("data/models.yaml", "data/demand.yaml")  # the default models, then demand
ELASTICITY_FILE = "data/elasticity.yaml"  # assumed elasticities per tier (`--elastic`)


def data_text(name: str) -> str:
    """The text of this package's data file ``name`` (e.g. ``data/demand.yaml``)."""
    return resources.files(__name__).joinpath(name).read_text("utf-8")
