"""Make the synthetic community and district polygons of the demo region (seeded, byte-stable).

Run from the repository root: ``python examples/data/make_demo_communities.py``. It writes

- ``demo_communities.geojson``: the communities of a 10 x 10 grid over the demo region
  that hold streets (at least three e-bike network nodes), with an invented
  ``population`` (denser towards the centre) and the ``district`` each lies in;
- ``demo_districts.geojson``: the four districts (quadrants of the region);
- ``demo_stations_gcj02.xlsx``: the demo region's worker stations with their coordinates
  shifted to GCJ-02, as an Amap export would give them.

Everything is synthetic: the region is invented (see ``data/demo/README.md``), and so are
these boundaries and populations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from planner import datasets
from planner.crs import from_wgs84

HERE = Path(__file__).resolve().parent
SEED = 20240601
N = 10
DISTRICTS = {(0, 0): "South-West", (1, 0): "South-East", (0, 1): "North-West", (1, 1): "North-East"}


def _ring(west: float, south: float, east: float, north: float) -> list[list[float]]:
    corners = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    return [[round(x, 6), round(y, 6)] for x, y in corners]


def _collection(features: list[dict[str, object]]) -> str:
    data = {"type": "FeatureCollection", "features": features}
    return json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n"


def main() -> None:
    """Write the three files beside this script."""
    import shapely

    west, south, east, north = datasets.demo_area().bounds
    net = datasets.demo_network(modes=["ebike"])
    usable = net.usable_nodes("ebike")
    node_lon, node_lat = net.lon[usable], net.lat[usable]
    rng = np.random.default_rng(SEED)
    dx, dy = (east - west) / N, (north - south) / N
    features = []
    for j in range(N):
        for i in range(N):
            cx, cy = (i + 0.5) / N - 0.5, (j + 0.5) / N - 0.5
            density = 9000.0 * np.exp(-(cx**2 + cy**2) / 0.08) + 500.0
            population = int(round(density * rng.uniform(0.6, 1.4), -1))
            district = DISTRICTS[(int(i >= N // 2), int(j >= N // 2))]
            x0, y0 = west + i * dx, south + j * dy
            cell = shapely.box(x0, y0, x0 + dx, y0 + dy)
            if int(shapely.contains_xy(cell, node_lon, node_lat).sum()) < 3:
                continue  # no streets: no community
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        "name": f"C{j:02d}{i:02d} (synthetic)",
                        "district": f"{district} (synthetic)",
                        "population": population,
                    },
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            _ring(
                                west + i * dx,
                                south + j * dy,
                                west + (i + 1) * dx,
                                south + (j + 1) * dy,
                            )
                        ],
                    },
                }
            )
    (HERE / "demo_communities.geojson").write_text(_collection(features), encoding="utf-8")
    mid_x, mid_y = (west + east) / 2, (south + north) / 2
    districts = []
    for (ix, iy), name in DISTRICTS.items():
        box = (
            west if ix == 0 else mid_x,
            south if iy == 0 else mid_y,
            mid_x if ix == 0 else east,
            mid_y if iy == 0 else north,
        )
        districts.append(
            {
                "type": "Feature",
                "properties": {"name": f"{name} (synthetic)"},
                "geometry": {"type": "Polygon", "coordinates": [_ring(*box)]},
            }
        )
    (HERE / "demo_districts.geojson").write_text(_collection(districts), encoding="utf-8")
    stations = pd.read_csv(datasets.demo_path("stations.csv"))
    stations = stations[stations["kind"] == "worker_station"].copy()
    lon, lat = from_wgs84(stations["lon"].to_numpy(), stations["lat"].to_numpy(), "gcj02")
    stations["lon"], stations["lat"] = np.round(lon, 6), np.round(lat, 6)
    _write_amap_xlsx(stations, HERE / "demo_stations_gcj02.xlsx")


def _write_amap_xlsx(stations: pd.DataFrame, path: Path) -> None:
    """Write the stations as a planner gets them: an Excel sheet with Chinese headers."""
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "驿站"
    sheet.append(["编号", "站点名称", "类型", "开放时间", "经度", "纬度"])
    for row in stations.itertuples(index=False):
        sheet.append([row.station_id, row.name, row.kind, row.hours, row.lon, row.lat])
    fixed = datetime.datetime(2024, 5, 15)  # no clock in the file: the same bytes each run
    book.properties.created = book.properties.modified = fixed
    book.save(path)


if __name__ == "__main__":
    main()
