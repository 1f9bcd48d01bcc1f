"""Candidate sites for new stations: generation, filters and deduplication.

Candidates come from four places, each a function returning the **candidate
schema**: a GeoDataFrame of points in EPSG:4326 indexed by a unique string
``site_id`` (``"<source>/<id>"``) with columns

- ``kind`` — what the site is (``parking``, ``fuel``, ``community_centre``,
  ``mall``, ``toilets``, ``union``, ``hotspot``, ``grid`` or the user's own);
- ``source`` — ``poi``, ``hotspot``, ``grid`` or ``user``;
- ``name`` — the OSM or user name, where there is one.

1. :func:`candidates_from_osm` / :func:`candidates_from_pois`: OSM objects by
   tag (:data:`CANDIDATE_TAGS`: community centres, parking, fuel stations, malls,
   public toilets, trade-union offices, ...);
2. :func:`candidates_from_hotspots`: the centres of stay-point hotspots;
3. :func:`candidates_from_grid`: a regular square or hexagonal grid over an area;
4. :func:`candidates_from_points`: the user's own sites (read with
   :mod:`planner.io` or geopandas); :func:`planner.candidates_from_table` reads a POI
   table exported from Amap (name, address, type, ``location`` as ``"lng,lat"``
   in GCJ-02; CSV or Excel) straight into candidates.

Then :func:`combine_candidates` stacks them, :func:`filter_candidates` keeps
certain kinds, drops sites near existing stations or inside excluded areas, and
:func:`dedupe_candidates` merges sites within a radius, keeping the one from the
most trusted source.

Driver homes (rest places for truck drivers) have their own reader:
:func:`driver_home_candidates` reads fuel stations for heavy goods vehicles,
service and rest areas, logistics and industrial land and large parkings from an
OSM file by tag (:data:`DRIVER_HOME_TAGS`), and :func:`with_passing_volume`
attaches the trucks per day passing each site (from :class:`planner.routes.Flows`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree

from planner import _grid
from planner._errors import InputError
from planner._validate import points_lonlat
from planner.crs import WGS84, local_metric_crs
from planner.osm import tagged_elements

if TYPE_CHECKING:
    # type only, from the module that owns it (the routes face re-exports the
    # driver-home functions of this module)
    from planner.routes.volumes import Flows

logger = logging.getLogger(__name__)

__all__ = [
    "CANDIDATE_SOURCES",
    "CANDIDATE_TAGS",
    "DRIVER_HOME_TAGS",
    "candidates_from_grid",
    "candidates_from_hotspots",
    "candidates_from_osm",
    "candidates_from_points",
    "candidates_from_pois",
    "combine_candidates",
    "dedupe_candidates",
    "driver_home_candidates",
    "filter_candidates",
    "with_passing_volume",
]

#: Sources of candidates, most trusted first (the order :func:`dedupe_candidates` keeps).
CANDIDATE_SOURCES: tuple[str, ...] = ("user", "poi", "hotspot", "grid")

#: OSM tags of places that can host a worker station or a driver home: public or
#: semi-public premises with space, toilets or parking, and trade-union offices
#: (in China, union "worker stations" are often set up in existing union premises).
CANDIDATE_TAGS: Mapping[str, list[str]] = {
    "amenity": [
        "community_centre",
        "social_centre",
        "parking",
        "fuel",
        "toilets",
        "charging_station",
    ],
    "shop": ["mall"],
    "office": ["union"],
    "highway": ["services", "rest_area"],
}

_KIND_NAMES = {"services": "service_area"}


def _schema(
    site_ids: Sequence[str] | np.ndarray,
    kind: Sequence[str] | np.ndarray | str,
    source: str,
    name: Sequence[Any] | np.ndarray | None,
    lon: np.ndarray,
    lat: np.ndarray,
) -> gpd.GeoDataFrame:
    n = len(lon)
    frame = pd.DataFrame(
        {
            "kind": np.full(n, kind, dtype=object) if isinstance(kind, str) else np.asarray(kind),
            "source": np.full(n, source, dtype=object),
            "name": np.full(n, None, dtype=object)
            if name is None
            else np.asarray(name, dtype=object),
        },
        index=pd.Index(np.asarray(site_ids, dtype=object), name="site_id"),
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=WGS84)


def _lonlat(gdf: gpd.GeoDataFrame | gpd.GeoSeries, label: str) -> tuple[np.ndarray, np.ndarray]:
    _, lon, lat = points_lonlat(gdf, label=label, polygons="representative")
    return lon, lat


def _check_candidates(candidates: gpd.GeoDataFrame, label: str = "candidates") -> None:
    if not isinstance(candidates, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(candidates).__name__}.", field=label
        )
    missing = [c for c in ("kind", "source") if c not in candidates.columns]
    if missing:
        raise InputError(
            f"{label} lacks columns {missing}.",
            field=missing[0],
            fix="build candidates with the candidates_from_* functions.",
        )
    if candidates.crs is None:
        raise InputError(f"{label} has no CRS.", field="geometry", fix="set_crs('EPSG:4326').")


# ------------------------------------------------------------ generation
def candidates_from_pois(pois: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Turn POIs from :func:`planner.poi.pois_from_osm` into candidates.

    Parameters
    ----------
    pois
        POIs (index ``poi_id``, columns ``category`` and ``name``).

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema, ``site_id`` = ``"poi/<poi_id>"``, ``kind`` = the tag's
        value (``highway=services`` becomes ``service_area``, ``office=union``
        ``union``).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pois = gpd.GeoDataFrame({"category": ["parking"], "name": ["P1"]},
    ...                         index=["way/7"], geometry=gpd.points_from_xy([116.3], [39.9]),
    ...                         crs="EPSG:4326")
    >>> candidates_from_pois(pois)[["kind", "source"]].to_dict("index")
    {'poi/way/7': {'kind': 'parking', 'source': 'poi'}}
    """
    if "category" not in pois.columns:
        raise InputError(
            "pois lacks the 'category' column.",
            field="category",
            fix="read them with planner.poi.pois_from_osm.",
        )
    lon, lat = _lonlat(pois, "pois") if len(pois) else (np.empty(0), np.empty(0))
    kinds = [_KIND_NAMES.get(str(c), str(c)) for c in pois["category"]]
    names = pois["name"].to_numpy(dtype=object) if "name" in pois.columns else None
    return _schema([f"poi/{i}" for i in pois.index], kinds, "poi", names, lon, lat)


