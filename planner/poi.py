"""Points of interest from OpenStreetMap files.

One reader, :func:`pois_from_osm`, turns the OSM objects that carry chosen tags
into one point each, for demand proxies (:mod:`planner.demand`) and candidate
sites (:mod:`planner.candidates`).

How OSM objects become points:

- a **node** is its own location;
- a **closed way** (a building or area outline, first node = last node, at least
  four nodes) becomes the centroid of its polygon;
- an **open way** becomes the midpoint along its line;
- a **multipolygon relation** becomes the centroid of its assembled area
  (its member ways are not reported on their own unless they carry the tags).

The same feature mapped twice (a node inside a tagged building) is reported
twice: OSM leaves that to the mapper, and :func:`planner.candidates.dedupe_candidates`
merges such pairs by distance.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner._errors import InputError
from planner.crs import WGS84
from planner.osm import OsmElement, tagged_elements

logger = logging.getLogger(__name__)

__all__ = ["OSM_SUFFIXES", "TagSpec", "pois_from_osm"]

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".o5m", ".opl")

#: Tags to read: ``{key: [values]}`` or ``{key: True}`` for any value of the key.
TagSpec = Mapping[str, Iterable[str] | bool]


def _normalise_tags(tags: TagSpec) -> dict[str, frozenset[str] | None]:
    if not isinstance(tags, Mapping) or not tags:
        raise InputError(
            f"tags must be a non-empty mapping of OSM keys to values, got {tags!r}.",
            field="tags",
            fix='pass e.g. tags={"amenity": ["restaurant", "fast_food"], "shop": True}.',
        )
    spec: dict[str, frozenset[str] | None] = {}
    for key, values in tags.items():
        if not isinstance(key, str) or not key:
            raise InputError(f"OSM tag keys must be strings, got {key!r}.", field="tags")
        if values is True:
            spec[key] = None
        elif values is False or isinstance(values, str):
            raise InputError(
                f"the values of tag {key!r} must be a list of strings or True, got {values!r}.",
                field="tags",
                fix=f'write {{"{key}": [{values!r}]}} for one value, or True for any value.',
            )
        else:
            spec[key] = frozenset(str(v) for v in values)
    return spec


def _match(
    tags: Mapping[str, str], spec: Mapping[str, frozenset[str] | None]
) -> tuple[str, str] | None:
    """Return the first (key, value) of ``spec`` that the OSM tags match."""
    for key, values in spec.items():
        value = tags.get(key)
        if value is None:
            continue
        if values is None or value in values:
            return key, value
    return None


def _way_point(way: OsmElement) -> shapely.Point | None:
    coords = way.coords
    if not coords:
        return None
    if len(coords) >= 4 and way.closed and len(coords) == way.n_nodes:
        polygon = shapely.Polygon(coords)
        if polygon.is_valid and polygon.area > 0:
            return shapely.centroid(polygon)
        return shapely.Point(np.mean(np.asarray(coords), axis=0))
    if len(coords) == 1:
        return shapely.Point(coords[0])
    line = shapely.LineString(coords)
    return line.interpolate(0.5, normalized=True)


def _point(element: OsmElement) -> shapely.Point | None:
    """Return the point of a node, way or relation area (``None``: no location in the file)."""
    if element.osm_type == "node":
        return shapely.Point(element.coords[0]) if element.coords else None
    if element.osm_type == "way":
        return _way_point(element)
    return None if element.area is None else shapely.centroid(element.area)


def pois_from_osm(
    path: str | Path,
    *,
    tags: TagSpec,
    names: bool = True,
    warn_missing: bool = True,
) -> gpd.GeoDataFrame:
    """Read the OSM objects carrying given tags as points (EPSG:4326).

    Nodes are points; closed ways become their polygon's centroid, open ways the
    midpoint of their line, and multipolygon relations their area's centroid.

    Parameters
    ----------
    path
        An OSM file: ``.osm``, ``.osm.bz2``, ``.osm.gz`` or ``.osm.pbf``.
    tags
        ``{key: [values]}`` or ``{key: True}`` (any value). An object matching
        several entries is reported once, under the first one in ``tags``' order.
    names
        Keep the ``name`` tag in a ``name`` column.
    warn_missing
        Warn, naming the file and the tag, when a requested ``key=value`` (or a key
        asked with ``True``) matches nothing in the file.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``poi_id`` (``"node/123"``, ``"way/45"``, ``"relation/6"``), with
        columns ``osm_type``, ``osm_id``, ``key``, ``category`` (the tag's value),
        ``name``, ``tags`` (dict of all tags) and point ``geometry``.

    Raises
    ------
    InputError
        The file is missing, not an OSM file, or cannot be parsed.

    Examples
    --------
    >>> from planner import datasets
    >>> pois = pois_from_osm(datasets.demo_path("demo_region.osm.bz2"),
    ...                      tags={"amenity": ["restaurant", "fast_food"]})
    >>> set(pois["key"]) <= {"amenity"}
    True
    """
    path = Path(path)
    spec = _normalise_tags(tags)
    if not path.is_file():
        raise InputError(
            f"no such OSM file: {path}.",
            file=path,
            fix=f"check the path (relative paths are taken from {Path.cwd()}).",
        )
    if not path.name.lower().endswith(OSM_SUFFIXES):
        raise InputError(
            f"{path.name} is not an OSM file this reader knows.",
            file=path,
            fix=f"use one of {', '.join(OSM_SUFFIXES)}.",
        )
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    skipped = 0
    for element in tagged_elements(path, keys=spec, relations=True):
        hit = _match(element.tags, spec)
        if hit is None:
            continue
        point = _point(element)
        if point is None or point.is_empty:
            skipped += 1
            continue
        rows.append(
            {
                "poi_id": element.id,
                "osm_type": element.osm_type,
                "osm_id": int(element.osm_id),
                "key": hit[0],
                "category": hit[1],
                "name": element.tags.get("name") if names else None,
                "tags": element.tags,
            }
        )
        geoms.append(point)
    if skipped:
        logger.info("%s: %d tagged ways without node locations skipped", path.name, skipped)
    columns = ["poi_id", "osm_type", "osm_id", "key", "category", "name", "tags"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["osm_id"] = frame["osm_id"].astype(np.int64)
    if not names:
        frame = frame.drop(columns="name")
    result = gpd.GeoDataFrame(
        frame.set_index("poi_id"), geometry=gpd.GeoSeries(geoms, crs=WGS84).values, crs=WGS84
    )
    if warn_missing:
        _warn_missing(path, spec, result)
    return result


def _warn_missing(
    path: Path, spec: Mapping[str, frozenset[str] | None], pois: gpd.GeoDataFrame
) -> None:
    found = set(zip(pois["key"], pois["category"], strict=True))
    found_keys = {key for key, _ in found}
    missing: list[str] = []
    for key, values in spec.items():
        if values is None:
            if key not in found_keys:
                missing.append(f"{key}=*")
        else:
            missing.extend(f"{key}={v}" for v in sorted(values) if (key, v) not in found)
    if missing:
        shown = ", ".join(missing[:15]) + (
            f" and {len(missing) - 15} more" if len(missing) > 15 else ""
        )
        warnings.warn(
            f"{path.name}: no OSM objects tagged {shown} (field 'tags'). "
            "The extract may not cover them, or the tags are spelled differently there; "
            "pass warn_missing=False to silence this.",
            UserWarning,
            stacklevel=3,
        )
