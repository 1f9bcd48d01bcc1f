"""The outcome of one siting study: :class:`PlanResult`, its tables, maps and files.

A :class:`PlanResult` holds every table a planner reads (sites, coverage,
uncovered demand, hexagons, the coverage curve, service areas) as GeoDataFrames
keyed by the input indexes. Its maps come from :mod:`planner.maps` and its files
from :mod:`planner.outputs`, both imported when asked for: presentation depends
on plans, not the other way.
"""

from __future__ import annotations

import html
import json
import math
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._stages import Stage, stage_dicts
from planner.presets import Programme

if TYPE_CHECKING:
    import folium

    from planner.access import AccessMatrix, NodeAccess
    from planner.locate import LocateResult
    from planner.network import RoadNetwork

__all__ = ["PlanResult"]


@dataclass(frozen=True, eq=False)
class PlanResult:
    """The outcome of :meth:`Plan.site`: every intermediate table, plus maps and reports.

    Attributes
    ----------
    name
        The scenario name (map and report titles).
    programme
        ``"worker_stations"`` or ``"driver_homes"``.
    parameters
        The settings used (mode, cutoff, p, solver, seed, ...).
    sites
        New sites in rank order (EPSG:4326, candidate index): ``rank``,
        ``added`` (demand weight, or trucks a day, the site adds given the sites
        ranked before it), ``added_share``, ``cumulative``, ``cumulative_share``
        (covered share of all demand with the existing stations), ``nearest_station``,
        ``nearest_station_m`` (straight line), the candidate's columns.
    stations
        The existing stations that count (EPSG:4326, their index).
    demand
        Worker stations: one row per demand point (its index): ``weight``, the
        group columns, ``covered_before``, ``covered_after``, ``site`` (nearest
        open site) and ``time_min``. Driver homes: one row per route: ``volume``,
        ``captured_before``, ``captured_after``, ``served_before``, ``served_after``
        (rest rule), geometry the route.
    coverage
        Covered weight and share before and after, overall and per group.
    uncovered
        Demand points (or routes) still not covered after the new sites.
    hexes
        Uncovered demand weight per hexagon (worker stations).
    curve
        Covered share by number of new sites ``p`` (0 = existing only), nested
        greedy order with a proven bound; ``chosen`` marks the plan's ``p``.
    service_areas
        Polygons within ``cutoff_min`` of each site: ``state`` is ``"before"``
        (existing stations) or ``"after"`` (new sites).
    routes
        Driver homes: road edges used by the flows with ``volume`` (trucks a day).
    locate
        The siting model's raw result (solver, status, gap, figures).
    access
        Worker stations: the travel times (seconds) by demand node
        (:class:`~planner.access.NodeAccess`; ``access.to_matrix()`` expands it
        to one row per point, for small studies).
    notes
        Plain sentences on anything unusual (empty inputs, everything covered...).
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` of the network.
    stages
        The stages of the run and their wall times (``name``, ``seconds``): read,
        snap, access, solve, coverage, service areas (worker stations).
    """

    name: str
    programme: Programme
    parameters: dict[str, Any]
    sites: gpd.GeoDataFrame
    stations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    coverage: pd.DataFrame
    uncovered: gpd.GeoDataFrame
    hexes: gpd.GeoDataFrame
    curve: pd.DataFrame
    service_areas: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame | None
    locate: LocateResult | None
    access: AccessMatrix | NodeAccess | None
    notes: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    inputs: dict[str, str | None] = field(default_factory=dict)
    network: RoadNetwork | None = field(default=None, repr=False)
    stages: tuple[Stage, ...] = ()

    # ------------------------------------------------------------------ figures
    @property
    def share_before(self) -> float:
        """Covered share of all demand with the existing stations only."""
        return float(self.coverage["share_before"].iloc[0])

    @property
    def share_after(self) -> float:
        """Covered share of all demand with the new sites added."""
        return float(self.coverage["share_after"].iloc[0])

    @property
    def status(self) -> str:
        """Solver status (``optimal``, ``time_limit``, ...; ``"not solved"`` when empty)."""
        return self.locate.status if self.locate is not None else "not solved"

    @property
    def gap(self) -> float:
        """Proven relative optimality gap of the plan (NaN when nothing was solved)."""
        return float(self.locate.gap) if self.locate is not None else math.nan

    @property
    def unit(self) -> str:
        """What the demand weight counts."""
        return "trucks/day" if self.programme == "driver_homes" else "demand weight"

    def summary(self) -> pd.DataFrame:
        """Return a short table: the headline figures of the plan.

        Returns
        -------
        pandas.DataFrame
            Indexed by figure name, one column ``value``.
        """
        c = self.coverage.iloc[0]
        rows: dict[str, Any] = {
            "scenario": self.name,
            "programme": self.programme,
            "mode": self.parameters.get("mode"),
        }
        if self.programme == "worker_stations":
            rows["cutoff (min)"] = self.parameters.get("cutoff_min")
        else:
            rows["rest interval (h)"] = self.parameters.get("rest_interval_h")
            rows["min trucks/day at a site"] = self.parameters.get("min_volume")
        rows |= {
            "existing stations": len(self.stations),
            "new sites": len(self.sites),
            f"total {self.unit}": round(float(c["weight"]), 3),
            "covered before": f"{c['share_before']:.1%}" if c["weight"] > 0 else "n/a",
            "covered after": f"{c['share_after']:.1%}" if c["weight"] > 0 else "n/a",
            "solver status": self.status,
            "gap": f"{self.gap:.2%}" if math.isfinite(self.gap) else "n/a",
        }
        if self.programme == "driver_homes" and "served_after" in self.demand:
            vol = self.demand["volume"].to_numpy(float)
            total = vol.sum()
            if total > 0:
                rows["rest rule met before"] = (
                    f"{vol[self.demand['served_before'].to_numpy(bool)].sum() / total:.1%}"
                )
                rows["rest rule met after"] = (
                    f"{vol[self.demand['served_after'].to_numpy(bool)].sum() / total:.1%}"
                )
        frame = pd.DataFrame({"value": pd.Series(rows, dtype=object)})
        frame.index.name = "figure"
        return frame

    def __repr__(self) -> str:
        return (
            f"PlanResult({self.name!r}, {self.programme}, new_sites={len(self.sites)}, "
            f"covered {self.share_before:.1%} -> {self.share_after:.1%}, status={self.status!r})"
        )

    def _repr_html_(self) -> str:
        head = f"<h4>{html.escape(self.name)}</h4>"
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        notes_html = f"<ul>{notes}</ul>" if notes else ""
        table = self.sites.drop(columns=self.sites.geometry.name).head(20)
        return (
            head
            + self.summary().to_html()
            + notes_html
            + "<h5>Recommended sites</h5>"
            + table.to_html(float_format=lambda v: f"{v:,.3f}")
        )

    # --------------------------------------------------------------------- maps
    def map(self, **kwargs: Any) -> folium.Map:
        """Return the folium map of the plan (renders inline in Jupyter).

        Parameters
        ----------
        **kwargs
            Passed to :func:`planner.maps.plan_map` (``tiles=None`` for no
            basemap, ``language="zh"``, ``m=`` an existing map, ...).

        Returns
        -------
        folium.Map
            The map.
        """
        from planner.maps import plan_map

        return plan_map(self, **kwargs)

    def explore(self, **kwargs: Any) -> folium.Map:
        """Alias of :meth:`map`, after ``GeoDataFrame.explore``.

        Parameters
        ----------
        **kwargs
            Passed to :func:`planner.maps.plan_map`.

        Returns
        -------
        folium.Map
            The map.
        """
        return self.map(**kwargs)

    def run_info(self) -> dict[str, Any]:
        """Return what ``run.json`` holds: inputs' hashes, parameters, versions, solver.

        Returns
        -------
        dict
            JSON-ready.
        """
        import planner

        info = {
            "scenario": self.name,
            "programme": self.programme,
            "parameters": self.parameters,
            "inputs": self.inputs,
            "versions": {
                "planner": planner.__version__,
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "geopandas": gpd.__version__,
            },
            "solver": None,
            "notes": list(self.notes),
            "stages": stage_dicts(self.stages),
        }
        if self.locate is not None:
            info["solver"] = {
                "model": self.locate.model,
                "solver": self.locate.solver,
                "reason": self.locate.reason,
                "status": self.locate.status,
                "objective": self.locate.objective,
                "bound": self.locate.bound,
                "gap": self.locate.gap,
                "seconds": round(self.locate.seconds, 3),
            }
        from planner.outputs import json_default

        return json.loads(json.dumps(info, default=json_default))

    def to_files(
        self,
        folder: str | Path,
        *,
        offline: bool = True,
        tiles: str | None = "OpenStreetMap",
        language: Literal["en", "zh"] = "en",
    ) -> dict[str, Path]:
        """Write ``sites.geojson``, ``coverage.csv``, ``map.html``, ``report.html``, ``run.json``.

        Each file is written whole or not at all (a temporary file renamed).

        Parameters
        ----------
        folder
            Output folder (created).
        offline
            Embed the map's JavaScript and CSS (the map opens without internet).
        tiles
            Basemap, or ``None`` for none.
        language
            Labels' language.

        Returns
        -------
        dict of str to Path
            The files written, by name.
        """
        # outputs come after plans (plan -> outputs -> report): imported here, not above
        from planner.outputs import write_outputs

        return write_outputs([self], folder, offline=offline, tiles=tiles, language=language)
