"""Schema of the hardware domain: chips, systems, the fleet's deliveries, sites and what
the plan may buy. Strict pydantic sections whose field docs are the reference docs."""
from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator

from common.section import (Fraction, NonNegFloat, PositiveFloat, PositiveInt, QuarterField,
                            QuarterMap, Section, UnitInterval)


# ----------------------------------------------------------------------------- systems
class Chip(Section):
    """One accelerator package (a B200 is one chip of two dies). FLOP/s are dense peak rates."""

    bf16_tflops: PositiveFloat = Field(description="Dense BF16 tensor TFLOP/s per chip.")
    fp8_tflops: PositiveFloat = Field(description="Dense FP8 tensor TFLOP/s per chip.")
    fp4_tflops: Optional[PositiveFloat] = Field(
        None, description="Dense FP4 TFLOP/s per chip; omit when the chip has no FP4 rate "
        "(4-bit weights then run at the FP8 rate).")
    hbm_gb: PositiveFloat = Field(description="HBM capacity per chip, GB.")
    hbm_tbps: PositiveFloat = Field(description="Peak HBM bandwidth per chip, TB/s.")
    scaleup_gbps: PositiveFloat = Field(
        description="Scale-up (NVLink/ICI/NeuronLink) bandwidth per chip, GB/s per direction "
        "(vendor tables often quote both directions summed: halve those).")
    scaleout_gbps: PositiveFloat = Field(
        description="Scale-out NIC line rate per chip, Gb/s (bits), one direction.")
    power_kw: PositiveFloat = Field(description="Chip TDP in kW (before PUE and host share).")


class Capex(Section):
    """Owned hardware: cost per chip-hour from capital, depreciation, power and other opex."""

    usd_per_chip: PositiveFloat = Field(
        description="All-in capital per chip: the chip's share of the system, network and install.")
    life_years: PositiveFloat = Field(5.0, description="Depreciation life in years.")
    cost_of_capital: NonNegFloat = Field(
        0.0, description="Annual cost of capital (0.08 = 8 %); 0 gives straight-line depreciation.")
    system_power_factor: Annotated[float, Field(ge=1)] = Field(
        1.5, description="All-in system power per chip over chip TDP (CPU, network, cooling share "
        "inside the rack).")
    pue: Annotated[float, Field(ge=1)] = Field(1.2, description="Data-centre power usage effectiveness.")
    usd_per_kwh: NonNegFloat = Field(0.08, description="Electricity price, $ per kWh.")
    opex_fraction_per_year: NonNegFloat = Field(
        0.05, description="Other operating cost per year as a fraction of capex (staff, space, "
        "maintenance).")


class Efficiency(Section):
    """Achieved fractions of peak; overrides the calibrated defaults of the system's family."""

    compute: UnitInterval = Field(description="Achieved fraction of peak FLOP/s, in (0, 1]; "
                                  "decode, and prefill too unless `prefill_compute` is given.")
    memory: UnitInterval = Field(description="Achieved fraction of peak HBM bandwidth, in (0, 1].")
    prefill_compute: Optional[UnitInterval] = Field(
        None, description="Achieved fraction of peak FLOP/s in prefill, in (0, 1]; default: "
        "`compute`.")


class Mtp(Section):
    """Speculative decoding with the model's multi-token-prediction head."""

    draft_tokens: PositiveInt = Field(description="Draft tokens proposed per decode step.")
    accepted_tokens: Annotated[float, Field(ge=1)] = Field(
        description="Mean tokens emitted per sequence per step, the bonus token included, "
        "at most 1 + draft_tokens (DeepSeek-V3 reports 1.85 with one draft token).")

    @model_validator(mode="after")
    def _accepted_within_draft(self) -> "Mtp":
        if self.accepted_tokens > 1 + self.draft_tokens:
            raise ValueError(f"accepted_tokens {self.accepted_tokens:g} is more than "
                             f"1 + draft_tokens = {1 + self.draft_tokens}")
        return self


class Deployment(Section):
    """How the serving stack runs on a system (declared, not fitted; physics.py)."""

    overlap: bool = Field(
        False, description="Two-micro-batch overlap in decode: communication hides behind the "
        "other micro-batch's compute and memory time, up to the shorter of the two.")
    mtp: Optional[Mtp] = Field(
        None, description="MTP speculative decoding for the models that have an MTP head "
        "(`mtp_head: true`); a model's own `speculative` wins.")


