"""The one reader of OSM tags: the tagged objects of an OSM file, with their locations.

:func:`tagged_elements` walks an OSM file (XML or PBF, plain or compressed) once
with pyosmium and yields each tagged node and way, and optionally each
multipolygon relation as its assembled area, as an :class:`OsmElement`: its type,
id (``"node/123"``, ``"way/45"``, ``"relation/6"``), tags and node locations.
What becomes of them (a point, a category, a candidate site) is the caller's
business: :func:`planner.poi.pois_from_osm`, the driver-home candidates and the
demo region's points of interest all read through it.

Examples
--------
>>> from planner import datasets
>>> path = datasets.demo_path("demo_region.osm.bz2")
>>> fuel = [e for e in tagged_elements(path, keys=["amenity"]) if e.tags["amenity"] == "fuel"]
>>> len(fuel), fuel[0].id.startswith("node/")
(12, True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely

from planner._errors import InputError

__all__ = ["OsmElement", "tagged_elements"]


@dataclass(frozen=True)
class OsmElement:
    """One tagged OSM object and the locations of its nodes.

    Attributes
    ----------
    osm_type
        ``"node"``, ``"way"`` or ``"relation"``.
    osm_id
        The object's OSM id.
    tags
        All its tags.
    coords
        WGS84 ``(lon, lat)`` of a node, or of a way's nodes that have a location
        in the file, in order (empty when none has).
    closed
        For a way: its first and last node are the same node.
    n_nodes
        For a way: how many nodes it refers to (``len(coords)`` is smaller when
        some are missing from the file); 1 for a node, 0 for a relation.
    area
        For a relation: its assembled (multi)polygon, ``None`` if it cannot be
        assembled.
    """

    osm_type: str
    osm_id: int
    tags: dict[str, str]
    coords: list[tuple[float, float]]
    closed: bool = False
    n_nodes: int = 0
    area: shapely.Geometry | None = None

    @property
    def id(self) -> str:
        """The object's id as ``"<type>/<id>"``, e.g. ``"node/123"``."""
        return f"{self.osm_type}/{self.osm_id}"


def tagged_elements(
    path: str | Path, *, keys: Iterable[str] | None = None, relations: bool = False
) -> Iterator[OsmElement]:
    """Yield the tagged nodes and ways of an OSM file, in the order pyosmium reads them.

    Parameters
    ----------
    path
        An OSM file: ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``, ...
    keys
        Yield only objects carrying at least one of these tag keys (filtered while
        reading, which is much faster on a large extract); ``None`` yields every
        object with a tag.
    relations
        Also yield multipolygon relations, each with its assembled area. Closed
        ways are always yielded as ways, never as areas.

    Yields
    ------
    OsmElement
        One per tagged object.

    Raises
    ------
    InputError
        The file cannot be read as OSM data.

    Examples
    --------
    >>> from planner import datasets
    >>> path = datasets.demo_path("demo_region.osm.bz2")
    >>> malls = [e for e in tagged_elements(path, keys=["shop"]) if e.tags["shop"] == "mall"]
    >>> len(malls), malls[0].osm_type, malls[0].closed
    (6, 'way', True)
    """
    import osmium
    import osmium.filter

    path = Path(path)
    key_list = None if keys is None else tuple(keys)
    wkb = osmium.geom.WKBFactory()
    try:
        if relations:
            processor = osmium.FileProcessor(str(path)).with_locations()
            if key_list is not None:
                processor = processor.with_areas(osmium.filter.KeyFilter(*key_list))
            else:
                processor = processor.with_areas()
        else:
            entities = osmium.osm.NODE | osmium.osm.WAY
            processor = osmium.FileProcessor(str(path), entities).with_locations()
        if key_list is not None:
            processor = processor.with_filter(osmium.filter.KeyFilter(*key_list))
        for item in processor:
            obj: Any = item
            if not obj.tags:
                continue
            element = _element(obj, osmium, wkb)
            if element is not None:
                yield element
    except RuntimeError as error:
        raise InputError(
            f"cannot read {path.name} as OSM data: {error}.",
            file=path,
            fix="check that the file is a complete OSM XML or PBF extract.",
        ) from error


def _element(obj: Any, osmium: Any, wkb: Any) -> OsmElement | None:
    """Return the :class:`OsmElement` of one pyosmium object (``None``: not one we yield)."""
    tags = {t.k: t.v for t in obj.tags}
    if isinstance(obj, osmium.osm.Node):
        loc = obj.location
        coords = [(loc.lon, loc.lat)] if loc.valid() else []
        return OsmElement("node", obj.id, tags, coords, n_nodes=1)
    if isinstance(obj, osmium.osm.Way):
        nodes = obj.nodes
        coords = [(n.location.lon, n.location.lat) for n in nodes if n.location.valid()]
        closed = len(nodes) > 0 and nodes[0].ref == nodes[-1].ref
        return OsmElement("way", obj.id, tags, coords, closed=closed, n_nodes=len(nodes))
    if isinstance(obj, osmium.osm.Area) and not obj.from_way():
        try:
            area = shapely.from_wkb(wkb.create_multipolygon(obj))
        except RuntimeError:
            area = None
        return OsmElement("relation", obj.orig_id(), tags, [], area=area)
    return None  # plain relations (their areas come as such), and areas made from ways
