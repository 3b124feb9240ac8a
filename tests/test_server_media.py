"""``GET /media/PATH``: the image column's files, from the project's image folder and nowhere else."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from helpers import hilt, user_error

from hilt import Project
from hilt.errors import ForbiddenError, InputError, NotFoundError
from hilt.project.media import media_file
from hilt.server import create_app

PNG = bytes.fromhex("89504e470d0a1a0a")  # a PNG's signature: enough for a file that is served as it is


@pytest.fixture
def photos(tmp_path):
    """A project whose ``photo`` column names files of ``tmp_path/photos`` (and one URL), with a
    secret beside the folder and a link that leads out of it."""
    folder = tmp_path / "photos"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "tom cat.png").write_bytes(PNG + b"tom")
    (folder / "notes.txt").write_text("not an image")
    (tmp_path / "secret.png").write_bytes(PNG + b"secret")
    os.symlink(tmp_path / "secret.png", folder / "away.png")
    frame = pd.DataFrame({"id": ["a", "b", "c"], "text": ["a cat", "a dog", "a bird"],
                          "photo": ["cats/tom cat.png", "https://example.org/dog.jpg", "missing.png"]})
    path = tmp_path / "p.hilt"
    with Project.create(path, frame, ["cat", "dog"], id_column="id", features="tfidf", image_column="photo",
                        image_folder=folder) as project:
        token = project.add_annotator("ana")
    return path, token, folder


@pytest.fixture
def served(photos):
    path, token, _ = photos
    with TestClient(create_app(path)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_an_image_of_the_folder_is_served_to_an_annotator(served):
    client, auth = served
    reply = client.get("/media/cats/tom%20cat.png", headers=auth)
    assert reply.status_code == 200 and reply.content == PNG + b"tom"
    assert reply.headers["content-type"] == "image/png"
    assert "private" in reply.headers["cache-control"]
    # The page's script sends the cookie, as for the pages.
    client.cookies.set("hilt_token", auth["Authorization"][7:])
    assert client.get("/media/cats/tom%20cat.png").status_code == 200


def test_media_needs_a_token(served):
    client, _ = served
    reply = client.get("/media/cats/tom%20cat.png")
    assert reply.status_code == 401 and b"tom" not in reply.content
    assert client.get("/media/cats/tom%20cat.png", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("path, status, words", [
    ("..%2Fsecret.png", 403, "without '..'"),              # up and out, escaped so no client tidies it
    ("cats/..%2F..%2Fsecret.png", 403, "without '..'"),
    ("%2Fetc%2Fhostname.png", 403, "relative to the image folder"),  # absolute
    ("away.png", 403, "leads out of it"),                  # a link to a file beside the folder
    ("notes.txt", 403, "Expected an image file"),          # not an image by its suffix
    ("missing.png", 404, "there is none"),
    ("cats", 403, "Expected an image file"),               # a folder
])
def test_media_refuses_what_is_not_an_image_inside_the_folder(served, path, status, words):
    client, auth = served
    reply = client.get(f"/media/{path}", headers=auth)
    assert reply.status_code == status, reply.text
    assert words in reply.json()["error"]
    assert PNG not in reply.content  # never the file itself


def test_the_rule_itself_names_the_path(tmp_path):
    (tmp_path / "a.png").write_bytes(PNG)
    with pytest.raises(ForbiddenError, match=r"relative to the image folder; got '/etc/a.png'"):
        media_file(str(tmp_path), "/etc/a.png")
    with pytest.raises(ForbiddenError, match="without '..'"):
        media_file(str(tmp_path), "a/../../a.png")
    with pytest.raises(NotFoundError, match="the project has none"):
        media_file(None, "a.png")
    assert media_file(str(tmp_path), "a.png") == (tmp_path / "a.png").resolve()


def test_a_changed_folder_is_served_at_the_next_request_and_config_sets_it(photos, tmp_path):
    path, token, folder = photos
    other = tmp_path / "other"
    other.mkdir()
    (other / "cats").mkdir()
    (other / "cats" / "tom cat.png").write_bytes(PNG + b"other")
    with TestClient(create_app(path)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/media/cats/tom%20cat.png", headers=auth).content.endswith(b"tom")
        result = hilt("config", path, f"image_folder={other}")
        assert result.returncode == 0, result.stderr
        assert "image_folder" in result.stdout and "(changed)" in result.stdout
        with Project.open(path) as project:
            assert project.image_source == {"column": "photo", "folder": str(other.resolve())}
        assert client.get("/media/cats/tom%20cat.png", headers=auth).content.endswith(b"other")
    message = user_error(hilt("config", path, f"image_folder={tmp_path / 'nowhere'}"))
    assert "Expected image_folder to be an existing folder" in message and "no such folder" in message


def test_the_pages_name_the_image_column_but_never_the_folder(served, photos):
    client, auth = served
    with Project.open(photos[0]) as project:
        reviewer = {"Authorization": f"Bearer {project.add_annotator('rita', reviewer=True)}"}
    for path, who in (("/", auth), ("/review", reviewer)):
        page = client.get(path, headers=who)
        assert page.status_code == 200
        assert 'data-picture=\'{"column": "photo", "served": true}\'' in page.text
        assert str(photos[2]) not in page.text
    # A URL in the column is shown as given: the page may load images from other sites (never scripts).
    policy = page.headers["content-security-policy"]
    assert "img-src 'self' data: https: http:" in policy and "script-src 'self';" in policy


def test_image_settings_are_checked_at_creation(tmp_path):
    frame = pd.DataFrame({"text": ["a cat", "a dog"], "photo": ["1.png", "2.png"]})
    with pytest.raises(InputError, match=r"image column \(image_column=, hilt init --image-column\) named 'picture'"):
        Project.create(tmp_path / "a.hilt", frame, ["cat", "dog"], features="tfidf", image_column="picture")
    with pytest.raises(InputError, match="existing folder of images"):
        Project.create(tmp_path / "b.hilt", frame, ["cat", "dog"], features="tfidf", image_column="photo",
                       image_folder=tmp_path / "nowhere")
    with pytest.raises(InputError, match="Expected image_column"):
        Project.create(tmp_path / "c.hilt", frame, ["cat", "dog"], features="tfidf", image_folder=tmp_path)
    assert not any(tmp_path.glob("*.hilt"))
    # The image column is never the text, even as the only other string column.
    with Project.create(tmp_path / "d.hilt", frame, ["cat", "dog"], features="tfidf", image_column="photo") as p:
        assert p.text_column == "text" and p.shown_columns == ["text", "photo"]
        assert p.image_source == {"column": "photo", "folder": None}
        with pytest.raises(NotFoundError):
            p.media_file("1.png")