class System(Section):
    """One scale-up system type (HGX node, NVL72 rack, TPU pod slice, UltraServer)."""

    name: Optional[str] = Field(None, description="Display name.")
    vendor: Optional[str] = None
    family: Optional[str] = Field(
        None, description="Calibration family whose fitted efficiencies this system uses "
        "(hopper, blackwell, rubin, tpu, trainium, amd, ampere); default: inferred from "
        "vendor and chip (planner/costcore/efficiency.py, infer_family).")
    status: Optional[Literal["shipping", "announced", "roadmap"]] = None
    chips_per_domain: PositiveInt = Field(description="Chips in one scale-up domain.")
    max_replica_domains: PositiveInt = Field(
        18, description="Most scale-up domains one replica may span over the scale-out network. "
        "Default 18: the largest public expert-parallel serving deployment, DeepSeek-V3/R1 "
        "decoding on 18 nodes of 8 GPUs (DeepSeek inference system overview, 2025-03-01).")
    chip: Chip
    usd_per_chip_hour: Optional[PositiveFloat] = Field(
        None, description="Rental (or transfer) price per chip-hour; give this or `capex`.")
    capex: Optional[Capex] = Field(None, description="Owned-hardware cost breakdown; give this "
                                   "or `usd_per_chip_hour`.")
    efficiency: Optional[Efficiency] = None
    deployment: Optional[Deployment] = Field(
        None, description="Serving deployment options; default: the scenario's `deployment`, "
        "else none (no overlap, no MTP).")
    available_from: QuarterField = Field(description="First quarter the system can be delivered.")

    @model_validator(mode="after")
    def _one_cost_basis(self) -> "System":
        if (self.usd_per_chip_hour is None) == (self.capex is None):
            raise ValueError("give exactly one of usd_per_chip_hour or capex")
        return self


# ----------------------------------------------------------------------------- fleet
class FleetEntry(Section):
    """Chips of one system over time: deliveries per quarter retire after their life."""

    deliveries: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Chips delivered in each quarter (quarters before the "
        "horizon start describe the installed base).")
    life_quarters: PositiveInt = Field(24, description="Quarters a delivery stays in service.")
    reserved_fraction: QuarterMap(Fraction) = Field(
        default_factory=dict, description="Share held back for training/RL; a step function "
        "from each given quarter on (0 before the first).")
    site: str = Field("main", description="Site (data-centre campus) the chips stand in; its "
                      "power cap in `sites` limits them together with the site's other systems.")


class Site(Section):
    """A data-centre site whose power limits the chips it can run."""

    power_mw: QuarterMap(PositiveFloat) = Field(
        default_factory=dict, description="All-in power available for inference, MW; a step "
        "function from each given quarter on (no cap before the first).")


# ----------------------------------------------------------------------------- models


# allocation to racks serving (manufacturing slot, shipping, install and burn-in).
DEFAULT_LEAD_QUARTERS = 2


class PurchaseOption(Section):
    """Chips of one system the plan may buy: vendor allocation, contracts and lead time."""

    max_chips_per_quarter: QuarterMap(NonNegFloat) = Field(
        description="Vendor allocation: most chips that may be ordered in a quarter; a step "
        "function from each given quarter on (0 before the first).")
    min_chips_per_quarter: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Contracted chips that must be ordered in a quarter "
        "(take-or-pay); a step function, 0 before the first; at most the allocation.")
    lead_quarters: Annotated[int, Field(ge=0, le=12)] = Field(
        DEFAULT_LEAD_QUARTERS, description="Quarters from order to service (0 = serving in the "
        "quarter ordered). Default 2, an assumption: allocation to racks in service.")
    life_quarters: Optional[PositiveInt] = Field(
        None, description="Quarters a bought chip serves; default the fleet entry's "
        "life_quarters (24 without one).")


class Procurement(Section):
    """What the plan may buy; bought chips cost their committed rate in every quarter in
    service (capital and fixed opex, or rent), used or not, and their power when used."""

    systems: dict[str, PurchaseOption] = Field(
        default_factory=dict, description="Buyable systems (keys of `systems`); chips stand at "
        "the system's fleet site (`main` without a fleet entry).")
    budget_usd_per_quarter: QuarterMap(NonNegFloat) = Field(
        default_factory=dict, description="Capex of all orders placed in a quarter (owned "
        "systems; rented ones carry no capex); a step function, no limit before the first.")


# ----------------------------------------------------------------------------- scenario
