"""``hilt label`` draws a row of pixels (hilt.cli._pixels) instead of listing hundreds of numbers."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from rich.console import Console

from hilt.cli._label_loop import render_item, run_label_loop
from hilt.cli._pixels import PixelImage
from hilt.project import Item, Project
from hilt.project.image_view import find_image

MNIST = [f"px{k}" for k in range(784)]


def screen_of(renderable, color_system):
    out = Console(width=100, record=True, color_system=color_system, file=io.StringIO())
    out.print(renderable)
    return out.export_text()


def mnist_item():
    """A 28x28 ring of 255 on 0, with a note beside it."""
    r, c = np.mgrid[0:28, 0:28]
    ring = (np.abs(np.hypot(r - 13.5, c - 13.5) - 9) < 2) * 255
    data = {name: int(v) for name, v in zip(MNIST, ring.ravel())} | {"source": "scan 7"}
    return Item("m1", data, False), ring


def test_a_28x28_row_fits_in_30_lines_with_colours():
    item, _ = mnist_item()
    text = screen_of(render_item(item, [str(d) for d in range(10)], "table", image=find_image(list(item.data))),
                     "truecolor")
    lines = text.splitlines()
    assert len(lines) <= 30, len(lines)
    drawn = [line for line in lines if "▀" in line]
    assert len(drawn) == 14 and all(line.count("▀") == 28 for line in drawn)
    assert "source" in text and "scan 7" in text and "px0" not in text


def test_without_colours_shades_draw_the_same_picture():
    item, ring = mnist_item()
    view = find_image(list(item.data))
    values, rest = view.split(item.data)
    lines = screen_of(PixelImage(view.side, values), None).splitlines()
    assert len(lines) == 28 and rest == {"source": "scan 7"}
    for row, line in zip(ring, lines):  # two characters a pixel, full ink where the ring is
        assert [ch == "█" for ch in line.ljust(56)[::2]] == [bool(v) for v in row]
    screen = screen_of(render_item(item, ["a", "b"], "table", image=view), None)
    assert "scan 7" in screen and "px1 " not in screen


def test_small_images_are_repeated_and_a_constant_row_is_blank():
    view = find_image([f"pixel_{r}_{c}" for r in range(8) for c in range(8)])
    assert PixelImage(view.side, [3.0] * 64).repeat == 2
    text = screen_of(PixelImage(8, [3.0] * 64), None)
    assert set(text) <= {" ", "\n"}


def test_a_row_with_a_missing_pixel_is_listed():
    item, _ = mnist_item()
    view = find_image(list(item.data))
    broken = Item("m2", {**item.data, "px5": None}, False)
    text = screen_of(render_item(broken, ["a", "b"], "table", image=view), "truecolor")
    assert "▀" not in text and "px783" in text


def test_label_loop_on_a_digits_project_draws_each_digit(tmp_path):
    from sklearn.datasets import load_digits

    frame = load_digits(as_frame=True).frame.drop(columns="target").head(6)
    path = tmp_path / "digits.hilt"
    with Project.create(path, frame, [str(d) for d in range(10)], eval_share=0) as project:
        out = Console(width=100, record=True, color_system="truecolor", file=io.StringIO())
        session = run_label_loop(project, "ana", iter(["3", "7", "q"]), out, wait_for_model=0)
        assert session.labelled == 2 and project.status()["by_label"] == {"3": 1, "7": 1}
    screen = out.export_text()
    assert screen.count("▀" * 16) >= 8 * 2  # 8x8 repeated to 16x16: 8 lines an item, 2+ items
    assert "pixel_0_0" not in screen


def test_image_off_lists_every_column(tmp_path):
    frame = pd.DataFrame({f"px{k}": [k, 2 * k] for k in range(16)})
    with Project.create(tmp_path / "p.hilt", frame, ["a", "b"], eval_share=0) as project:
        project.set_image_columns("off")
        out = Console(width=100, record=True, color_system="truecolor", file=io.StringIO())
        run_label_loop(project, "ana", iter(["q"]), out, wait_for_model=0)
    screen = out.export_text()
    assert "px15" in screen and "▀" not in screen


def test_hilt_config_turns_the_image_off_names_columns_and_refuses_bad_ones(tmp_path):
    from helpers import hilt

    frame = pd.DataFrame({f"px{k}": [k, 2 * k] for k in range(16)} | {"odd": [1.5, 2.5]})
    path = tmp_path / "p.hilt"
    Project.create(path, frame, ["a", "b"], eval_share=0).close()
    shown = hilt("config", path)
    assert shown.returncode == 0 and "auto: 4x4 pixels, px0 … px15" in shown.stdout
    off = hilt("config", path, "image_columns=off")
    assert off.returncode == 0 and "off  (changed)" in off.stdout
    with Project.open(path) as project:
        assert project.image_view is None and project.image_columns == "off"
    named = hilt("config", path, "image_columns=px*")
    assert named.returncode == 0 and "px*: 4x4 pixels" in named.stdout
    bad = hilt("config", path, "image_columns=px1,px2,odd")
    assert bad.returncode == 2 and "square number" in bad.stdout + bad.stderr
    with Project.open(path) as project:
        assert project.image_columns == ["px*"]  # a refused setting changes nothing


def test_hilt_init_says_rows_are_drawn_as_images(tmp_path):
    from helpers import hilt

    data = tmp_path / "scans.csv"
    pd.DataFrame({f"px{k}": [k % 16, 15 - k % 16] for k in range(784)}).to_csv(data, index=False)
    made = hilt("init", tmp_path / "scans.hilt", "--data", data, "--labels", "ink,blank", "--features", "scale")
    assert made.returncode == 0, made.stdout + made.stderr
    said = " ".join((made.stdout + made.stderr).split())
    assert "Rows are drawn as 28x28 images (px0 … px783)" in said and "image_columns=off" in said