def candidates_from_osm(
    path: str | Path,
    *,
    tags: Mapping[str, Iterable[str] | bool] | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate sites from an OSM file by tag.

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.pbf``).
    tags
        ``{key: [values]}`` or ``{key: True}``; default :data:`CANDIDATE_TAGS`.
        Closed ways (parking lots, malls) become their polygon's centroid.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema (see :func:`candidates_from_pois`).

    Examples
    --------
    >>> from planner import datasets
    >>> sites = candidates_from_osm(datasets.demo_path("demo_region.osm.bz2"))
    >>> bool((sites["source"] == "poi").all())
    True
    """
    from planner.poi import pois_from_osm

    wanted = CANDIDATE_TAGS if tags is None else tags
    pois = pois_from_osm(path, tags=wanted, warn_missing=False)
    if len(pois) == 0:
        warnings.warn(
            f"{Path(path).name}: no OSM objects carry a candidate tag (field 'tags': "
            f"{', '.join(sorted(wanted))}); the file may hold roads only.",
            UserWarning,
            stacklevel=2,
        )
    return candidates_from_pois(pois)


def candidates_from_hotspots(
    hotspots: gpd.GeoDataFrame, *, min_weight: float = 0.0
) -> gpd.GeoDataFrame:
    """Use the centres of stay-point hotspots as candidates.

    Parameters
    ----------
    hotspots
        Hotspots from :func:`planner.demand.hotspots_from_stays` (or any points).
    min_weight
        Keep hotspots whose ``weight`` is at least this.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema, ``site_id`` = ``"hotspot/<index>"``, ``kind`` =
        ``"hotspot"``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> h = gpd.GeoDataFrame({"weight": [5.0, 1.0]},
    ...                      geometry=gpd.points_from_xy([116.3, 116.4], [39.9, 39.9]),
    ...                      crs="EPSG:4326")
    >>> list(candidates_from_hotspots(h, min_weight=2).index)
    ['hotspot/0']
    """
    kept = hotspots
    if min_weight > 0:
        if "weight" not in hotspots.columns:
            raise InputError("hotspots lacks the 'weight' column.", field="weight")
        kept = hotspots[hotspots["weight"].to_numpy(dtype=float) >= min_weight]
    lon, lat = _lonlat(kept, "hotspots") if len(kept) else (np.empty(0), np.empty(0))
    return _schema([f"hotspot/{i}" for i in kept.index], "hotspot", "hotspot", None, lon, lat)


def candidates_from_grid(
    area: shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    spacing_m: float = 500.0,
    shape: Literal["square", "hex"] = "square",
    crs: CRS | str | None = None,
) -> gpd.GeoDataFrame:
    """Lay a regular grid of candidate sites over an area.

    Sites are cell centres (in a local UTM zone unless ``crs`` is given) that lie
    inside the area.

    Parameters
    ----------
    area
        Polygons as a GeoDataFrame/GeoSeries (any CRS), or a shapely geometry in
        WGS84 longitude/latitude (e.g. ``RoadNetwork.area()``).
    spacing_m
        Distance between neighbouring sites in metres.
    shape
        ``"square"`` or ``"hex"`` (hexagonal packing: each site has six
        neighbours at ``spacing_m``).
    crs
        Metric CRS of the grid; default a UTM zone chosen from the area.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema, ``site_id`` = ``"grid/<n>"``, ``kind`` = ``"grid"``.

    Examples
    --------
    >>> import shapely
    >>> box = shapely.box(116.30, 39.90, 116.32, 39.92)
    >>> len(candidates_from_grid(box, spacing_m=500)) > 10
    True
    """
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        raise InputError(
            f"spacing_m must be a positive number of metres, got {spacing_m!r}.",
            field="spacing_m",
        )
    if shape not in ("square", "hex"):
        raise InputError(f"shape must be 'square' or 'hex', got {shape!r}.", field="shape")
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            raise InputError("area has no CRS.", field="area", fix="set_crs('EPSG:4326').")
        geom = area.to_crs(WGS84).geometry.union_all()
    elif isinstance(area, shapely.Geometry):
        geom = area
        minx, miny, maxx, maxy = shapely.bounds(geom).tolist()
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InputError(
                f"area bounds {(minx, miny, maxx, maxy)} are not longitude/latitude degrees.",
                field="area",
                fix="pass a GeoDataFrame/GeoSeries with its CRS for projected geometries.",
            )
    else:
        raise InputError(
            f"area must be a shapely geometry or a GeoDataFrame/GeoSeries, got "
            f"{type(area).__name__}.",
            field="area",
        )
    if geom.is_empty or geom.area == 0:
        raise InputError("area is empty or has no surface.", field="area")
    centre = geom.centroid
    metric = local_metric_crs(centre.x, centre.y) if crs is None else CRS(crs)
    if not metric.is_projected:
        raise InputError(f"crs must be projected (metric), got {metric.name}.", field="crs")
    to_metric = Transformer.from_crs(WGS84, metric, always_xy=True)
    poly = shapely.transform(geom, lambda xy: np.column_stack(to_metric.transform(*xy.T)))
    cx, cy = _grid.centres_in_bounds(poly.bounds, spacing_m, shape)
    inside = shapely.contains_xy(poly, cx, cy)
    cx, cy = cx[inside], cy[inside]
    lon, lat = Transformer.from_crs(metric, WGS84, always_xy=True).transform(cx, cy)
    return _schema(
        [f"grid/{k}" for k in range(len(cx))],
        "grid",
        "grid",
        None,
        np.asarray(lon, float),
        np.asarray(lat, float),
    )


def candidates_from_points(
    points: gpd.GeoDataFrame,
    *,
    kind: str = "user",
    kind_field: str | None = "kind",
    name_field: str | None = "name",
    id_field: str | None = "id",
    keep: Sequence[str] = ("capacity", "cost"),
    label: str = "points",
) -> gpd.GeoDataFrame:
    """Turn the user's own sites (any points or polygons with a CRS) into candidates.

    Parameters
    ----------
    points
        A GeoDataFrame; polygons become representative points.
    kind
        The ``kind`` of every site unless ``kind_field`` is a column.
    kind_field
        Column holding each site's kind (e.g. ``union`` for union premises).
    name_field
        Column holding each site's name.
    id_field
        Column holding each site's id (as :func:`planner.io.read_candidates`
        returns); where absent, the index labels are the ids.
    keep
        Columns carried over when present (the capacity and cost that the
        capacitated and budgeted siting models read).
    label
        What the sites are (a file name), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        The candidate schema, ``site_id`` = ``"user/<id>"``, plus the ``keep``
        columns found.

    Examples
    --------
    >>> import geopandas as gpd
    >>> mine = gpd.GeoDataFrame({"name": ["Depot A"]}, index=["A"],
    ...                         geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> candidates_from_points(mine).loc["user/A", "name"]
    'Depot A'
    """
    if not isinstance(points, gpd.GeoDataFrame):
        raise InputError(
            f"{label} must be a GeoDataFrame, got {type(points).__name__}.",
            file=label,
            fix="read the file with planner.io or geopandas first.",
        )
    ids = (
        points[id_field].astype(str).to_numpy(dtype=object)
        if id_field is not None and id_field in points.columns
        else np.asarray([str(i) for i in points.index], dtype=object)
    )
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise InputError(
            f"{label} has duplicate site ids, e.g. {dup!r}; site ids must be unique.",
            file=label,
            field=id_field if id_field is not None and id_field in points.columns else "index",
            fix="give every site its own id (or reset_index() to number them).",
        )
    lon, lat = _lonlat(points, label) if len(points) else (np.empty(0), np.empty(0))
    kinds: np.ndarray | str = (
        points[kind_field].astype(str).to_numpy(dtype=object)
        if kind_field is not None and kind_field in points.columns
        else kind
    )
    names = (
        points[name_field].to_numpy(dtype=object)
        if name_field is not None and name_field in points.columns
        else None
    )
    out = _schema([f"user/{i}" for i in ids], kinds, "user", names, lon, lat)
    for column in keep:
        if column in points.columns:
            out[column] = points[column].to_numpy()
    return out


def combine_candidates(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Stack candidate tables; site ids must not repeat.

    Parameters
    ----------
    *frames
        Candidate tables from the ``candidates_from_*`` functions.

    Returns
    -------
    geopandas.GeoDataFrame
        One table in EPSG:4326.

    Examples
    --------
    >>> import shapely
    >>> a = candidates_from_grid(shapely.box(116.30, 39.90, 116.31, 39.91), spacing_m=400)
    >>> len(combine_candidates(a)) == len(a)
    True
    """
    if not frames:
        return _schema([], [], "user", None, np.empty(0), np.empty(0))
    parts = []
    for k, frame in enumerate(frames):
        _check_candidates(frame, f"candidates #{k + 1}")
        parts.append(frame.to_crs(WGS84) if not CRS(frame.crs).equals(WGS84) else frame)
    out = gpd.GeoDataFrame(pd.concat(parts), crs=WGS84)
    if not out.index.is_unique:
        dup = out.index[out.index.duplicated()][0]
        raise InputError(
            f"site id {dup!r} appears in more than one table.",
            field="site_id",
            fix="give user sites unique ids (the index).",
        )
    return out


# --------------------------------------------------------------- filters
def _metric_xy(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries, crs: CRS, label: str
) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _lonlat(gdf, label)
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(lon, lat)
    return np.asarray(x, float), np.asarray(y, float)


def filter_candidates(
    candidates: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] | None = None,
    sources: Iterable[str] | None = None,
    existing: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    min_distance_m: float = 0.0,
    exclude: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
) -> gpd.GeoDataFrame:
    """Keep candidates of certain kinds, away from existing stations, outside excluded areas.

    Parameters
    ----------
    candidates
        The candidate schema.
    kinds
        Keep only these kinds (e.g. ``["parking", "community_centre"]``).
    sources
        Keep only these sources.
    existing
        Existing stations (points with a CRS).
    min_distance_m
        Drop candidates closer than this (straight line, metres) to any existing station.
    exclude
        Areas where no station may go (polygons with a CRS, or a shapely geometry in
        WGS84); candidates inside or on their boundary are dropped.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept rows, index unchanged.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> sites = candidates_from_grid(shapely.box(116.30, 39.90, 116.32, 39.92), spacing_m=500)
    >>> station = gpd.GeoSeries(sites.geometry.iloc[:1].values, crs="EPSG:4326")
    >>> kept = filter_candidates(sites, existing=station, min_distance_m=100)
    >>> len(kept) == len(sites) - 1
    True
    """
    _check_candidates(candidates)
    keep = np.ones(len(candidates), dtype=bool)
    if kinds is not None:
        wanted = {str(k) for k in ([kinds] if isinstance(kinds, str) else kinds)}
        unknown = wanted - set(candidates["kind"].astype(str))
        if unknown:
            logger.info("filter_candidates: no candidates of kinds %s", sorted(unknown))
        keep &= candidates["kind"].astype(str).isin(wanted).to_numpy()
    if sources is not None:
        keep &= candidates["source"].astype(str).isin(list(sources)).to_numpy()
    if min_distance_m < 0 or not np.isfinite(min_distance_m):
        raise InputError(
            f"min_distance_m must be >= 0, got {min_distance_m!r}.", field="min_distance_m"
        )
    if len(candidates) and existing is not None and len(existing) and min_distance_m > 0:
        lon, lat = _lonlat(candidates, "candidates")
        metric = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
        x, y = Transformer.from_crs(WGS84, metric, always_xy=True).transform(lon, lat)
        ex, ey = _metric_xy(existing, metric, "existing")
        dist, _ = cKDTree(np.column_stack([ex, ey])).query(np.column_stack([x, y]))
        keep &= np.asarray(dist) >= min_distance_m
    elif existing is not None and min_distance_m == 0:
        logger.info("filter_candidates: existing stations given but min_distance_m is 0")
    if exclude is not None and len(candidates):
        if isinstance(exclude, gpd.GeoDataFrame | gpd.GeoSeries):
            if exclude.crs is None:
                raise InputError("exclude has no CRS.", field="exclude", fix="set_crs(...).")
            zone = exclude.to_crs(WGS84).geometry.union_all()
        else:
            zone = exclude
        lon, lat = _lonlat(candidates, "candidates")
        keep &= ~shapely.intersects_xy(zone, lon, lat)
    return candidates[keep]


