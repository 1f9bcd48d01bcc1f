"""Demand from POI tables exported from Amap (高德): type codes to worker groups and weights.

Amap POIs carry a six-digit ``typecode``: two digits for the major class
(``05`` food and drink, ``06`` shopping, ...), two for the middle class and two
for the minor one (``050301`` is a KFC under fast food). :data:`AMAP_DEMAND_WEIGHTS`
maps codes to a :class:`~planner.demand.pois.PoiWeight`; a POI takes the entry of
its longest matching code (six digits, then the middle class ``0503``, then the
major class ``05``). A POI with several codes (``"050301|060100"``) takes its first.
Coordinates are GCJ-02 (``datum="gcj02"``, the default here).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planner._errors import InputError
from planner.demand.pois import PoiWeight
from planner.demand.schema import check_group, make_demand

__all__ = ["AMAP_DEMAND_WEIGHTS", "amap_weight", "demand_from_amap"]

#: Default demand weights of Amap POI type codes (major class ``NN``, middle class
#: ``NNNN`` or full code ``NNNNNN``). Relative, like :data:`POI_DEMAND_WEIGHTS`
#: (one ordinary restaurant = 1 rider unit), not measured order counts: replace them
#: with local order shares where you have them.
#:
#: ====== ======================== ============ ====== ==================================
#: code   Amap class               group        weight why
#: ====== ======================== ============ ====== ==================================
#: 05     餐饮服务 food and drink   rider        1.0    order pick-up
#: 0503   快餐厅 fast food          rider        2.0    the largest share of delivery orders
#: 0505   咖啡厅 cafés              rider        0.5
#: 0507   糕饼店 bakeries           rider        0.5
#: 06     购物服务 shopping         rider        0.3    many small shops
#: 0601   商场 shopping centres     rider        5.0    many restaurants inside
#: 0602   便民商店 convenience      rider        0.5
#: 0604   超级市场 supermarkets     rider        1.0    grocery delivery
#: 0705   物流速递 express delivery courier      5.0    courier depots and branches
#: 0704   邮局 post offices         courier      1.0
#: 1202   楼宇 office buildings     courier      1.0    delivery destinations
#: 1203   住宅区 residential areas  courier      2.0    a residential compound (小区)
#: 1502   火车站 railway stations   ride_hailing 5.0    drivers wait at transport hubs
#: 1504   长途汽车站 coach stations ride_hailing 2.0
#: 1501   机场相关 airports         ride_hailing 10.0
#: ====== ======================== ============ ====== ==================================
AMAP_DEMAND_WEIGHTS: Mapping[str, PoiWeight] = {
    "05": PoiWeight("rider", 1.0),
    "0503": PoiWeight("rider", 2.0),
    "0505": PoiWeight("rider", 0.5),
    "0507": PoiWeight("rider", 0.5),
    "06": PoiWeight("rider", 0.3),
    "0601": PoiWeight("rider", 5.0),
    "0602": PoiWeight("rider", 0.5),
    "0604": PoiWeight("rider", 1.0),
    "0705": PoiWeight("courier", 5.0),
    "0704": PoiWeight("courier", 1.0),
    "1202": PoiWeight("courier", 1.0),
    "1203": PoiWeight("courier", 2.0),
    "1502": PoiWeight("ride_hailing", 5.0),
    "1504": PoiWeight("ride_hailing", 2.0),
    "1501": PoiWeight("ride_hailing", 10.0),
}

_CODE_NAMES = ("typecode", "type_code", "类型编码", "分类编码", "typecodes")
_LOCATION_NAMES = ("location", "坐标", "经纬度")


def amap_weight(code: str, weights: Mapping[str, PoiWeight] | None = None) -> PoiWeight | None:
    """Return the weight of an Amap type code: its longest matching entry, or ``None``.

    Parameters
    ----------
    code
        A six-digit code (``"050301"``); several joined by ``|`` take the first.
    weights
        ``{code prefix: PoiWeight}``; default :data:`AMAP_DEMAND_WEIGHTS`.

    Returns
    -------
    PoiWeight or None
        The entry for the full code, else its middle class, else its major class.

    Examples
    --------
    >>> amap_weight("050301")
    PoiWeight(group='rider', weight=2.0)
    >>> amap_weight("050100").weight, amap_weight("190000") is None
    (1.0, True)
    """
    table = AMAP_DEMAND_WEIGHTS if weights is None else weights
    first = str(code).split("|")[0].strip()
    if first.endswith(".0"):  # read from a spreadsheet as a number
        first = first[:-2]
    first = first.zfill(6) if first.isdigit() else first
    for size in (6, 4, 2):
        entry = table.get(first[:size])
        if entry is not None:
            return entry
    return None


def demand_from_amap(
    pois: str | Path | pd.DataFrame,
    *,
    weights: Mapping[str, PoiWeight] | None = None,
    typecode: str | None = None,
    datum: str = "gcj02",
    lon: str | None = None,
    lat: str | None = None,
    area: object | None = None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Weight the POIs of an Amap export by their type codes.

    Parameters
    ----------
    pois
        A table (CSV, Excel, GeoJSON, ... or a DataFrame) with a type-code column
        and either a ``location`` column (``"lng,lat"``, as Amap's API returns) or
        longitude/latitude columns.
    weights
        ``{code prefix: PoiWeight(group, weight)}``; default :data:`AMAP_DEMAND_WEIGHTS`.
        POIs whose code matches no entry are left out, with a warning counting them.
    typecode
        The type-code column (found by name by default: ``typecode``, ``类型编码``).
    datum
        The coordinates' datum: ``"gcj02"`` for Amap (the default).
    lon, lat
        Coordinate columns, when not found by name.
    area
        The area the POIs must lie in (see :func:`planner.io.read_points`).
    label
        What the table is, for messages (default: the file name).

    Returns
    -------
    geopandas.GeoDataFrame
        The demand schema (``source`` ``"poi"``) on the table's index, with
        ``typecode`` and ``name`` (when given).

    Raises
    ------
    InputError
        No type-code column, or no POI whose code has a weight.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"name": ["KFC", "SF Express"],
    ...                       "typecode": ["050301", "070501"],
    ...                       "location": ["111.66,40.82", "111.67,40.82"]})
    >>> d = demand_from_amap(table)
    >>> d[["weight", "group"]].to_dict("records")
    [{'weight': 2.0, 'group': 'rider'}, {'weight': 5.0, 'group': 'courier'}]
    """
    from planner.io import read_points

    table_weights = AMAP_DEMAND_WEIGHTS if weights is None else weights
    for code, spec in table_weights.items():
        check_group(spec.group, field=f"weights[{code}]")
        if not (np.isfinite(spec.weight) and spec.weight >= 0):
            raise InputError(
                f"the weight of code {code} must be >= 0, got {spec.weight!r}.", field="weights"
            )
    name = label or (Path(pois).name if isinstance(pois, str | Path) else "Amap POIs")
    frame = _read_table(Path(pois), name) if isinstance(pois, str | Path) else pois.copy()
    code_col = typecode or next((c for c in frame.columns if str(c).lower() in _CODE_NAMES), None)
    if code_col is None or code_col not in frame.columns:
        raise InputError(
            f"no type-code column; the columns are {list(frame.columns)}.",
            file=name,
            field=typecode or "typecode",
            fix="name it with typecode='...' (Amap exports call it 'typecode').",
        )
    loc_col = next((c for c in frame.columns if str(c).lower() in _LOCATION_NAMES), None)
    if loc_col is not None and lon is None and not isinstance(frame, gpd.GeoDataFrame):
        parts = frame[loc_col].astype("string").str.split(",", n=1, expand=True)
        if parts.shape[1] == 2:
            frame["lon"], frame["lat"] = parts[0].str.strip(), parts[1].str.strip()
            frame = frame.drop(columns=[loc_col])
            lon, lat = "lon", "lat"
    points = read_points(frame, lon=lon, lat=lat, datum=datum, area=area)
    specs = [amap_weight(str(c), table_weights) for c in points[code_col].astype(str)]
    known = np.array([s is not None for s in specs], dtype=bool)
    if not known.any():
        codes = sorted(set(points[code_col].astype(str)))[:10]
        raise InputError(
            f"none of the {len(points)} POIs has a type code with a demand weight "
            f"(codes: {', '.join(codes)}).",
            file=name,
            field=str(code_col),
            fix="export food (05), shopping (06), express delivery (0705), residential "
            "(1203) POIs, or give weights={'05': PoiWeight('rider', 1.0), ...}.",
        )
    if (~known).any():
        warnings.warn(
            f"{name}: {int((~known).sum())} of {len(points)} POIs have type codes without a "
            "demand weight and were left out; add their codes to weights= to count them.",
            UserWarning,
            stacklevel=2,
        )
    kept = points[known]
    chosen = [s for s in specs if s is not None]
    extra: dict[str, object] = {"typecode": kept[code_col].astype(str).to_numpy()}
    if "name" in kept.columns:
        extra["name"] = kept["name"].to_numpy()
    return make_demand(
        np.array([s.weight for s in chosen], dtype=float),
        np.array([s.group for s in chosen], dtype=object),
        "poi",
        kept.geometry.x.to_numpy(float),
        kept.geometry.y.to_numpy(float),
        index=kept.index,
        extra=extra,
    )


def _read_table(path: Path, label: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"no such file {path}.", file=label, fix="check the path.")
    suffix = path.suffix.lower()
    dtype = dict.fromkeys((*_CODE_NAMES, *_LOCATION_NAMES), str)
    if suffix in (".xlsx", ".xls"):
        return pd.read_excel(path, dtype=dtype)
    if suffix in (".csv", ".txt", ".tsv") or path.name.lower().endswith((".csv.gz", ".csv.bz2")):
        sep = "\t" if suffix == ".tsv" else ","
        return pd.read_csv(path, dtype=dtype, sep=sep, encoding="utf-8-sig")
    return gpd.read_file(path)
