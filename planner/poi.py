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


def _match(tags: Any, spec: Mapping[str, frozenset[str] | None]) -> tuple[str, str] | None:
    """Return the first (key, value) of ``spec`` that the OSM tags match."""
    for key, values in spec.items():
        value = tags.get(key)
        if value is None:
            continue
        if values is None or value in values:
            return key, value
    return None


def _way_point(way: Any) -> shapely.Point | None:
    coords = [(node.location.lon, node.location.lat) for node in way.nodes if node.location.valid()]
    if not coords:
        return None
    if len(coords) >= 4 and way.is_closed() and len(coords) == len(way.nodes):
        polygon = shapely.Polygon(coords)
        if polygon.is_valid and polygon.area > 0:
            return shapely.centroid(polygon)
        return shapely.Point(np.mean(np.asarray(coords), axis=0))
    if len(coords) == 1:
        return shapely.Point(coords[0])
    line = shapely.LineString(coords)
    return line.interpolate(0.5, normalized=True)


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
    import osmium
    import osmium.filter

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
    keys = tuple(spec)
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Geometry] = []
    skipped = 0
    wkb = osmium.geom.WKBFactory()
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(osmium.filter.KeyFilter(*keys))
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            point: shapely.Geometry | None
            if isinstance(obj, osmium.osm.Area):
                if obj.from_way():
                    continue  # closed ways are handled as ways
                osm_type, osm_id = "relation", obj.orig_id()
                hit = _match(obj.tags, spec)
                if hit is None:
                    continue
                try:
                    point = shapely.centroid(shapely.from_wkb(wkb.create_multipolygon(obj)))
                except RuntimeError:
                    point = None
            elif isinstance(obj, osmium.osm.Node):
                osm_type, osm_id = "node", obj.id
                hit = _match(obj.tags, spec)
                if hit is None:
                    continue
                point = shapely.Point(obj.location.lon, obj.location.lat)
            elif isinstance(obj, osmium.osm.Way):
                osm_type, osm_id = "way", obj.id
                hit = _match(obj.tags, spec)
                if hit is None:
                    continue
                point = _way_point(obj)
            else:
                continue  # relations come through as assembled areas
            if point is None or point.is_empty:
                skipped += 1
                continue
            tag_dict = {t.k: t.v for t in obj.tags}
            rows.append(
                {
                    "poi_id": f"{osm_type}/{osm_id}",
                    "osm_type": osm_type,
                    "osm_id": int(osm_id),
                    "key": hit[0],
                    "category": hit[1],
                    "name": tag_dict.get("name") if names else None,
                    "tags": tag_dict,
                }
            )
            geoms.append(point)
    except RuntimeError as error:
        raise InputError(
            f"cannot read {path.name} as OSM data: {error}.",
            file=path,
            fix="check that the file is a complete OSM XML or PBF extract.",
        ) from error
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