def dedupe_candidates(
    candidates: gpd.GeoDataFrame,
    *,
    radius_m: float = 50.0,
    priority: Sequence[str] = CANDIDATE_SOURCES,
) -> gpd.GeoDataFrame:
    """Merge candidates that lie within ``radius_m`` of a better one.

    Candidates are visited by source priority (``user`` first, then ``poi``,
    ``hotspot``, ``grid``), then in their table order; each one kept removes every
    not yet visited candidate within ``radius_m`` of it. So no two kept candidates
    are closer than ``radius_m``, and a site the user gave is never replaced by
    a grid point.

    Parameters
    ----------
    candidates
        The candidate schema.
    radius_m
        Merge radius in metres (straight line in a local UTM zone).
    priority
        Sources from most to least trusted; sources not listed come last.

    Returns
    -------
    geopandas.GeoDataFrame
        The kept candidates in their original order, with ``n_merged`` (how many
        candidates each one stands for, itself included).

    Examples
    --------
    >>> import geopandas as gpd
    >>> grid = gpd.GeoDataFrame({"kind": ["grid"], "source": ["grid"]}, index=["grid/0"],
    ...                         geometry=gpd.points_from_xy([116.3], [39.9]), crs="EPSG:4326")
    >>> mall = gpd.GeoDataFrame({"kind": ["mall"], "source": ["poi"]}, index=["poi/way/1"],
    ...                         geometry=gpd.points_from_xy([116.3002], [39.9]),
    ...                         crs="EPSG:4326")
    >>> list(dedupe_candidates(combine_candidates(grid, mall), radius_m=50).index)
    ['poi/way/1']
    """
    _check_candidates(candidates)
    if not (np.isfinite(radius_m) and radius_m >= 0):
        raise InputError(f"radius_m must be >= 0, got {radius_m!r}.", field="radius_m")
    n = len(candidates)
    if n == 0:
        return candidates.assign(n_merged=np.zeros(0, dtype=np.int64))
    lon, lat = _lonlat(candidates, "candidates")
    metric = local_metric_crs(float(np.median(lon)), float(np.median(lat)))
    x, y = Transformer.from_crs(WGS84, metric, always_xy=True).transform(lon, lat)
    rank = {s: k for k, s in enumerate(priority)}
    source_rank = np.array([rank.get(str(s), len(rank)) for s in candidates["source"]])
    order = np.lexsort((np.arange(n), source_rank))
    tree = cKDTree(np.column_stack([x, y]))
    removed = np.zeros(n, dtype=bool)
    kept = np.zeros(n, dtype=bool)
    merged = np.zeros(n, dtype=np.int64)
    neighbours = tree.query_ball_point(np.column_stack([x, y]), r=radius_m)
    for k in order:
        if removed[k]:
            continue
        kept[k] = True
        near = np.asarray(neighbours[k], dtype=np.int64)
        near = near[~removed[near]]
        removed[near] = True
        merged[k] = len(near)
    out = candidates[kept].copy()
    out["n_merged"] = merged[kept]
    return out


# ---------------------------------------------------------- driver homes

#: OSM tags that make a driver-home candidate, by kind (see :func:`driver_home_candidates`).
DRIVER_HOME_TAGS: Mapping[str, str] = {
    "fuel_hgv": "amenity=fuel with hgv=yes/designated (or fuel:HGV_diesel=yes)",
    "service_area": "highway=services",
    "rest_area": "highway=rest_area",
    "logistics": "industrial=logistics, landuse=logistics, or building=warehouse areas",
    "industrial": "landuse=industrial areas of at least min_area_m2",
    "truck_parking": "amenity=parking with hgv=yes/designated, or of at least min_area_m2",
}


def _driver_home_kind(tags: Mapping[str, str]) -> str | None:
    hgv = tags.get("hgv", "") in ("yes", "designated")
    if tags.get("highway") == "services":
        return "service_area"
    if tags.get("highway") == "rest_area":
        return "rest_area"
    if tags.get("amenity") == "fuel" and (hgv or tags.get("fuel:HGV_diesel") == "yes"):
        return "fuel_hgv"
    if tags.get("amenity") == "parking":
        return "truck_parking" if hgv else "parking"
    if tags.get("industrial") == "logistics" or tags.get("landuse") == "logistics":
        return "logistics"
    if tags.get("building") == "warehouse":
        return "logistics"
    if tags.get("landuse") == "industrial":
        return "industrial"
    return None


def driver_home_candidates(
    path: str | Any,
    *,
    kinds: Sequence[str] | None = None,
    min_area_m2: float = 2000.0,
    user: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read candidate driver-home sites from an OSM file by tag.

    Kinds (see :data:`DRIVER_HOME_TAGS`): fuel stations for heavy goods vehicles,
    highway service areas and rest areas, logistics land and warehouses,
    industrial land of at least ``min_area_m2``, and parkings that are for
    trucks or at least ``min_area_m2`` large. Nodes are their own location;
    closed ways (areas) their centroid, with their area; open ways their middle
    vertex. Attach the passing volume with :func:`with_passing_volume`.

    Parameters
    ----------
    path
        An OSM file (``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``).
    kinds
        Kinds to keep (default: all).
    min_area_m2
        Smallest industrial area or untagged parking kept.
    user
        Candidate sites from a user file (e.g. :func:`planner.read_candidates`),
        appended with kind ``"user"`` unless they have a ``kind`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``"osm:node/<id>"`` / ``"osm:way/<id>"`` (user sites keep
        their index as text, prefixed ``"user:"``): ``kind``, ``name``,
        ``area_m2`` (0 for nodes), ``source``; WGS84 points.

    Examples
    --------
    >>> from planner import datasets
    >>> cands = driver_home_candidates(datasets.demo_path("demo_region.osm.bz2"))
    >>> "service_area" in set(cands["kind"])
    True
    """
    file = Path(path)
    if not file.is_file():
        raise InputError(f"no such OSM file: {file}.", file=file, fix="check the path.")
    wanted = set(DRIVER_HOME_TAGS) if kinds is None else set(kinds)
    unknown = wanted - set(DRIVER_HOME_TAGS)
    if unknown:
        raise InputError(
            f"unknown kinds {sorted(unknown)}.",
            field="kinds",
            fix=f"use some of {sorted(DRIVER_HOME_TAGS)}.",
        )
    recs: list[dict[str, Any]] = []
    for element in tagged_elements(file):
        kind = _driver_home_kind(element.tags)
        if kind is None:
            continue
        pts = element.coords
        outline: list[tuple[float, float]] | None = None
        if element.osm_type == "node":
            if not pts:
                continue
            at = pts[0]
        else:
            if len(pts) < 2:
                continue
            at = pts[len(pts) // 2]
            if element.closed and len(pts) >= 4:
                outline = pts
        recs.append(
            {
                "id": f"osm:{element.id}",
                "kind": kind,
                "name": element.tags.get("name"),
                "lon": at[0],
                "lat": at[1],
                "ring": outline,
            }
        )
    frame = pd.DataFrame(recs, columns=["id", "kind", "name", "lon", "lat", "ring"])
    area = np.zeros(len(frame))
    if len(frame):
        metric = local_metric_crs(float(frame["lon"].median()), float(frame["lat"].median()))
        to_m = Transformer.from_crs(WGS84, metric, always_xy=True)
        back = Transformer.from_crs(metric, WGS84, always_xy=True)
        lon = frame["lon"].to_numpy(dtype=np.float64).copy()
        lat = frame["lat"].to_numpy(dtype=np.float64).copy()
        for i, ring in enumerate(frame["ring"]):
            if ring is None:
                continue
            ring_arr = np.asarray(ring, dtype=np.float64)
            xs, ys = to_m.transform(ring_arr[:, 0], ring_arr[:, 1])
            poly = shapely.Polygon(np.column_stack([xs, ys]))
            if not poly.is_valid:
                poly = poly.buffer(0)
            area[i] = poly.area
            c = poly.centroid if not poly.is_empty else shapely.Point(xs[0], ys[0])
            lon[i], lat[i] = back.transform(c.x, c.y)
        frame["lon"], frame["lat"] = lon, lat
    frame["area_m2"] = area
    kind_arr = frame["kind"].to_numpy(dtype=object).copy()
    small = (kind_arr == "parking") & (area < min_area_m2)
    kind_arr[(kind_arr == "parking") & ~small] = "truck_parking"
    frame["kind"] = kind_arr
    keep = ~small & ~((kind_arr == "industrial") & (area < min_area_m2))
    keep &= frame["kind"].isin(wanted).to_numpy()
    frame = frame[keep]
    out = gpd.GeoDataFrame(
        {
            "kind": frame["kind"].to_numpy(),
            "name": frame["name"].to_numpy(),
            "area_m2": frame["area_m2"].to_numpy(),
            "source": "osm",
        },
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        index=pd.Index(frame["id"].to_numpy(), name="site"),
        crs=WGS84,
    )
    if user is not None:
        if user.crs is None:
            raise InputError("user candidates have no CRS.", field="user")
        extra = gpd.GeoDataFrame(
            {
                "kind": user["kind"].astype(str).to_numpy() if "kind" in user else "user",
                "name": user["name"].to_numpy() if "name" in user else None,
                "area_m2": 0.0,
                "source": "user",
            },
            geometry=user.geometry.to_crs(WGS84).to_numpy(),
            index=pd.Index([f"user:{i}" for i in user.index], name="site"),
            crs=WGS84,
        )
        out = pd.concat([out, extra])
    return out


def with_passing_volume(
    candidates: gpd.GeoDataFrame,
    flows: Flows,
    *,
    max_snap_m: float = 300.0,
    detour_min: float = 0.0,
    min_volume: float | None = None,
) -> gpd.GeoDataFrame:
    """Attach the volume passing each candidate (and, optionally, keep the busy ones).

    Parameters
    ----------
    candidates
        Candidate sites (points).
    flows
        The flows.
    max_snap_m, detour_min
        As in :meth:`Flows.site_incidence`.
    min_volume
        Keep only candidates passed by at least this volume (e.g. 30 trucks/day).

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates (a copy) with ``passing_volume``, ``reachable_volume``,
        ``u``, ``v`` (the road edge they stand beside) and ``snap_m``.
    """
    inc = flows.site_incidence(candidates, max_snap_m=max_snap_m, detour_min=detour_min)
    out = candidates.copy()
    for col in ("u", "v", "snap_m", "passing_volume", "reachable_volume"):
        out[col] = inc.sites[col].to_numpy()
    if min_volume is not None:
        out = out[out["passing_volume"] >= float(min_volume)]
    return out
